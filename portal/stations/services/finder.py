"""Finding stations: the nearest ones around a point (as light cards), by name or address, whether
each is open now, and where a search starts (a district's centre, the person's work district).

The nearest-station search itself is in ``portal.stations.search``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from portal.core.db import utcnow
from portal.core.geo import haversine_m
from portal.core.hours import OpenHoursError, is_open_at, next_opening, parse_open_hours
from portal.core.validators import clean_line
from portal.extensions import db
from portal.stations import search
from portal.stations.models import Station, amenity_codes, amenity_mask
from portal.unions import services as unions
from portal.unions.models import Union


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


# --- Where a search starts ------------------------------------------------------------------------


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
