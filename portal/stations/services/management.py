"""Managing stations (staff, within their scope): the fields' rules shared with the importer,
adding, changing, hiding and showing again, the staff list."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from portal.core import audit, scope
from portal.core.errors import NotAllowed
from portal.core.hours import OpenHoursError, normalise_open_hours
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, clean_line, parse_coordinate
from portal.extensions import db
from portal.stations.models import AMENITIES, Station, amenity_mask
from portal.unions import services as unions


def clean_station_fields(data: dict) -> dict:
    """Check a station's fields, from the staff form or an import row. Raises InvalidInput."""
    name = clean_line(data.get("name"))
    address = clean_line(data.get("address"))
    if not name:
        raise InvalidInput(_l("Please enter the station's name."), field="name")
    if len(name) > 100:
        raise InvalidInput(_l("The name can have at most 100 characters."), field="name")
    if not address:
        raise InvalidInput(_l("Please enter the address."), field="address")
    if len(address) > 200:
        raise InvalidInput(_l("The address can have at most 200 characters."), field="address")
    lat = parse_coordinate(data.get("lat"), "lat")
    lng = parse_coordinate(data.get("lng"), "lng")
    codes = data.get("amenities") or []
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.replace("；", ";").split(";") if c.strip()]
    unknown = [c for c in codes if c not in AMENITIES]
    if unknown:
        raise InvalidInput(_l("Unknown amenity: %(codes)s.", codes=", ".join(unknown)), field="amenities")
    try:
        hours = normalise_open_hours(data.get("open_hours") or "")
    except OpenHoursError as exc:
        raise InvalidInput(exc.message, field="open_hours") from None
    if len(hours) > 200:
        raise InvalidInput(_l("The opening hours can have at most 200 characters."), field="open_hours")
    phone = clean_line(data.get("phone"))[:30] or None
    external_id = clean_line(data.get("external_id"))[:64] or None
    return {
        "name": name,
        "address": address,
        "lat": lat,
        "lng": lng,
        "amenity_mask": amenity_mask(codes),
        "open_hours": hours,
        "phone": phone,
        "external_id": external_id,
    }


def clean_notice_fields(data: dict) -> dict:
    """What staff tell visitors: a notice and whether the station is closed for now (staff form only)."""
    return {
        "public_notice": clean_line(data.get("public_notice"), max_length=200, field="public_notice") or None,
        "is_suspended": bool(data.get("is_suspended")),
    }


def create_station(actor, data: dict) -> Station:
    """Staff add a station to a union in their subtree."""
    fields = clean_station_fields(data) | clean_notice_fields(data)
    union = unions.union_for_staff(actor, data.get("union_code"))
    station = Station(union=union, **fields)
    db.session.add(station)
    db.session.flush()
    audit.record("station.created", station, actor=actor, union_id=union.id)
    return station


def _require_scope(actor, station: Station) -> None:
    """Staff change only stations of their own subtree (actor None: the command line)."""
    if actor is not None and not scope.may_act_on(actor, station):
        raise NotAllowed()


def update_station(actor, station: Station, data: dict) -> Station:
    _require_scope(actor, station)
    fields = clean_station_fields(data) | clean_notice_fields(data)
    union = unions.union_for_staff(actor, data.get("union_code") or station.union.code)
    for key, value in fields.items():
        setattr(station, key, value)
    station.union = union
    db.session.flush()
    audit.record("station.updated", station, actor=actor, union_id=union.id)
    return station


def set_active(actor, station: Station, active: bool) -> Station:
    _require_scope(actor, station)
    station.is_active = active
    db.session.flush()
    audit.record(
        "station.activated" if active else "station.deactivated", station, actor=actor, union_id=station.union_id
    )
    return station


def staff_list(actor, *, query: str = "", include_inactive: bool = True, page: int = 1, per_page: int = 20):
    stmt = scope.scoped(select(Station), actor, Station.union_id).options(joinedload(Station.union))
    query = clean_line(query)[:30].replace("%", "").replace("_", "")
    if query:
        stmt = stmt.where(or_(Station.name.like(f"%{query}%"), Station.address.like(f"%{query}%")))
    if not include_inactive:
        stmt = stmt.where(Station.is_active.is_(True))
    stmt = stmt.order_by(Station.is_active.desc(), Station.name, Station.id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
