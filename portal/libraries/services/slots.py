"""Visit slots: a library's opening hours cut into pieces of ``slot_minutes``, each with
``places_per_slot`` places.

* Slots come from ``core.hours``: each opening range is cut from its start into whole slots; a
  remainder too short for a slot is not offered. A range that runs past midnight (``22:00-02:00``)
  is one range: its slots continue across midnight, and each slot belongs to the day it starts.
* A slot is closed when the day it starts is a closure of the library (``LibraryClosure``) or a
  public holiday (``core.time.public_holidays``), or the library is not active.
* A slot's places are the capacity pool ``visit:<library id>:<start, UTC>``, made at the first
  booking with the library's places per slot then; a slot nobody has booked has all its places
  free (and takes the library's current number of places).
* A booking works out only the slot it asks for (``slot_at``): its times and whether the library is
  closed that day (``CLOSED_ON``, read with the library), not its places — the booking's guarded
  statement gives a place or a place in line.
* Times are computed on the Beijing-time clock and returned as aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, exists, func, or_, select

from portal.core.capacity import CapacityClaim, CapacityPool
from portal.core.db import utcnow
from portal.core.hours import LOCAL_ZONE, MINUTES_PER_DAY, OpenHoursError, Schedule, parse_open_hours
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import CalendarDay, local_today, public_holidays
from portal.extensions import db
from portal.libraries.models import Library, LibraryClosure

SLOT_STATES = ("bookable", "full", "started", "closed")


@dataclass(frozen=True)
class Slot:
    """One slot of one library: when (UTC), its places, and whether it can be booked now."""

    library_id: int
    start: datetime
    end: datetime
    capacity: int
    taken: int
    waiting: int
    state: str  # bookable, full, started or closed

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def key(self) -> str:
        return pool_key(self.library_id, self.start)


def pool_key(library_id: int, start: datetime) -> str:
    """The capacity pool of a slot: ``visit:3:2026-12-05T01:00Z`` (the start in UTC)."""
    return f"visit:{library_id}:{start.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"


def _schedule(open_hours: str) -> Schedule | None:
    try:
        return parse_open_hours(open_hours)
    except OpenHoursError:  # stored hours were checked on the way in; never fail a page on one
        return None


def _ranges_starting_on(schedule: Schedule, weekday: int) -> list[tuple[int, int]]:
    """The opening ranges that begin on ``weekday``, in minutes from that day's midnight; a range
    running past midnight ends after 1440 (``core.hours`` splits it at midnight: joined here)."""
    intervals = schedule.intervals
    before, after = (weekday - 1) % 7, (weekday + 1) % 7
    runs_into_today = any(d == before and end == MINUTES_PER_DAY for d, _s, end in intervals)
    ranges = []
    for day, start, end in intervals:
        if day != weekday:
            continue
        if start == 0 and end < MINUTES_PER_DAY and runs_into_today:
            continue  # the end of yesterday's range
        if end == MINUTES_PER_DAY:
            tail = [e for d, s, e in intervals if d == after and s == 0 and e < MINUTES_PER_DAY]
            if tail:
                end += tail[0]
        ranges.append((start, end))
    return ranges


def slot_times(open_hours: str, slot_minutes: int, day: date) -> list[tuple[datetime, datetime]]:
    """The slots (start, end: UTC) that begin on ``day`` (Asia/Shanghai), without places or states."""
    schedule = _schedule(open_hours)
    if schedule is None or slot_minutes <= 0:
        return []
    found = []
    for first in (day - timedelta(days=1), day):  # yesterday's overnight range may reach into today
        midnight = datetime.combine(first, time.min, tzinfo=LOCAL_ZONE)
        for start, end in _ranges_starting_on(schedule, first.weekday()):
            minute = start
            while minute + slot_minutes <= end:
                begins = midnight + timedelta(minutes=minute)  # no daylight saving in Asia/Shanghai
                if begins.date() == day:
                    found.append((begins.astimezone(UTC), (begins + timedelta(minutes=slot_minutes)).astimezone(UTC)))
                minute += slot_minutes
    return sorted(found)


def closed_days(library_ids: list[int], first: date, last: date) -> dict[int, set[date]]:
    """For each library, the days from ``first`` to ``last`` it is closed (its closures and the
    public holidays). Two queries whatever the number of libraries."""
    holidays = public_holidays(first, last)
    closed: dict[int, set[date]] = {library_id: set(holidays) for library_id in library_ids}
    if library_ids:
        rows = db.session.execute(
            select(LibraryClosure.library_id, LibraryClosure.day).where(
                LibraryClosure.library_id.in_(library_ids), LibraryClosure.day >= first, LibraryClosure.day <= last
            )
        )
        for library_id, day in rows:
            closed[library_id].add(day)
    return closed


def closure_reason(library_id: int, day: date) -> str | None:
    """Why the library is closed on ``day`` (the closure's reason, or "public holiday"; "" when
    staff gave none), or None when it is not closed."""
    reason = db.session.scalar(
        select(LibraryClosure.reason).where(LibraryClosure.library_id == library_id, LibraryClosure.day == day)
    )
    if reason is not None:
        return reason
    if public_holidays(day, day):
        return str(_l("Public holiday"))
    return None


def pool_counts(keys: list[str]) -> dict[str, tuple[int, int, int]]:
    """(capacity, taken, waiting) of the pools among ``keys`` that exist: one query."""
    if not keys:
        return {}
    rows = db.session.execute(
        select(CapacityPool.key, CapacityPool.capacity, CapacityPool.taken, func.count(CapacityClaim.id))
        .outerjoin(CapacityClaim, and_(CapacityClaim.pool_id == CapacityPool.id, CapacityClaim.status == "waiting"))
        .where(CapacityPool.key.in_(keys))
        .group_by(CapacityPool.id, CapacityPool.key, CapacityPool.capacity, CapacityPool.taken)
    )
    return {key: (capacity, taken, waiting) for key, capacity, taken, waiting in rows}


def _state(start: datetime, capacity: int, taken: int, now: datetime, closed: bool) -> str:
    if closed:
        return "closed"
    if start <= now:
        return "started"
    if taken >= capacity:
        return "full"
    return "bookable"


def slots_for_day(library: Library, day: date, now: datetime | None = None) -> list[Slot]:
    """The library's slots that begin on ``day`` (Asia/Shanghai), with their places and states."""
    now = now or utcnow()
    times = slot_times(library.open_hours, library.slot_minutes, day)
    if not times:
        return []
    closed = not library.is_active or day in closed_days([library.id], day, day)[library.id]
    counts = pool_counts([pool_key(library.id, start) for start, _end in times])
    slots = []
    for start, end in times:
        capacity, taken, waiting = counts.get(pool_key(library.id, start), (library.places_per_slot, 0, 0))
        slots.append(
            Slot(library.id, start, end, capacity, taken, waiting, _state(start, capacity, taken, now, closed))
        )
    return slots


