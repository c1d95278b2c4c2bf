"""Reservations (预约借书): a member reserves a title at one library and waits in its line.

A catalogue entry's copies are a capacity pool (``LibraryBook.pool_id``, ``core.capacity``). A hold
that got a copy *holds* a place in it; a hold in the queue *waits* in the pool's line, first come
first served per title and library, its position handed out atomically by ``capacity.take``. The
holder is ``user:<id>``, so one person has at most one hold-or-loan per entry (the claim's
``active_key`` is unique): the same person reserving twice at once gets one hold.

States: queued → allocated (a copy is theirs: staff fetch it and, when the member chose a partner
rest station, carry it there) → ready (at the pickup place, to be collected by the end of the
LIBRARY_HOLD_COLLECT_DAYS-th day, Asia/Shanghai) → collected (the desk lends it: the loan keeps
the hold's claim) | cancelled (by the member) | expired (not collected in time: the jobs runner).
Every move is a compare-and-set on the hold's status. A copy that comes back (a return, a
cancellation, an expiry, copies added by the catalogue) goes to the first in line in the same
transaction (``capacity.release``/``promote``) and ``allocate_promoted`` tells them.

This module holds the member's side (reserving, cancelling, their holds) and the jobs runner's
expiry; the staff's board and marking a copy ready are ``hold_board``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import joinedload

from portal.core import capacity, jobs, notify
from portal.core.db import utcnow
from portal.core.errors import Conflict, InvalidTransition, NotAllowed, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import local_today, start_of_local_day
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.libraries.models import OPEN_HOLD_STATES, Library, LibraryBook, LibraryHold, LibraryLoan
from portal.libraries.services import directory
from portal.membership import services as membership

MAX_ID = 2**31 - 1
JOB_BATCH = 200


def holder_of(user_id: int) -> str:
    """The capacity holder string of a person: one active hold-or-loan per person and entry."""
    return f"user:{user_id}"


def date_params(day: date) -> dict[str, int]:
    """A date as message parameters: each reader's language writes it its own way
    (``%(year)d年%(month)d月%(day)d日`` / ``%(year)d-%(month)02d-%(day)02d``)."""
    return {"year": day.year, "month": day.month, "day": day.day}


def collect_by(ready_at: datetime) -> tuple[date, datetime]:
    """The last day to collect a hold made ready at ``ready_at`` (Asia/Shanghai) and the moment
    it expires: the end of that day, so "collect by 12月13日" holds until the library closes."""
    last_day = local_today(ready_at) + timedelta(days=current_app.config["LIBRARY_HOLD_COLLECT_DAYS"])
    return last_day, start_of_local_day(last_day + timedelta(days=1))


def last_collect_day(hold: LibraryHold) -> date | None:
    """The last day (Asia/Shanghai) a ready hold can be collected."""
    return local_today(hold.expires_at - timedelta(days=1)) if hold.expires_at else None


def my_link() -> str | None:
    """The member's page of bookings, holds and loans, once it exists."""
    from portal.core.web import path_for

    for endpoint in ("libraries.mine",):
        if endpoint in current_app.view_functions:
            return path_for(endpoint)
    return None


def load_entry(book_id: int) -> LibraryBook:
    """A catalogue entry of an active library, else 404."""
    if not 0 < book_id <= MAX_ID:
        raise NotFound()
    entry = db.session.scalar(
        select(LibraryBook).join(Library).where(LibraryBook.id == book_id, Library.is_active.is_(True))
    )
    if entry is None:
        raise NotFound()
    return entry


def pickup_name(hold: LibraryHold, stations: dict[int, str] | None = None) -> str:
    """Where the member collects: the library's name, or the partner rest station's."""
    if hold.pickup_station_id is None:
        return hold.book.library.name
    if stations is None:
        stations = {s.id: s.name for s in directory.partner_stations(hold.book.library_id)}
    return stations.get(hold.pickup_station_id) or str(_l("a partner rest station"))


