"""Visits (预约到馆): booking a slot, the waiting list, cancelling, and what people see of their
visits. The QR code and check-in at the desk are ``visit_desk``'s; the jobs runner's no-shows,
lapses and suspensions are ``visit_jobs``'.

The rules, in domain words:

* One may book today and the next LIBRARY_BOOK_DAYS_AHEAD days (Asia/Shanghai), a slot that has not
  begun, on a day the library is open, while one's bookings are not suspended.
* A person has at most LIBRARY_MAX_UPCOMING_VISITS upcoming visits (booked or waiting). That limit is
  a capacity pool of its own, ``visitor:<user id>`` (one claim per visit, held until the visit is
  over), so two bookings sent at once by one person cannot both pass it; its capacity follows the
  configuration (set by the statement that takes its place).
* A slot's places are the pool ``visit:<library>:<start>`` (``slots.pool_key``): a free place, else a
  place in line. One active booking per person and slot (the pools' unique claims).
* Cancelling is possible until the slot begins; the freed place goes at once to the first in line,
  who is booked and told.
* Each visit has a 6-character code (no 0/O/1/I/L), drawn so that no two visits share one (an INSERT
  that skips a code already taken, then draws again).

A booking is a few statements (a burst of bookers is CPU-bound): the library, whether it is closed
that day and the person's suspension in one query; the slot's place or place in line and the
quota's (``capacity.take_in``, each finding its pool by key); the visit.

Every change of a visit's status is a compare-and-set on it. Row locks are taken in one order —
the slot's pool and claim, then the visit, then the person's quota — so concurrent bookings,
cancellations, promotions, check-ins (``visit_desk``) and the jobs (``visit_jobs``) never wait on
each other in a circle (PostgreSQL). (A booking inserts its visit last, after the quota: a new row,
which nobody waits on. A lapse takes the visit before its claim, but only once the slot has begun,
when nothing else moves either.)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import joinedload, make_transient_to_detached

from portal.core import capacity
from portal.core.db import utcnow
from portal.core.errors import CapacityFull, Conflict, InvalidTransition, NotAllowed, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.notify import message_template, notify
from portal.core.time import LOCAL_ZONE, local_today
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.libraries.models import ACTIVE_VISIT_STATES, Library, LibrarySuspension, LibraryVisit
from portal.libraries.services import slots

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed at a desk
CODE_LENGTH = 6
MAX_ID = 2**31 - 1


STATUS_LABELS = {
    "booked": _l("Booked"),
    "waiting": _l("On the waiting list"),
    "cancelled": _l("Cancelled"),
    "checked_in": _l("Checked in"),
    "no_show": _l("Missed (no-show)"),
    "lapsed": _l("No place came free"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def local_span(start: datetime, end: datetime) -> str:
    """``2026-12-07 09:00–10:00`` in Beijing time: for messages, which are read in any language."""
    first, last = start.astimezone(LOCAL_ZONE), end.astimezone(LOCAL_ZONE)
    return f"{first:%Y-%m-%d %H:%M}–{last:%H:%M}"


def local_moment(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}"


# --- Booking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """What ``book`` did: the visit (booked or waiting) and, when waiting, its place in line."""

    visit: LibraryVisit
    position: int | None


_SUSPENSION_IN_FORCE = and_(
    LibrarySuspension.user_id == bindparam("user"),
    LibrarySuspension.starts_at <= bindparam("now"),
    LibrarySuspension.ends_at > bindparam("now"),
)
_ACTIVE_SUSPENSION = (
    select(LibrarySuspension).where(_SUSPENSION_IN_FORCE).order_by(LibrarySuspension.ends_at.desc()).limit(1)
)
# What a booking needs first, in one query: the library, whether it is closed on the slot's day, and
# the person's suspension in force if any.
_LIBRARY_FOR_BOOKING = (
    select(Library, slots.CLOSED_ON, LibrarySuspension)
    .outerjoin(LibrarySuspension, _SUSPENSION_IN_FORCE)
    .where(Library.id == bindparam("library"))
    .order_by(LibrarySuspension.ends_at.desc())
    .limit(1)
)


def _library_for_booking(
    library_id: int, day: date, user_id: int, now: datetime
) -> tuple[Library, bool, LibrarySuspension | None]:
    """The library, if it takes bookings (else ``NotFound``); whether it is closed on ``day``
    (``slots.CLOSED_ON``); the person's suspension in force."""
    row = None
    if 0 < library_id <= MAX_ID:
        params = {"library": library_id, "day": day, "user": user_id, "now": now}
        row = db.session.execute(_LIBRARY_FOR_BOOKING, params).first()
    if row is None or not row[0].is_active:
        raise NotFound(_l("This library does not exist or no longer takes bookings."))
    return row[0], bool(row[1]), row[2]


