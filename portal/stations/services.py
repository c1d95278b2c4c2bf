"""Station rules: finding, showing, managing within scope, problem reports, export.

The nearest-station search is in ``search.py`` and the CSV import in ``importer.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from portal.core import audit, exports, scope
from portal.core.db import utcnow
from portal.core.errors import InvalidTransition, NotAllowed, NotFound
from portal.core.geo import haversine_m, wgs84_to_bd09, wgs84_to_gcj02
from portal.core.validators import InvalidInput, clean_line, clean_prose
from portal.extensions import db
from portal.stations import search
from portal.stations.hours import OpenHoursError, is_open_at, normalise_open_hours, parse_open_hours
from portal.stations.models import (
    AMENITIES,
    REPORT_KINDS,
    Station,
    StationReport,
    amenity_codes,
    amenity_mask,
)
from portal.unions import services as unions
from portal.unions.models import Union

EXPORT_COLUMNS = ("name", "address", "lat", "lng", "amenities", "open_hours", "union_code", "external_id", "phone")


# --- Finding --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    station: Station
    distance_m: float | None
    open_now: bool


def is_open_now(station: Station, now: datetime | None = None) -> bool:
    try:
        return is_open_at(parse_open_hours(station.open_hours), now or utcnow())
    except OpenHoursError:
        return False


def nearby(
    lat: float,
    lng: float,
    *,
    limit: int = search.DEFAULT_LIMIT,
    amenities=(),
    open_now=False,
    radius_m: float | None = None,
    now: datetime | None = None,
) -> list[Found]:
    """The nearest stations as objects, nearest first (one query to load them)."""
    hits = search.nearest(
        lat, lng, limit=limit, mask=amenity_mask(amenities), open_now=open_now, radius_m=radius_m, now=now
    )
    by_id = {
        s.id: s
        for s in db.session.scalars(
            select(Station).where(Station.id.in_([h.station_id for h in hits])).options(joinedload(Station.union))
        )
    }
    return [Found(by_id[h.station_id], h.distance_m, h.open_now) for h in hits if h.station_id in by_id]


def nearby_summaries(
    lat: float,
    lng: float,
    *,
    limit: int = search.DEFAULT_LIMIT,
    amenities=(),
    open_now=False,
    radius_m: float | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """The nearest stations as plain dicts for the API: one light query, no ORM objects."""
    hits = search.nearest(
        lat, lng, limit=limit, mask=amenity_mask(amenities), open_now=open_now, radius_m=radius_m, now=now
    )
    return [
        {
            "id": h.station_id,
            "name": h.row[4],
            "address": h.row[5],
            "lat": h.row[1],
            "lng": h.row[2],
            "distance_m": round(h.distance_m),
            "amenities": amenity_codes(h.row[6]),
            "open_now": h.open_now,
        }
        for h in hits
    ]


def search_by_keyword(
    query: str,
    *,
    amenities=(),
    open_now=False,
    limit: int = 50,
    near: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> list[Found]:
    """Stations whose name or address contains ``query``; nearest first when a point is known."""
    query = clean_line(query)[:30].replace("%", "").replace("_", "")
    if not query:
        return []
    mask = amenity_mask(amenities)
    stmt = (
        select(Station)
        .where(Station.is_active.is_(True), or_(Station.name.like(f"%{query}%"), Station.address.like(f"%{query}%")))
        .where(Station.amenity_mask.op("&")(mask) == mask)
        .options(joinedload(Station.union))
        .order_by(Station.name)
        .limit(500)
    )
    now = now or utcnow()
    found = []
    for station in db.session.scalars(stmt):
        is_open = is_open_now(station, now)
        if open_now and not is_open:
            continue
        distance = haversine_m(near[0], near[1], station.lat, station.lng) if near is not None else None
        found.append(Found(station, distance, is_open))
    if near is not None:
        found.sort(key=lambda f: (f.distance_m, f.station.id))
    return found[:limit]


def get_public(station_id: int) -> Station:
    station = db.session.scalars(
        select(Station).where(Station.id == station_id, Station.is_active.is_(True)).options(joinedload(Station.union))
    ).first()
    if station is None:
        raise NotFound()
    return station


def open_reports(station: Station) -> list[StationReport]:
    stmt = (
        select(StationReport)
        .where(StationReport.station_id == station.id, StationReport.status == "open")
        .order_by(StationReport.created_at.desc())
    )
    return list(db.session.scalars(stmt))


def centre_of(code: str | None) -> tuple[float, float, str] | None:
    """(lat, lng, name) of a city or county to search around, from the union tree."""
    union = unions.find_by_code(code)
    if union is None or union.lat is None or union.level not in ("city", "county"):
        return None
    return union.lat, union.lng, union.name.removesuffix("总工会")


# --- Managing (staff, within their scope) -----------------------------------------------------------------


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
    lat = _coordinate(data.get("lat"), -90, 90, "lat")
    lng = _coordinate(data.get("lng"), -180, 180, "lng")
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


def _coordinate(value, low: float, high: float, field: str) -> float:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        message = (
            _l("Latitude must be a number between -90 and 90.")
            if field == "lat"
            else _l("Longitude must be a number between -180 and 180.")
        )
        raise InvalidInput(message, field=field)
    return number


def _union_for(actor, union_code: str | None) -> Union:
    """The station's union: the one named (which must be in the actor's scope) or the actor's own."""
    if union_code:
        union = unions.find_by_code(union_code)
        if union is None:
            raise InvalidInput(_l("There is no union with this code."), field="union_code")
    elif actor is not None and actor.role == "staff":
        union = actor.union
    else:
        union = unions.root()
    if actor is not None and not scope.may_act_on(actor, union):
        raise InvalidInput(_l("This union is outside the part of the union tree you manage."), field="union_code")
    return union


