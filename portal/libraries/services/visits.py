"""Visits (预约到馆): booking a slot, the waiting list, cancelling, the QR code and check-in at the
desk, and the jobs runner's no-shows, lapses and suspensions.

The rules, in domain words:

* One may book today and the next LIBRARY_BOOK_DAYS_AHEAD days (Asia/Shanghai), a slot that has not
  begun, on a day the library is open, while one's bookings are not suspended.
* A person has at most LIBRARY_MAX_UPCOMING_VISITS upcoming visits (booked or waiting). That limit is
  a capacity pool of its own, ``visitor:<user id>`` (one claim per visit, held until the visit is
  over), so two bookings sent at once by one person cannot both pass it; its capacity follows the
  configuration.
* A slot's places are the pool ``visit:<library>:<start>`` (``slots.pool_key``): a free place, else a
  place in line. One active booking per person and slot (the pools' unique claims).
* Cancelling is possible until the slot begins; the freed place goes at once to the first in line,
  who is booked and told.
* Each visit has a 6-character code (no 0/O/1/I/L) and a signed QR token; library staff in scope check
  the visit in from 30 minutes before the slot until it ends, once.
* The jobs runner marks booked visits not checked in LIBRARY_NO_SHOW_AFTER_MINUTES after the slot
  began as no-shows (cancelled instead when the library closed that day after all), ends the
  waiting of those still in line when it began (lapsed), and suspends booking for
  LIBRARY_SUSPENSION_DAYS after LIBRARY_NO_SHOW_LIMIT no-shows within LIBRARY_NO_SHOW_WINDOW_DAYS
  (no-shows before the person's last suspension began do not count again).

Every change of a visit's status is a compare-and-set on it. Row locks are taken in one order —
the slot's pool and claim, then the visit, then the person's quota — so concurrent bookings,
cancellations, promotions and check-ins never wait on each other in a circle (PostgreSQL). (A lapse
takes the visit before its claim, but only once the slot has begun, when nothing else moves either.)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.accounts import services as accounts
from portal.core import audit, capacity, scope
from portal.core.capacity import CapacityPool
from portal.core.db import utcnow, write_transaction
from portal.core.errors import CapacityFull, Conflict, InvalidTransition, NotAllowed, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import mask_name
from portal.core.notify import message_template, notify
from portal.core.time import LOCAL_ZONE, local_today, start_of_local_day
from portal.core.validators import InvalidInput, fold_fullwidth
from portal.extensions import db
from portal.libraries.models import ACTIVE_VISIT_STATES, Library, LibrarySuspension, LibraryVisit
from portal.libraries.services import slots

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed at a desk
CODE_LENGTH = 6
QR_SALT = "library-visit"
CHECK_IN_EARLY = timedelta(minutes=30)
JOB_BATCH = 200
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


def _local_moment(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}"


# --- Booking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """What ``book`` did: the visit (booked or waiting) and, when waiting, its place in line."""

    visit: LibraryVisit
    position: int | None


def _active_library(library_id: int) -> Library:
    library = db.session.get(Library, library_id) if 0 < library_id <= MAX_ID else None
    if library is None or not library.is_active:
        raise NotFound(_l("This library does not exist or no longer takes bookings."))
    return library


def active_suspension(user_id: int, now: datetime | None = None) -> LibrarySuspension | None:
    """The suspension in force for this person at ``now``, if any (the one ending last)."""
    now = now or utcnow()
    return db.session.scalars(
        select(LibrarySuspension)
        .where(
            LibrarySuspension.user_id == user_id, LibrarySuspension.starts_at <= now, LibrarySuspension.ends_at > now
        )
        .order_by(LibrarySuspension.ends_at.desc())
        .limit(1)
    ).first()


def suspended_message(suspension: LibrarySuspension):
    return _l(
        "You cannot book library visits until %(until)s (Beijing time): you missed booked visits "
        "without cancelling them.",
        until=_local_moment(suspension.ends_at),
    )


def _too_many_message(limit: int):
    return _l(
        "You already have %(limit)d upcoming library visits (booked or waiting), the most one may have. "
        "Cancel one or wait until it is over.",
        limit=limit,
    )


def _quota_pool(user_id: int) -> int:
    """The person's pool of upcoming visits, its capacity set to the configured limit (a limit
    lowered below what they hold already refuses, as a full pool does)."""
    limit = current_app.config["LIBRARY_MAX_UPCOMING_VISITS"]
    pool_id = capacity.ensure_pool(f"visitor:{user_id}", limit)
    current = db.session.scalar(select(CapacityPool.capacity).where(CapacityPool.id == pool_id))
    if current != limit:
        try:
            capacity.set_capacity(pool_id, limit)
        except Conflict:
            raise CapacityFull(_too_many_message(limit)) from None
    return pool_id


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _insert_visit(**fields) -> LibraryVisit:
    """A new visit with a code nobody else's visit has (drawn again on the rare collision)."""
    for _attempt in range(8):
        code = new_code()
        if db.session.scalar(select(LibraryVisit.id).where(LibraryVisit.code == code)) is not None:
            continue
        visit = LibraryVisit(code=code, **fields)
        try:
            with db.session.begin_nested():
                db.session.add(visit)
                db.session.flush()
        except IntegrityError:  # the same code drawn at the same moment by another booking
            continue
        return visit
    raise Conflict(_l("Please try again."))  # pragma: no cover - 31^6 codes