def active_suspension(user_id: int, now: datetime | None = None) -> LibrarySuspension | None:
    """The suspension in force for this person at ``now``, if any (the one ending last)."""
    return db.session.scalars(_ACTIVE_SUSPENSION, {"user": user_id, "now": now or utcnow()}).first()


def suspended_message(suspension: LibrarySuspension):
    return _l(
        "You cannot book library visits until %(until)s (Beijing time): you missed booked visits "
        "without cancelling them.",
        until=local_moment(suspension.ends_at),
    )


def _too_many_message(limit: int):
    return _l(
        "You already have %(limit)d upcoming library visits (booked or waiting), the most one may have. "
        "Cancel one or wait until it is over.",
        limit=limit,
    )


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _insert_visit(library: Library, **fields) -> LibraryVisit:
    """A new visit of ``library`` with a code nobody else's visit has (drawn again on the rare
    collision). One INSERT that skips a taken code; the visit comes back as a loaded object (its
    library too), without reading it."""
    now = utcnow()
    values = {
        **fields,
        "library_id": library.id,
        "created_at": now,
        "updated_at": now,
        "checked_in_at": None,
        "checked_in_by_id": None,
    }
    for _attempt in range(8):
        code = new_code()
        visit_id = capacity.insert_new(LibraryVisit, "code", {**values, "code": code})
        if visit_id is None:  # another visit has this code
            continue
        visit = LibraryVisit(id=visit_id, code=code, library=library, **values)
        make_transient_to_detached(visit)  # the row as just written: persistent once added, no SELECT
        db.session.add(visit)
        return visit
    raise Conflict(_l("Please try again."))  # pragma: no cover - 31^6 codes


def book(user, library_id: int, slot_start: datetime | None, now: datetime | None = None) -> Booking:
    """Book the slot of ``library_id`` beginning at ``slot_start``: a place if one is free, else a
    place on the waiting list. Refusals say why (no such slot, closed, begun, too far ahead,
    suspended, too many upcoming visits, already booked)."""
    now = now or utcnow()
    days_ahead = current_app.config["LIBRARY_BOOK_DAYS_AHEAD"]
    moment = slot_start is not None and slot_start.tzinfo is not None
    too_far = moment and slot_start - now > timedelta(days=days_ahead + 1)  # first: year 9999 has no Beijing date
    # The slot's day, read with the library (closures, holidays); any day when it is refused below.
    day = local_today(slot_start) if moment and not too_far else local_today(now)
    library, closed, suspension = _library_for_booking(library_id, day, user.id, now)
    if not moment:
        raise InvalidInput(_l("Please choose a slot."))
    if too_far or day > local_today(now) + timedelta(days=days_ahead):
        raise InvalidInput(_l("Visits can be booked at most %(days)d days ahead.", days=days_ahead))
    if now - slot_start > timedelta(days=1):
        raise InvalidInput(_l("This slot has already begun. Please choose a later one."))
    found = slots.slot_at(library, slot_start, now, closed=closed)
    if found is None:
        raise InvalidInput(_l("The library has no slot at that time. Please choose one of the slots shown."))
    slot_start, (slot_end, state) = slot_start.astimezone(UTC), found
    if state == "closed":
        raise InvalidInput(_l("The library is closed that day."))
    if state == "started":
        raise InvalidInput(_l("This slot has already begun. Please choose a later one."))
    if suspension is not None:
        raise NotAllowed(suspended_message(suspension))
    # Locks in the module's order: the slot's place (its pool's row), then the person's quota.
    slot_key = slots.pool_key(library.id, slot_start)
    try:
        place = capacity.take_in(slot_key, library.places_per_slot, f"user:{user.id}", wait=True)
    except Conflict:
        raise Conflict(_l("You have already booked this slot.")) from None
    limit = current_app.config["LIBRARY_MAX_UPCOMING_VISITS"]
    try:  # the quota's capacity follows the configuration: set by the statement that takes its place
        quota = capacity.take_in(f"visitor:{user.id}", limit, slot_key, wait=False, resize=True)
    except CapacityFull:
        raise CapacityFull(_too_many_message(limit)) from None
    except Conflict:  # pragma: no cover - the slot's own claim refuses first
        raise Conflict(_l("You have already booked this slot.")) from None
    visit = _insert_visit(
        library,
        user_id=user.id,
        slot_start=slot_start,
        slot_end=slot_end,
        status="booked" if place.status == "held" else "waiting",
        claim_id=place.claim_id,
        quota_claim_id=quota.claim_id,
    )
    return Booking(visit, place.in_line)


