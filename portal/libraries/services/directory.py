"""The libraries themselves: the nearest ones to a point (the shared exact search), whether each is
open now, one library for the public, and staff keeping theirs (hours, slots, closures, partner
rest stations) within their part of the union tree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from portal.core import audit, scope
from portal.core.db import utcnow
from portal.core.errors import NotAllowed, NotFound
from portal.core.hours import OpenHoursError, is_open_at, next_opening, normalise_open_hours, parse_open_hours
from portal.core.i18n import lazy_gettext as _l
from portal.core.nearest import PlaceIndex, nearest
from portal.core.validators import InvalidInput, clean_line, parse_coordinate, parse_int
from portal.extensions import db
from portal.libraries.models import Library, LibraryClosure, LibraryPartnerStation
from portal.stations import services as stations
from portal.unions import services as unions

MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 20
MAX_LIMIT = 50

_COLUMNS = "l.id, l.lat, l.lng, l.open_hours, l.name, l.address, l.notice"
LIBRARIES = PlaceIndex(
    sqlite_box=(
        f"SELECT {_COLUMNS} FROM library_rtree AS r JOIN libraries AS l ON l.id = r.id "
        "WHERE r.max_lat >= :south AND r.min_lat <= :north AND r.max_lng >= :west AND r.min_lng <= :east "
        "AND l.is_active"
    ),
    postgres_box=(
        f"SELECT {_COLUMNS} FROM libraries AS l "
        "WHERE point(l.lng, l.lat) <@ box(point(%(west)s, %(south)s), point(%(east)s, %(north)s)) AND l.is_active"
    ),
)


@dataclass(frozen=True)
class Status:
    """Open now, or resting until ``opens_at`` (Asia/Shanghai); closed today for a closure."""

    state: str  # "open", "resting", "closed_today"
    opens_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def status_of(open_hours: str, now: datetime | None = None, *, closed_today: bool = False) -> Status:
    if closed_today:
        return Status("closed_today")
    now = now or utcnow()
    try:
        schedule = parse_open_hours(open_hours)
    except OpenHoursError:  # stored hours are checked on the way in; never fail a page on one
        return Status("resting")
    if is_open_at(schedule, now):
        return Status("open")
    return Status("resting", next_opening(schedule, now))


@dataclass(frozen=True)
class Card:
    """What the list shows of a library, read with the search (no ORM objects)."""

    id: int
    lat: float
    lng: float
    open_hours: str
    name: str
    address: str
    notice: str | None
    distance_m: float | None
    status: Status


def nearest_libraries(lat: float, lng: float, *, limit: int = DEFAULT_LIMIT, now: datetime | None = None) -> list[Card]:
    """The ``limit`` nearest open-for-service libraries, nearest first (ties by id)."""
    now = now or utcnow()
    limit = max(1, min(int(limit), MAX_LIMIT))
    found = nearest(LIBRARIES, lat, lng, limit=limit)
    closed = closed_on([row[0] for _d, row in found], now)
    return [Card(*row, d, status_of(row[3], now, closed_today=row[0] in closed)) for d, row in found]


def all_libraries(*, limit: int = DEFAULT_LIMIT, now: datetime | None = None) -> list[Card]:
    """Without a location: every library, by name (a list; the finder asks for a place first)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            Library.id,
            Library.lat,
            Library.lng,
            Library.open_hours,
            Library.name,
            Library.address,
            Library.notice,
        )
        .where(Library.is_active.is_(True))
        .order_by(Library.name, Library.id)
        .limit(limit)
    ).all()
    closed = closed_on([r[0] for r in rows], now)
    return [Card(*row, None, status_of(row[3], now, closed_today=row[0] in closed)) for row in rows]


def closed_on(library_ids: list[int], now: datetime) -> set[int]:
    """Those of ``library_ids`` closed on the local day of ``now`` (a closure or a public holiday)."""
    from portal.core.time import is_public_holiday, local_today

    if not library_ids:
        return set()
    today = local_today(now)
    if is_public_holiday(today):
        return set(library_ids)
    return set(
        db.session.scalars(
            select(LibraryClosure.library_id).where(
                LibraryClosure.library_id.in_(library_ids), LibraryClosure.day == today
            )
        )
    )


def get_public(library_id: int) -> Library:
    if not 0 < library_id <= MAX_ID:
        raise NotFound()
    library = db.session.scalars(
        select(Library).where(Library.id == library_id, Library.is_active.is_(True)).options(joinedload(Library.union))
    ).first()
    if library is None:
        raise NotFound()
    return library


def partner_stations(library_id: int) -> list:
    """The rest stations where this library leaves reserved books (active ones, by name)."""
    ids = list(
        db.session.scalars(
            select(LibraryPartnerStation.station_id).where(LibraryPartnerStation.library_id == library_id)
        )
    )
    return stations.active_by_ids(ids)


def upcoming_closures(library_id: int, today: date, *, limit: int = 10) -> list[LibraryClosure]:
    return list(
        db.session.scalars(
            select(LibraryClosure)
            .where(LibraryClosure.library_id == library_id, LibraryClosure.day >= today)
            .order_by(LibraryClosure.day)
            .limit(limit)
        )
    )


# --- Staff ----------------------------------------------------------------------------------------