def create_station(actor, data: dict) -> Station:
    """Staff add a station to a union in their subtree."""
    fields = clean_station_fields(data)
    union = _union_for(actor, data.get("union_code"))
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
    fields = clean_station_fields(data)
    union = _union_for(actor, data.get("union_code") or station.union.code)
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


def open_report_counts(station_ids: list[int]) -> dict[int, int]:
    if not station_ids:
        return {}
    stmt = (
        select(StationReport.station_id, func.count(StationReport.id))
        .where(StationReport.station_id.in_(station_ids), StationReport.status == "open")
        .group_by(StationReport.station_id)
    )
    return dict(db.session.execute(stmt).all())


def export_csv(actor) -> str:
    """The stations in the actor's scope (all of them for the command line, actor None) as CSV,
    with a BOM so that Excel reads the Chinese right."""
    stmt = select(Station).options(joinedload(Station.union))
    if actor is not None:
        stmt = scope.scoped(stmt, actor, Station.union_id)
    rows = (
        [
            s.name,
            s.address,
            f"{s.lat:.6f}",
            f"{s.lng:.6f}",
            ";".join(amenity_codes(s.amenity_mask)),
            s.open_hours,
            s.union.code,
            s.external_id or "",
            s.phone or "",
        ]
        for s in db.session.scalars(stmt.order_by(Station.id))
    )
    return exports.csv_text(EXPORT_COLUMNS, rows)


# --- Problem reports -----------------------------------------------------------------------------------------


def report_problem(user, station: Station, *, kind: str, text: str | None) -> StationReport:
    """A worker tells the station's union that something is wrong there."""
    if kind not in REPORT_KINDS:
        raise InvalidInput(_l("Please choose what is wrong."), field="kind")
    text = clean_prose(text)
    if kind == "other" and not text:
        raise InvalidInput(_l("Please describe the problem."), field="text")
    if len(text) > 500:
        raise InvalidInput(_l("At most 500 characters."), field="text")
    report = StationReport(station=station, reporter_id=user.id, kind=kind, text=text)
    db.session.add(report)
    db.session.flush()
    return report


def reports_in_scope(actor, *, status: str = "open", page: int = 1, per_page: int = 20):
    stmt = (
        select(StationReport)
        .join(StationReport.station)
        .options(joinedload(StationReport.station).joinedload(Station.union), joinedload(StationReport.reporter))
        .order_by(StationReport.created_at.desc(), StationReport.id.desc())
    )
    stmt = scope.scoped(stmt, actor, Station.union_id)
    if status in ("open", "resolved"):
        stmt = stmt.where(StationReport.status == status)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def resolve_report(actor, report_id: int, note: str | None) -> StationReport:
    stmt = scope.scoped(
        select(StationReport).join(StationReport.station).where(StationReport.id == report_id), actor, Station.union_id
    )
    report = db.session.scalars(stmt).first()
    if report is None:
        raise NotFound()
    note = clean_prose(note)[:500] or None
    result = db.session.execute(
        update(StationReport)
        .where(StationReport.id == report.id, StationReport.status == "open")
        .values(status="resolved", resolved_at=utcnow(), resolved_by_id=actor.id, resolution_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(_l("This report has already been resolved."))
    db.session.refresh(report)
    audit.record(
        "station_report.resolved",
        report,
        actor=actor,
        union_id=report.station.union_id,
        from_state="open",
        to_state="resolved",
        note=note,
    )
    return report


# --- Navigation ----------------------------------------------------------------------------------------------

NAV_SOURCE = "gonghui.portal"  # the "src"/"referer" the map apps ask callers to name themselves with


@dataclass(frozen=True)
class NavLink:
    app: str  # "amap", "baidu", "tencent"
    label: object
    url: str
    lat: float  # the coordinates in the app's own datum, as put in the URL
    lng: float


def navigation_links(station: Station) -> list[NavLink]:
    """Links that open 高德地图 / 百度地图 / 腾讯地图 at the station.

    Stored coordinates are WGS-84; AMap and Tencent draw in GCJ-02, Baidu in BD-09,
    so each link carries the coordinates converted for its app (documented URI APIs:
    uri.amap.com/marker, api.map.baidu.com/marker, apis.map.qq.com/uri/v1/marker).
    """
    name, address = quote(station.name), quote(station.address)
    g_lat, g_lng = wgs84_to_gcj02(station.lat, station.lng)
    b_lat, b_lng = wgs84_to_bd09(station.lat, station.lng)
    return [
        NavLink(
            "amap",
            _l("AMap (Gaode)"),
            f"https://uri.amap.com/marker?position={g_lng:.6f},{g_lat:.6f}&name={name}&src={NAV_SOURCE}"
            "&coordinate=gaode&callnative=1",
            g_lat,
            g_lng,
        ),
        NavLink(
            "baidu",
            _l("Baidu Maps"),
            f"https://api.map.baidu.com/marker?location={b_lat:.6f},{b_lng:.6f}&title={name}&content={address}"
            f"&output=html&coord_type=bd09ll&src={NAV_SOURCE}",
            b_lat,
            b_lng,
        ),
        NavLink(
            "tencent",
            _l("Tencent Maps"),
            f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{g_lat:.6f},{g_lng:.6f};title:{name};"
            f"addr:{address}&referer={NAV_SOURCE}",
            g_lat,
            g_lng,
        ),
    ]