def _lock_person(user_id: int) -> None:
    """Take the person's row for the rest of the transaction, so that two reservations sent at once
    count the open holds one after the other (PostgreSQL: a row lock that, unlike FOR UPDATE, does
    not block rows referring to the person — a message — so it cannot deadlock with a promotion;
    SQLite: a write transaction holds the single write lock anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT id FROM users WHERE id = :id FOR NO KEY UPDATE"), {"id": user_id})


def _tell_allocated(hold: LibraryHold) -> None:
    notify.notify(
        hold.user,
        "library_hold.allocated",
        link=my_link(),
        title=hold.book.title,
        library=hold.book.library.name,
        place=pickup_name(hold),
    )


# --- The member ----------------------------------------------------------------------------------


def may_reserve(user) -> bool:
    """Reserving is for union members (an active membership)."""
    found = membership.membership_of(user)
    return found is not None and found.is_active


def reserve(user, book_id: int, pickup_station_id: int | None = None, *, now: datetime | None = None) -> LibraryHold:
    """Reserve a title at its library, to collect there or at one of its partner rest stations.

    A free copy is set aside at once (allocated, and the member is told); otherwise the member
    joins the title's line and the hold says their position. Members only; at most
    LIBRARY_MAX_OPEN_HOLDS open holds; one hold or loan per person and title."""
    now = now or utcnow()
    if not may_reserve(user):
        raise NotAllowed(_l("Reserving books is for union members. Join your union first."))
    entry = load_entry(book_id)
    if entry.copies < 1:
        raise InvalidInput(_l("This library has no copy of this title at the moment."))
    if pickup_station_id is not None:
        partners = {s.id for s in directory.partner_stations(entry.library_id)}
        if pickup_station_id not in partners:
            raise InvalidInput(_l("Choose the library or one of its partner rest stations."), field="pickup")
    _lock_person(user.id)
    if db.session.scalar(
        select(LibraryHold.id).where(
            LibraryHold.user_id == user.id, LibraryHold.book_id == entry.id, LibraryHold.status.in_(OPEN_HOLD_STATES)
        )
    ):
        raise Conflict(_l("You have already reserved this title at this library."))
    if db.session.scalar(
        select(LibraryLoan.id).where(
            LibraryLoan.user_id == user.id, LibraryLoan.book_id == entry.id, LibraryLoan.returned_at.is_(None)
        )
    ):
        raise Conflict(_l("You have this title on loan from this library already."))
    limit = current_app.config["LIBRARY_MAX_OPEN_HOLDS"]
    open_holds = db.session.scalar(
        select(func.count(LibraryHold.id)).where(
            LibraryHold.user_id == user.id, LibraryHold.status.in_(OPEN_HOLD_STATES)
        )
    )
    if open_holds >= limit:
        raise Conflict(
            _l(
                "You have %(count)d open reservations, the most allowed. Collect or cancel one first.",
                count=limit,
            )
        )
    try:
        place = capacity.take(entry.pool_id, holder_of(user.id), wait=True)
    except Conflict:  # the same person's other request, sent at the same moment, got there first
        raise Conflict(_l("You have already reserved this title at this library.")) from None
    held = place.status == "held"
    hold = LibraryHold(
        book=entry,
        user_id=user.id,
        claim_id=place.claim_id,
        status="allocated" if held else "queued",
        pickup_station_id=pickup_station_id,
        created_at=now,
        updated_at=now,
        allocated_at=now if held else None,
    )
    db.session.add(hold)
    db.session.flush()
    if held:
        _tell_allocated(hold)
    return hold


def _load_own(user, hold_id: int) -> LibraryHold:
    """The person's own hold, else 404 (someone else's does not exist for them)."""
    if not 0 < hold_id <= MAX_ID:
        raise NotFound()
    hold = db.session.scalar(select(LibraryHold).where(LibraryHold.id == hold_id, LibraryHold.user_id == user.id))
    if hold is None:
        raise NotFound()
    return hold


def load_own_hold(user, hold_id: int) -> LibraryHold:
    return _load_own(user, hold_id)


def move_hold(hold: LibraryHold, to: str, now: datetime, **values) -> bool:
    """Compare-and-set: the hold moves only from the status it was read in."""
    moved = db.session.execute(
        update(LibraryHold)
        .where(LibraryHold.id == hold.id, LibraryHold.status == hold.status)
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    db.session.refresh(hold)
    return True


def cancel(user, hold_id: int, *, now: datetime | None = None) -> LibraryHold:
    """The member gives up their reservation: a copy set aside for them goes to the next in line."""
    now = now or utcnow()
    hold = _load_own(user, hold_id)
    if hold.status not in OPEN_HOLD_STATES or not move_hold(hold, "cancelled", now, closed_at=now):
        raise InvalidTransition(_l("This reservation is already closed."))
    allocate_promoted(capacity.release(hold.claim_id), now=now)
    return hold


def allocate_promoted(places: list[capacity.Place], *, now: datetime | None = None) -> list[LibraryHold]:
    """For places just promoted in a book pool (a copy came back, copies were added): the hold
    holding that claim is allocated (compare-and-set from queued) and its member told."""
    now = now or utcnow()
    allocated = []
    for place in places:
        hold = db.session.scalar(select(LibraryHold).where(LibraryHold.claim_id == place.claim_id))
        if hold is None or hold.status != "queued":
            continue
        if move_hold(hold, "allocated", now, allocated_at=now):
            _tell_allocated(hold)
            allocated.append(hold)
    return allocated


@dataclass(frozen=True)
class HoldLine:
    """One of a member's holds as their page shows it."""

    hold: LibraryHold
    position: int | None  # in line (1 = next), None once a copy is theirs
    pickup: str  # the library's or the rest station's name
    collect_by: date | None  # the last day to collect a ready hold (Asia/Shanghai)


