"""Station rules: finding, showing, managing within scope, export.

The nearest-station search is in ``search.py``, the CSV import in ``importer.py`` and the
problem reports in ``reports.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from portal.core import audit, exports, scope
from portal.core.db import utcnow
from portal.core.errors import NotAllowed, NotFound
from portal.core.geo import haversine_m, wgs84_to_bd09, wgs84_to_gcj02
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, clean_line, decimal_or_none
from portal.extensions import db
from portal.stations import search
from portal.stations.hours import OpenHoursError, is_open_at, next_opening, normalise_open_hours, parse_open_hours
from portal.stations.models import (
    AMENITIES,
    Station,
    amenity_codes,
    amenity_mask,
)
from portal.unions import services as unions
from portal.unions.models import Union

EXPORT_COLUMNS = ("name", "address", "lat", "lng", "amenities", "open_hours", "union_code", "external_id", "phone")


# --- Finding --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What a visitor is told about a station now: open, resting until ``opens_at`` (outside its
    hours), or suspended (staff closed it for a while: 暂停开放)."""

    state: str  # "open", "resting", "suspended"
    opens_at: datetime | None = None  # Asia/Shanghai, when resting

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class Found:
    station: Station | Card
    distance_m: float | None
    status: Status

    @property
    def open_now(self) -> bool:
        return self.status.is_open


def station_status(station: Station | Card, now: datetime | None = None) -> Status:
    if station.is_suspended:
        return Status("suspended")
    now = now or utcnow()
    try:
        schedule = parse_open_hours(station.open_hours)
    except OpenHoursError:  # stored hours are checked on the way in; never fail a page on one
        return Status("resting")
    if is_open_at(schedule, now):
        return Status("open")
    return Status("resting", next_opening(schedule, now))


def is_open_now(station: Station, now: datetime | None = None) -> bool:
    return station_status(station, now).is_open


@dataclass(frozen=True)
class Card:
    """What a list or a map shows of a station: read with the search, without ORM objects."""

    id: int
    lat: float
    lng: float
    open_hours: str
    name: str
    address: str
    amenity_mask: int
    is_suspended: bool = False
    public_notice: str | None = None

    @property
    def amenities(self) -> list[str]:
        return amenity_codes(self.amenity_mask)


def _nearest(lat, lng, *, limit, mask, open_now, radius_m, now) -> list[search.Hit]:
    """``search.nearest``, where a station staff closed for now is not open whatever its hours say.

    The search judges opening hours only; with "open now" asked, suspended stations are dropped
    and the search asked again for as many more (rarely needed: few stations are suspended).
    """
    want = limit
    while True:
        hits = search.nearest(lat, lng, limit=want, mask=mask, open_now=open_now, radius_m=radius_m, now=now)
        if not open_now:
            return hits
        kept = [h for h in hits if not _suspended(h)]
        if len(kept) == len(hits) or len(kept) >= limit or len(hits) < want or want >= search.MAX_LIMIT:
            return kept[:limit]
        want = min(search.MAX_LIMIT, limit + len(hits) - len(kept))


def _suspended(hit: search.Hit) -> bool:
    return bool(hit.row[7])


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
    """The nearest stations as cards, nearest first, straight from the search's rows (no ORM objects)."""
    now = now or utcnow()
    hits = _nearest(lat, lng, limit=limit, mask=amenity_mask(amenities), open_now=open_now, radius_m=radius_m, now=now)
    found = []
    for h in hits:
        card = Card(*h.row[:7], bool(h.row[7]), h.row[8])
        found.append(Found(card, h.distance_m, station_status(card, now)))
    return found


@dataclass(frozen=True)
class Nearby:
    """The finder's answer around a point: the stations within the radius, and — only when
    fewer than asked lie within it — a few beyond it, to be shown apart as far ones."""

    near: list[Found]
    far: list[Found]
    radius_m: float


FAR_SHOWN = 5