def _promoted(places: list[capacity.Place], now: datetime) -> list[LibraryVisit]:
    """The visits whose claims ``capacity`` just moved from the line to a place: booked, and told."""
    from portal.core.web import path_for

    moved = []
    for place in places:
        changed = db.session.execute(
            update(LibraryVisit)
            .where(LibraryVisit.claim_id == place.claim_id, LibraryVisit.status == "waiting")
            .values(status="booked", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:
            continue
        visit = db.session.scalars(
            select(LibraryVisit)
            .where(LibraryVisit.claim_id == place.claim_id)
            .options(joinedload(LibraryVisit.library), joinedload(LibraryVisit.user))
            .execution_options(populate_existing=True)
        ).one()
        notify(
            visit.user,
            "library.visit_promoted",
            link=path_for("libraries.visit", visit_id=visit.id),
            library=visit.library.name,
            when=local_span(visit.slot_start, visit.slot_end),
            code=visit.code,
        )
        moved.append(visit)
    return moved


def visit_of(user, visit_id: int) -> LibraryVisit:
    """The person's own visit, else 404 (someone else's visit does not exist for them)."""
    visit = None
    if user is not None and getattr(user, "is_authenticated", False) and 0 < visit_id <= MAX_ID:
        visit = db.session.scalars(
            select(LibraryVisit)
            .where(LibraryVisit.id == visit_id, LibraryVisit.user_id == user.id)
            .options(joinedload(LibraryVisit.library))
        ).first()
    if visit is None:
        raise NotFound()
    return visit


def cancel(user, visit_id: int, now: datetime | None = None) -> LibraryVisit:
    """Cancel one's booking (or one's place in line) until the slot begins. The place goes to the
    first in line, who is booked and told."""
    now = now or utcnow()
    visit = visit_of(user, visit_id)
    if visit.status not in ACTIVE_VISIT_STATES:
        raise InvalidTransition(
            _l("This booking cannot be cancelled: it is %(status)s.", status=status_label(visit.status))
        )
    if now >= visit.slot_start:
        raise InvalidTransition(_l("The slot has begun: a booking can be cancelled only until it begins."))
    promoted = capacity.release(visit.claim_id)  # the slot's claim (and pool) first: see the module's notes
    changed = db.session.execute(
        update(LibraryVisit)
        .where(LibraryVisit.id == visit.id, LibraryVisit.status.in_(ACTIVE_VISIT_STATES))
        .values(status="cancelled", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # checked in at this very moment: the whole cancellation rolls back
        raise InvalidTransition()
    if visit.quota_claim_id is not None:
        capacity.release(visit.quota_claim_id)
    _promoted(promoted, now)
    db.session.refresh(visit)
    return visit


# --- What people see --------------------------------------------------------------------------------


def position_of(visit: LibraryVisit) -> int | None:
    """1 for the first in line …; None unless the visit is waiting."""
    return capacity.position_in_line(visit.claim_id) if visit.status == "waiting" else None


def register(app) -> None:
    """The message of a booking made from the waiting list."""
    message_template(
        "library.visit_promoted",
        _l("You have a place at %(library)s"),
        _l(
            "A place came free on the waiting list: your visit %(when)s is booked. Show its QR code or "
            "the code %(code)s at the desk."
        ),
    )


__all__ = [
    "CODE_ALPHABET",
    "STATUS_LABELS",
    "Booking",
    "active_suspension",
    "book",
    "cancel",
    "local_moment",
    "local_span",
    "position_of",
    "register",
    "status_label",
    "suspended_message",
    "visit_of",
]