def holds_of(user, *, open_only: bool = True) -> list[HoldLine]:
    """The member's reservations (open ones by default), newest first, with their place in line."""
    stmt = (
        select(LibraryHold)
        .where(LibraryHold.user_id == user.id)
        .options(joinedload(LibraryHold.book).joinedload(LibraryBook.library))  # the page shows both
    )
    if open_only:
        stmt = stmt.where(LibraryHold.status.in_(OPEN_HOLD_STATES))
    holds = list(db.session.scalars(stmt.order_by(LibraryHold.created_at.desc(), LibraryHold.id.desc()).limit(50)))
    stations: dict[int, dict[int, str]] = {}
    lines = []
    for hold in holds:
        library_id = hold.book.library_id
        if hold.pickup_station_id is not None and library_id not in stations:
            stations[library_id] = {s.id: s.name for s in directory.partner_stations(library_id)}
        position = capacity.position_in_line(hold.claim_id) if hold.status == "queued" else None
        lines.append(HoldLine(hold, position, pickup_name(hold, stations.get(library_id, {})), last_collect_day(hold)))
    return lines


@dataclass(frozen=True)
class MyReservation:
    """What the member has of one entry: an open hold (and their place in line) or a loan."""

    hold: LibraryHold | None
    position: int | None
    loan: LibraryLoan | None


def mine_of(user, entry: LibraryBook) -> MyReservation:
    hold = db.session.scalar(
        select(LibraryHold).where(
            LibraryHold.user_id == user.id, LibraryHold.book_id == entry.id, LibraryHold.status.in_(OPEN_HOLD_STATES)
        )
    )
    loan = db.session.scalar(
        select(LibraryLoan).where(
            LibraryLoan.user_id == user.id, LibraryLoan.book_id == entry.id, LibraryLoan.returned_at.is_(None)
        )
    )
    position = capacity.position_in_line(hold.claim_id) if hold is not None and hold.status == "queued" else None
    return MyReservation(hold, position, loan)


def queue_length(book_id: int) -> int:
    """How many wait for a copy of this entry."""
    entry = db.session.get(LibraryBook, book_id)
    return capacity.counts(entry.pool_id)[2] if entry is not None else 0


# --- The jobs runner -----------------------------------------------------------------------------


def expire_ready_holds(as_of: datetime, batch: int = JOB_BATCH) -> int:
    """Ready holds not collected by their expiry: expired (compare-and-set), the member told, and the
    copy passed to the next in line (who is told). Each in its own transaction; running again, or
    two runners at once, expire each hold once."""

    def due_ids():
        return list(
            db.session.scalars(
                select(LibraryHold.id)
                .where(LibraryHold.status == "ready", LibraryHold.expires_at <= as_of)
                .order_by(LibraryHold.expires_at, LibraryHold.id)
                .limit(batch)
            )
        )

    def expire(hold_id) -> bool:
        hold = db.session.get(LibraryHold, hold_id)
        if hold is None or hold.status != "ready" or not move_hold(hold, "expired", as_of, closed_at=as_of):
            return False
        notify.notify(
            hold.user,
            "library_hold.expired",
            link=my_link(),
            title=hold.book.title,
            place=pickup_name(hold),
            **date_params(last_collect_day(hold)),
        )
        allocate_promoted(capacity.release(hold.claim_id), now=as_of)
        return True

    return jobs.run_each(due_ids, expire, batch=batch)


def register(app) -> None:
    """Message templates and the expiry job."""
    from portal.core import jobs

    notify.message_template(
        "library_hold.allocated",
        _l("A copy of %(title)s is set aside for you"),
        _l(
            "%(library)s has set aside a copy of %(title)s for you. "
            "You will get a message when it is ready to collect at %(place)s."
        ),
    )
    notify.message_template(
        "library_hold.ready",
        _l("%(title)s is ready to collect"),
        _l(
            "Collect %(title)s at %(place)s by %(year)d-%(month)02d-%(day)02d. "
            "Show your member card. After that day it goes to the next person waiting."
        ),
    )
    notify.message_template(
        "library_hold.expired",
        _l("Your reservation of %(title)s has expired"),
        _l(
            "%(title)s was not collected at %(place)s by %(year)d-%(month)02d-%(day)02d, so it has gone to "
            "the next person waiting. You can reserve it again."
        ),
    )
    jobs.register_job("libraries.holds", expire_ready_holds)