def nearby_within(
    lat: float, lng: float, *, radius_m: float, limit: int = search.DEFAULT_LIMIT, amenities=(), open_now=False
) -> Nearby:
    found = nearby(lat, lng, limit=limit, amenities=amenities, open_now=open_now)
    near = [f for f in found if f.distance_m <= radius_m]
    return Nearby(near, found[len(near) :][:FAR_SHOWN], radius_m)


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
    now = now or utcnow()
    hits = _nearest(lat, lng, limit=limit, mask=amenity_mask(amenities), open_now=open_now, radius_m=radius_m, now=now)
    return [
        {
            "id": h.station_id,
            "name": h.row[4],
            "address": h.row[5],
            "lat": h.row[1],
            "lng": h.row[2],
            "distance_m": round(h.distance_m),
            "amenities": amenity_codes(h.row[6]),
            "open_now": h.open_now and not _suspended(h),
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
        .order_by(Station.name)
        .limit(500)
    )
    now = now or utcnow()
    found = []
    for station in db.session.scalars(stmt):
        status = station_status(station, now)
        if open_now and not status.is_open:
            continue
        distance = haversine_m(near[0], near[1], station.lat, station.lng) if near is not None else None
        found.append(Found(station, distance, status))
    if near is not None:
        found.sort(key=lambda f: (f.distance_m, f.station.id))
    return found[:limit]


MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL, where a larger number is an error


def get_public(station_id: int) -> Station:
    if not 0 < station_id <= MAX_ID:
        raise NotFound()
    station = db.session.scalars(
        select(Station).where(Station.id == station_id, Station.is_active.is_(True)).options(joinedload(Station.union))
    ).first()
    if station is None:
        raise NotFound()
    return station


def centre_of(code: str | None) -> tuple[float, float, str] | None:
    """(lat, lng, name) of a city or county to search around, from the union tree."""
    union = unions.find_by_code(code)
    if union is None or union.lat is None or union.level not in ("city", "county"):
        return None
    return union.lat, union.lng, union.name.removesuffix("总工会")


def work_district_code(user) -> str | None:
    """The code of the county union of the district someone works in, when the portal knows it:
    from their membership's union, else from what they gave on a membership application."""
    if not getattr(user, "is_authenticated", False):
        return None
    from portal.membership import services as membership

    region = None
    current = membership.membership_of(user)
    if current is not None and current.status == "active":
        region = db.session.scalar(select(Union.region_code).where(Union.id == current.union_id))
    if not region:
        region = next(
            (a.work_region_code for a in membership.applications_of(user) if getattr(a, "work_region_code", None)), None
        )
    if not region:
        return None
    return db.session.scalar(select(Union.code).where(Union.level == "county", Union.region_code == region).limit(1))


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
    # Stored to 7 decimals (about 1 cm): what a phone's GPS can tell, and never a subnormal float.
    number = decimal_or_none(value, low=low, high=high, places=7)
    if number is None:
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


def clean_notice_fields(data: dict) -> dict:
    """What staff tell visitors: a notice and whether the station is closed for now (staff form only)."""
    return {
        "public_notice": clean_line(data.get("public_notice"), max_length=200, field="public_notice") or None,
        "is_suspended": bool(data.get("is_suspended")),
    }


def create_station(actor, data: dict) -> Station:
    """Staff add a station to a union in their subtree."""
    fields = clean_station_fields(data) | clean_notice_fields(data)
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
    fields = clean_station_fields(data) | clean_notice_fields(data)
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


def export_rows(actor):
    """The stations in the actor's scope (all of them for the command line, actor None), as rows
    of EXPORT_COLUMNS — the importer's own format, so an export can be edited and imported back.
    Write them with ``core.exports`` (formula-safe cells; the importer takes the guards off)."""
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
    return rows


def export_csv(actor) -> str:
    """``export_rows`` as CSV text, with a BOM so that Excel reads the Chinese right."""
    return exports.csv_text(EXPORT_COLUMNS, export_rows(actor))


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