def staff_libraries(actor, *, query: str = "") -> list[Library]:
    """The libraries in the staff member's subtree, by name."""
    stmt = scope.scoped(select(Library), actor, Library.union_id).options(joinedload(Library.union))
    query = clean_line(query)[:30].replace("%", "").replace("_", "")
    if query:
        stmt = stmt.where(or_(Library.name.like(f"%{query}%"), Library.address.like(f"%{query}%")))
    return list(db.session.scalars(stmt.order_by(Library.name, Library.id).limit(200)))


def library_in_scope(actor, library_id: int) -> Library:
    """A library the staff member may manage, else 404 (never load-then-check)."""
    return scope.load_in_scope(Library, library_id, actor)


def clean_library_fields(data: dict) -> dict:
    """Check a library's fields (staff form, demo). Raises InvalidInput on the field concerned."""
    name = clean_line(data.get("name"), max_length=100, field="name")
    if not name:
        raise InvalidInput(_l("Please enter the library's name."), field="name")
    address = clean_line(data.get("address"), max_length=200, field="address")
    if not address:
        raise InvalidInput(_l("Please enter the address."), field="address")
    try:
        hours = normalise_open_hours(data.get("open_hours") or "")
    except OpenHoursError as exc:
        raise InvalidInput(exc.message, field="open_hours") from None
    if len(hours) > 200:
        raise InvalidInput(_l("The opening hours can have at most 200 characters."), field="open_hours")
    return {
        "name": name,
        "address": address,
        "lat": parse_coordinate(data.get("lat"), "lat"),
        "lng": parse_coordinate(data.get("lng"), "lng"),
        "open_hours": hours,
        "phone": clean_line(data.get("phone"), max_length=30, field="phone") or None,
        "notice": clean_line(data.get("notice"), max_length=200, field="notice") or None,
        "slot_minutes": parse_int(
            data.get("slot_minutes") or 60, low=15, high=240, field="slot_minutes", label=_l("Slot length")
        ),
        "places_per_slot": parse_int(
            data.get("places_per_slot") or 10, low=1, high=500, field="places_per_slot", label=_l("Places per slot")
        ),
    }


def create_library(actor, data: dict) -> Library:
    fields = clean_library_fields(data)
    union = unions.union_for_staff(actor, data.get("union_code"))
    library = Library(union=union, **fields)
    db.session.add(library)
    db.session.flush()
    audit.record("library.created", library, actor=actor, union_id=union.id)
    return library


def _require_scope(actor, library: Library) -> None:
    if actor is not None and not scope.may_act_on(actor, library):
        raise NotAllowed()


def update_library(actor, library: Library, data: dict) -> Library:
    """Change a library's details. Slots already booked keep their places: a new number of places
    per slot applies to slots nobody has booked yet."""
    _require_scope(actor, library)
    fields = clean_library_fields(data)
    union = unions.union_for_staff(actor, data.get("union_code") or library.union.code)
    for key, value in fields.items():
        setattr(library, key, value)
    library.union = union
    db.session.flush()
    audit.record("library.updated", library, actor=actor, union_id=union.id)
    return library


def set_active(actor, library: Library, active: bool) -> Library:
    _require_scope(actor, library)
    library.is_active = active
    db.session.flush()
    audit.record(
        "library.activated" if active else "library.deactivated", library, actor=actor, union_id=library.union_id
    )
    return library


def add_closure(actor, library: Library, day: date, reason: str, *, today: date) -> LibraryClosure:
    """Close a library for a day (new bookings for it are refused; people already booked keep
    their booking and are told by the caller)."""
    _require_scope(actor, library)
    if day < today:
        raise InvalidInput(_l("Choose today or a later day."), field="day")
    reason = clean_line(reason, max_length=100, field="reason")
    existing = db.session.scalar(
        select(LibraryClosure).where(LibraryClosure.library_id == library.id, LibraryClosure.day == day)
    )
    if existing is not None:
        existing.reason = reason
        db.session.flush()
        return existing
    closure = LibraryClosure(library_id=library.id, day=day, reason=reason)
    db.session.add(closure)
    db.session.flush()
    audit.record("library.closure_added", library, actor=actor, union_id=library.union_id, note=day.isoformat())
    return closure


def remove_closure(actor, library: Library, closure_id: int) -> bool:
    _require_scope(actor, library)
    removed = db.session.execute(
        delete(LibraryClosure).where(LibraryClosure.id == closure_id, LibraryClosure.library_id == library.id)
    ).rowcount
    if removed:
        audit.record("library.closure_removed", library, actor=actor, union_id=library.union_id)
    return bool(removed)


def set_partner_stations(actor, library: Library, station_ids: list[int]) -> None:
    """The rest stations where this library's staff leave reserved books: stations in the staff
    member's own subtree only."""
    _require_scope(actor, library)
    allowed = set(stations.ids_in_scope(actor, station_ids)) if station_ids else set()
    if set(station_ids) - allowed:
        raise InvalidInput(_l("Choose rest stations in the part of the union tree you manage."), field="stations")
    db.session.execute(delete(LibraryPartnerStation).where(LibraryPartnerStation.library_id == library.id))
    for station_id in sorted(allowed):
        db.session.add(LibraryPartnerStation(library_id=library.id, station_id=station_id))
    db.session.flush()
    audit.record("library.partners_set", library, actor=actor, union_id=library.union_id)