# Whether a library is closed on a day — its closure, or a public holiday (the ``calendar_days`` rows
# that core.time.public_holidays reads): one SQL condition, built once, with the parameters
# ``library`` and ``day``. A booking asks it in the query that loads the library.
_closures, _calendar = LibraryClosure.__table__, CalendarDay.__table__
CLOSED_ON = or_(
    exists().where(_closures.c.library_id == bindparam("library"), _closures.c.day == bindparam("day")),
    exists().where(_calendar.c.day == bindparam("day"), _calendar.c.kind == "holiday"),
)
_CLOSED_ON = select(CLOSED_ON)


def slot_at(
    library: Library, start: datetime, now: datetime | None = None, *, closed: bool | None = None
) -> tuple[datetime, str] | None:
    """The end and state of the library's slot beginning at ``start`` (an aware datetime), or None
    when no slot begins then — without its places (no pool read): ``closed``, ``started`` or
    ``bookable``, which here includes full (a booking then waits in line). Only that slot is worked
    out: its day's times, then whether the library is closed that day (inactive, a closure, a public
    holiday: ``closed`` when the caller has read ``CLOSED_ON`` already, else one query)."""
    now = now or utcnow()
    day = local_today(start)
    end = next((e for s, e in slot_times(library.open_hours, library.slot_minutes, day) if s == start), None)
    if end is None:
        return None
    if closed is None:
        closed = bool(db.session.execute(_CLOSED_ON, {"library": library.id, "day": day}).scalar())
    if closed or not library.is_active:
        return end, "closed"
    return end, "started" if start <= now else "bookable"


def bookable_days(now: datetime | None = None) -> list[date]:
    """Today and the LIBRARY_BOOK_DAYS_AHEAD days after it (Asia/Shanghai): the days one may book."""
    today = local_today(now or utcnow())
    return [today + timedelta(days=n) for n in range(current_app.config["LIBRARY_BOOK_DAYS_AHEAD"] + 1)]


def free_places_today(library_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """For each library, the free places in today's slots that have not begun yet (0 when it is
    closed today). Four queries whatever the number of libraries (the list page asks for 20)."""
    now = now or utcnow()
    ids = sorted(set(library_ids))
    if not ids:
        return {}
    today = local_today(now)
    libraries = db.session.execute(
        select(Library.id, Library.open_hours, Library.slot_minutes, Library.places_per_slot, Library.is_active).where(
            Library.id.in_(ids)
        )
    ).all()
    closed = closed_days(ids, today, today)
    upcoming: dict[int, list[str]] = {}
    places: dict[int, int] = {}
    for library_id, open_hours, slot_minutes, places_per_slot, is_active in libraries:
        places[library_id] = places_per_slot
        if not is_active or today in closed[library_id]:
            upcoming[library_id] = []
            continue
        upcoming[library_id] = [
            pool_key(library_id, start) for start, _end in slot_times(open_hours, slot_minutes, today) if start > now
        ]
    counts = pool_counts([key for keys in upcoming.values() for key in keys])
    free = dict.fromkeys(ids, 0)
    for library_id, keys in upcoming.items():
        total = 0
        for key in keys:
            capacity, taken, _waiting = counts.get(key, (places[library_id], 0, 0))
            total += max(capacity - taken, 0)
        free[library_id] = total
    return free


__all__ = [
    "CLOSED_ON",
    "SLOT_STATES",
    "Slot",
    "bookable_days",
    "closed_days",
    "closure_reason",
    "free_places_today",
    "pool_counts",
    "pool_key",
    "slot_at",
    "slot_times",
    "slots_for_day",
]