def book(user, library_id: int, slot_start: datetime | None, now: datetime | None = None) -> Booking:
    """Book the slot of ``library_id`` beginning at ``slot_start``: a place if one is free, else a
    place on the waiting list. Refusals say why (no such slot, closed, begun, too far ahead,
    suspended, too many upcoming visits, already booked)."""
    now = now or utcnow()
    library = _active_library(library_id)
    if slot_start is None or slot_start.tzinfo is None:
        raise InvalidInput(_l("Please choose a slot."))
    days_ahead = current_app.config["LIBRARY_BOOK_DAYS_AHEAD"]
    too_far = slot_start - now > timedelta(days=days_ahead + 1)  # first: year 9999 has no Beijing date
    if too_far or local_today(slot_start) > local_today(now) + timedelta(days=days_ahead):
        raise InvalidInput(_l("Visits can be booked at most %(days)d days ahead.", days=days_ahead))
    if now - slot_start > timedelta(days=1):
        raise InvalidInput(_l("This slot has already begun. Please choose a later one."))
    slot = slots.find_slot(library, slot_start, now)
    if slot is None:
        raise InvalidInput(_l("The library has no slot at that time. Please choose one of the slots shown."))
    if slot.state == "closed":
        raise InvalidInput(_l("The library is closed that day."))
    if slot.state == "started":
        raise InvalidInput(_l("This slot has already begun. Please choose a later one."))
    suspension = active_suspension(user.id, now)
    if suspension is not None:
        raise NotAllowed(suspended_message(suspension))
    # The slot's place first, then the person's quota: the order cancel and the jobs keep too.
    slot_pool = capacity.ensure_pool(slot.key, library.places_per_slot)
    already = Conflict(_l("You have already booked this slot."))
    try:
        place = capacity.take(slot_pool, f"user:{user.id}", wait=True)
    except Conflict:
        raise already from None
    limit = current_app.config["LIBRARY_MAX_UPCOMING_VISITS"]
    try:
        quota = capacity.take(_quota_pool(user.id), slot.key, wait=False)
    except CapacityFull:
        raise CapacityFull(_too_many_message(limit)) from None
    except Conflict:  # pragma: no cover - the slot's own claim refuses first
        raise already from None
    visit = _insert_visit(
        library_id=library.id,
        user_id=user.id,
        slot_start=slot.start,
        slot_end=slot.end,
        status="booked" if place.status == "held" else "waiting",
        claim_id=place.claim_id,
        quota_claim_id=quota.claim_id,
    )
    return Booking(visit, place.position)


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


@dataclass(frozen=True)
class VisitLine:
    """One of a person's visits, as their pages list them."""

    visit: LibraryVisit
    library_name: str
    upcoming: bool
    position: int | None  # in line, when waiting

    @property
    def status_label(self) -> str:
        return status_label(self.visit.status)


def visits_of(user, now: datetime | None = None, *, past_days: int = 60, past_limit: int = 10) -> list[VisitLine]:
    """The person's visits: upcoming ones (booked or waiting, slot not over) soonest first, then
    the others of the last ``past_days`` days, latest first (at most ``past_limit``)."""
    now = now or utcnow()
    upcoming = db.session.scalars(
        select(LibraryVisit)
        .where(
            LibraryVisit.user_id == user.id,
            LibraryVisit.status.in_(ACTIVE_VISIT_STATES),
            LibraryVisit.slot_end > now,
        )
        .options(joinedload(LibraryVisit.library))
        .order_by(LibraryVisit.slot_start, LibraryVisit.id)
    ).all()
    shown = {v.id for v in upcoming}
    past = db.session.scalars(
        select(LibraryVisit)
        .where(LibraryVisit.user_id == user.id, LibraryVisit.slot_start > now - timedelta(days=past_days))
        .options(joinedload(LibraryVisit.library))
        .order_by(LibraryVisit.slot_start.desc(), LibraryVisit.id.desc())
        .limit(past_limit + len(shown))
    ).all()
    lines = [VisitLine(v, v.library.name, True, position_of(v)) for v in upcoming]
    lines += [VisitLine(v, v.library.name, False, None) for v in past if v.id not in shown][:past_limit]
    return lines


def upcoming_count(user_id: int, now: datetime | None = None) -> int:
    now = now or utcnow()
    return db.session.scalar(
        select(func.count(LibraryVisit.id)).where(
            LibraryVisit.user_id == user_id,
            LibraryVisit.status.in_(ACTIVE_VISIT_STATES),
            LibraryVisit.slot_end > now,
        )
    )


def booked_slots(user_id: int, library_id: int, first: datetime, last: datetime) -> dict[datetime, LibraryVisit]:
    """The person's active visits at a library with slots beginning in [first, last), by start."""
    rows = db.session.scalars(
        select(LibraryVisit).where(
            LibraryVisit.user_id == user_id,
            LibraryVisit.library_id == library_id,
            LibraryVisit.status.in_(ACTIVE_VISIT_STATES),
            LibraryVisit.slot_start >= first,
            LibraryVisit.slot_start < last,
        )
    )
    return {v.slot_start: v for v in rows}


# --- The QR code --------------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=QR_SALT)


def token_max_age() -> timedelta:
    """A QR code made when the visit was booked still works on the day of the visit."""
    return timedelta(days=current_app.config["LIBRARY_BOOK_DAYS_AHEAD"] + 1)


def visit_token(visit: LibraryVisit, now: datetime | None = None) -> str:
    """A signed token naming the visit (and its code), made at ``now``: what the QR code carries."""
    issued = int((now or utcnow()).timestamp())
    return _serializer().dumps([visit.id, visit.code, issued])


def read_token(token: str, now: datetime | None = None) -> tuple[int, str]:
    """(visit id, code) from a token; a forged, altered or expired one is refused."""
    now = now or utcnow()
    try:
        visit_id, code, issued = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise InvalidInput(_l("This QR code is not a valid library booking."), field="code") from None
    if not (isinstance(visit_id, int) and isinstance(code, str) and isinstance(issued, int)):
        raise InvalidInput(_l("This QR code is not a valid library booking."), field="code")
    if now - datetime.fromtimestamp(issued, UTC) > token_max_age():
        raise InvalidInput(
            _l("This QR code has expired. Ask the visitor to open the booking again, or type its code."),
            field="code",
        )
    return visit_id, code


# --- Check-in at the desk ------------------------------------------------------------------------------


def library_for_staff(staff, library_id: int) -> Library:
    """A library in the staff member's subtree (admins: any), else 404."""
    library = None
    if 0 < library_id <= MAX_ID:
        library = db.session.scalars(
            scope.scoped(select(Library).where(Library.id == library_id), staff, Library.union_id)
        ).first()
    if library is None:
        raise NotFound()
    return library


def normalise_code(raw: str | None) -> str:
    return fold_fullwidth(raw or "").replace(" ", "").replace("-", "").strip().upper()


def _visit_for(raw: str | None, now: datetime) -> LibraryVisit:
    text = fold_fullwidth(raw or "").strip()
    if "code=" in text:  # a phone's camera app opened the QR code's link: the token is in it
        text = (parse_qs(urlsplit(text).query).get("code") or [""])[0].strip()
    code = normalise_code(text)
    if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code):
        visit = db.session.scalars(select(LibraryVisit).where(LibraryVisit.code == code)).first()
    elif 20 <= len(text) <= 400:
        visit_id, code = read_token(text, now)
        visit = db.session.scalars(
            select(LibraryVisit).where(LibraryVisit.id == visit_id, LibraryVisit.code == code)
        ).first()
    else:
        raise InvalidInput(_l("Type the 6-character code of the booking, or scan its QR code."), field="code")
    if visit is None:
        raise InvalidInput(_l("No booking has this code. Please check it and try again."), field="code")
    return visit


def check_in(staff, library_id: int, code_or_token: str | None, now: datetime | None = None) -> LibraryVisit:
    """Check a visitor in by the booking's code or QR token: staff of the library's part of the
    tree (else 404), a booking of this library, booked, from 30 minutes before its slot until the
    slot ends, once. The person's quota place is given back (the visit no longer counts as upcoming)."""
    now = now or utcnow()
    library = library_for_staff(staff, library_id)
    visit = _visit_for(code_or_token, now)
    if visit.library_id != library.id:
        raise InvalidInput(_l("This booking is for another library."), field="code")
    if visit.status == "checked_in":
        raise Conflict(
            _l("Already checked in at %(time)s.", time=_local_moment(visit.checked_in_at or now)), field="code"
        )
    refusals = {
        "waiting": _l("This person is on the waiting list and has no place in this slot."),
        "cancelled": _l("This booking was cancelled."),
        "no_show": _l("This booking was marked as missed: the visitor did not come in time."),
        "lapsed": _l("This person was still on the waiting list when the slot began."),
    }
    if visit.status in refusals:
        raise InvalidTransition(refusals[visit.status], field="code")
    if now < visit.slot_start - CHECK_IN_EARLY:
        raise InvalidTransition(
            _l(
                "Too early: check-in opens 30 minutes before the slot, at %(time)s.",
                time=_local_moment(visit.slot_start - CHECK_IN_EARLY),
            ),
            field="code",
        )
    if now >= visit.slot_end:
        raise InvalidTransition(_l("This slot is over."), field="code")
    changed = db.session.execute(
        update(LibraryVisit)
        .where(LibraryVisit.id == visit.id, LibraryVisit.status == "booked")
        .values(status="checked_in", checked_in_at=now, checked_in_by_id=staff.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # another desk was quicker
        raise Conflict(_l("Already checked in."), field="code")
    if visit.quota_claim_id is not None:
        capacity.release(visit.quota_claim_id)
    db.session.refresh(visit)
    audit.record("library_visit.checked_in", visit, actor=staff, union_id=library.union_id, to_state="checked_in")
    return visit


def recent_check_ins(library_id: int, now: datetime | None = None, *, limit: int = 10) -> list[LibraryVisit]:
    """Today's check-ins at the library, the latest first (the desk's list)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(LibraryVisit)
            .where(
                LibraryVisit.library_id == library_id,
                LibraryVisit.status == "checked_in",
                LibraryVisit.checked_in_at >= start_of_local_day(local_today(now)),
            )
            .options(joinedload(LibraryVisit.user))
            .order_by(LibraryVisit.checked_in_at.desc(), LibraryVisit.id.desc())
            .limit(limit)
        )
    )


@dataclass
class BoardSlot:
    """One slot of a day, as the library's staff see it: names masked."""

    start: datetime
    end: datetime
    capacity: int
    people: dict[str, list[str]]  # status → masked names, in booking (or line) order

    def count(self, status: str) -> int:
        return len(self.people.get(status, ()))


def day_board(library: Library, day: date, now: datetime | None = None) -> list[BoardSlot]:
    """The day's slots with who booked, waits, came or did not come (names masked)."""
    now = now or utcnow()
    board = {s.start: BoardSlot(s.start, s.end, s.capacity, {}) for s in slots.slots_for_day(library, day, now)}
    first = start_of_local_day(day)
    rows = db.session.scalars(
        select(LibraryVisit)
        .where(
            LibraryVisit.library_id == library.id,
            LibraryVisit.slot_start >= first,
            LibraryVisit.slot_start < first + timedelta(days=1),
            LibraryVisit.status != "cancelled",
        )
        .options(joinedload(LibraryVisit.user))
        .order_by(LibraryVisit.slot_start, LibraryVisit.claim_id)
    )
    for visit in rows:
        entry = board.setdefault(
            visit.slot_start, BoardSlot(visit.slot_start, visit.slot_end, library.places_per_slot, {})
        )
        entry.people.setdefault(visit.status, []).append(mask_name(visit.user.name))
    return [board[start] for start in sorted(board)]


# --- The jobs runner -------------------------------------------------------------------------------------


def _due(where, as_of_order) -> list[int]:
    ids = list(db.session.scalars(select(LibraryVisit.id).where(*where).order_by(as_of_order).limit(JOB_BATCH)))
    db.session.rollback()  # end the reading transaction: each change takes the write lock itself
    return ids


def _closed_that_day(visit_id: int) -> bool:
    """Was the library closed (a closure or a public holiday) on the day of this visit's slot?"""
    library_id, start = db.session.execute(
        select(LibraryVisit.library_id, LibraryVisit.slot_start).where(LibraryVisit.id == visit_id)
    ).one()
    day = local_today(start)
    return day in slots.closed_days([library_id], day, day)[library_id]


def _end_visits(status_from: str, status_to: str, where, as_of: datetime) -> list[int]:
    """Move each visit matching ``where`` from ``status_from`` to ``status_to``, one transaction
    each, by compare-and-set; release its quota place (and, for a lapse, its place in line).
    Returns the users whose visits moved."""
    users = []
    while True:
        due = _due([LibraryVisit.status == status_from, *where], LibraryVisit.slot_start)
        if not due:
            return users
        for visit_id in due:
            with write_transaction():
                target = status_to
                if status_to == "no_show" and _closed_that_day(visit_id):
                    target = "cancelled"  # closed after it was booked: not coming was right
                changed = db.session.execute(
                    update(LibraryVisit)
                    .where(LibraryVisit.id == visit_id, LibraryVisit.status == status_from)
                    .values(status=target, updated_at=as_of)
                    .execution_options(synchronize_session=False)
                )
                if changed.rowcount == 1:  # another runner may have been quicker
                    visit = db.session.get(LibraryVisit, visit_id)
                    if status_to == "lapsed":
                        capacity.release(visit.claim_id)  # in line: gives no place back
                        notify(
                            visit.user,
                            "library.visit_lapsed",
                            library=visit.library.name,
                            when=local_span(visit.slot_start, visit.slot_end),
                        )
                    if visit.quota_claim_id is not None:
                        capacity.release(visit.quota_claim_id)
                    users.append(visit.user_id)
                db.session.commit()
        if len(due) < JOB_BATCH:
            return users


def _suspend_repeat_no_shows(as_of: datetime) -> int:
    """LIBRARY_NO_SHOW_LIMIT no-shows within the window, none of them counted for an earlier
    suspension, suspend booking for LIBRARY_SUSPENSION_DAYS from ``as_of``."""
    config = current_app.config
    limit, window = config["LIBRARY_NO_SHOW_LIMIT"], timedelta(days=config["LIBRARY_NO_SHOW_WINDOW_DAYS"])
    since = as_of - window
    people = list(
        db.session.scalars(
            select(LibraryVisit.user_id)
            .where(LibraryVisit.status == "no_show", LibraryVisit.slot_start > since, LibraryVisit.slot_start <= as_of)
            .distinct()
        )
    )
    db.session.rollback()
    suspended = 0
    for user_id in people:
        with write_transaction():
            # One runner at a time per person: the row of their quota pool is the lock.
            db.session.execute(
                update(CapacityPool)
                .where(CapacityPool.key == f"visitor:{user_id}")
                .values(capacity=CapacityPool.capacity)
                .execution_options(synchronize_session=False)
            )
            last_start, last_end = db.session.execute(
                select(func.max(LibrarySuspension.starts_at), func.max(LibrarySuspension.ends_at)).where(
                    LibrarySuspension.user_id == user_id, LibrarySuspension.starts_at <= as_of
                )
            ).one()
            if last_end is not None and last_end > as_of:
                db.session.rollback()
                continue
            counted_since = max(since, last_start) if last_start is not None else since
            missed = db.session.scalar(
                select(func.count(LibraryVisit.id)).where(
                    LibraryVisit.user_id == user_id,
                    LibraryVisit.status == "no_show",
                    LibraryVisit.slot_start > counted_since,
                    LibraryVisit.slot_start <= as_of,
                )
            )
            if missed < limit:
                db.session.rollback()
                continue
            ends = as_of + timedelta(days=config["LIBRARY_SUSPENSION_DAYS"])
            suspension = LibrarySuspension(user_id=user_id, starts_at=as_of, ends_at=ends, no_shows=missed)
            db.session.add(suspension)
            db.session.flush()
            person = accounts.get_user(user_id)
            notify(
                person,
                "library.suspended",
                count=missed,
                days=config["LIBRARY_NO_SHOW_WINDOW_DAYS"],
                until=_local_moment(ends),
            )
            audit.record("library.visits_suspended", suspension, note=f"{missed} no-shows", occurred_at=as_of)
            db.session.commit()
            suspended += 1
    return suspended


def run_visit_jobs(as_of: datetime) -> int:
    """The jobs runner's step (``libraries.visits``): no-shows, lapses, suspensions. Safe to run
    again, or on several machines at once: each change is a compare-and-set."""
    no_show_after = timedelta(minutes=current_app.config["LIBRARY_NO_SHOW_AFTER_MINUTES"])
    missed = _end_visits("booked", "no_show", [LibraryVisit.slot_start <= as_of - no_show_after], as_of)
    lapsed = _end_visits("waiting", "lapsed", [LibraryVisit.slot_start <= as_of], as_of)
    suspended = _suspend_repeat_no_shows(as_of)
    return len(missed) + len(lapsed) + suspended


def register(app) -> None:
    """Message templates and the jobs runner's step."""
    from portal.core import jobs

    message_template(
        "library.visit_promoted",
        _l("You have a place at %(library)s"),
        _l(
            "A place came free on the waiting list: your visit %(when)s is booked. Show its QR code or "
            "the code %(code)s at the desk."
        ),
    )
    message_template(
        "library.visit_lapsed",
        _l("No place came free at %(library)s"),
        _l("The slot %(when)s began before a place came free for you on the waiting list."),
    )
    message_template(
        "library.suspended",
        _l("Library bookings suspended"),
        _l(
            "You did not come to %(count)s booked library visits within %(days)s days without cancelling "
            "them, so you cannot book visits until %(until)s (Beijing time)."
        ),
    )
    jobs.register_job("libraries.visits", run_visit_jobs)


__all__ = [
    "CODE_ALPHABET",
    "STATUS_LABELS",
    "BoardSlot",
    "Booking",
    "VisitLine",
    "active_suspension",
    "book",
    "booked_slots",
    "cancel",
    "check_in",
    "day_board",
    "library_for_staff",
    "position_of",
    "read_token",
    "recent_check_ins",
    "register",
    "run_visit_jobs",
    "status_label",
    "upcoming_count",
    "visit_of",
    "visit_token",
    "visits_of",
]
