"""The staff's side of holds (预约借书): the library's board of copies to fetch, copies waiting to
be collected and titles people wait for, and marking a set-aside copy ready for collection.

The rules, in domain words:

* Staff see and act on holds at libraries in their part of the tree only (else 404).
* A copy set aside for a member (allocated) is put at the pickup place — the library or the
  partner rest station the member chose — and marked ready: the member is told where to collect it
  and until when (the end of the LIBRARY_HOLD_COLLECT_DAYS-th day, Asia/Shanghai). It is a
  compare-and-set from allocated, as every move of a hold is (``holds``).
* The board groups the copies to fetch by pickup place (the library first), lists the ready ones
  by expiry and the titles people wait for, the longest line first.

The messages are registered with the other holds' messages (``holds.register``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from portal.core import audit, notify, scope
from portal.core.db import utcnow
from portal.core.errors import InvalidTransition, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook, LibraryHold
from portal.libraries.services import directory
from portal.libraries.services.holds import MAX_ID, collect_by, date_params, move_hold, my_link, pickup_name


def load_hold_for_staff(staff, hold_id: int, *, library_id: int | None = None) -> LibraryHold:
    """A hold at a library in the staff member's subtree (and at ``library_id`` when given), else 404."""
    if not 0 < hold_id <= MAX_ID:
        raise NotFound()
    stmt = scope.scoped(
        select(LibraryHold).join(LibraryBook).join(Library).where(LibraryHold.id == hold_id),
        staff,
        Library.union_id,
    )
    if library_id is not None:
        stmt = stmt.where(LibraryBook.library_id == library_id)
    hold = db.session.scalar(stmt)
    if hold is None:
        raise NotFound()
    return hold


def mark_ready(staff, hold_id: int, *, library_id: int | None = None, now: datetime | None = None) -> LibraryHold:
    """Staff put the set-aside copy at the pickup place: the member is told where to collect it
    and until when (LIBRARY_HOLD_COLLECT_DAYS days, to the end of the last day)."""
    now = now or utcnow()
    hold = load_hold_for_staff(staff, hold_id, library_id=library_id)
    if hold.status != "allocated":
        raise InvalidTransition(
            _l("This reservation is already ready for collection.")
            if hold.status == "ready"
            else _l("This reservation is not waiting to be prepared.")
        )
    last_day, expires_at = collect_by(now)
    if not move_hold(hold, "ready", now, ready_at=now, expires_at=expires_at):
        raise InvalidTransition()
    audit.record(
        "library_hold.ready",
        hold,
        actor=staff,
        union_id=hold.book.library.union_id,
        from_state="allocated",
        to_state="ready",
        occurred_at=now,
    )
    notify.notify(
        hold.user,
        "library_hold.ready",
        link=my_link(),
        title=hold.book.title,
        place=pickup_name(hold),
        **date_params(last_day),
    )
    return hold


@dataclass(frozen=True)
class HoldsBoard:
    """A library's holds for its staff: copies to fetch (by pickup place), copies waiting to be
    collected, and the titles people wait for."""

    to_prepare: list[tuple[str, list[LibraryHold]]]  # (pickup place, holds), the library first
    ready: list[LibraryHold]  # by expiry
    queues: list[tuple[LibraryBook, int]]  # (entry, how many wait), longest line first
    pickup: dict[int, str]  # hold id → pickup place


def board(staff, library_id: int) -> HoldsBoard:
    library = directory.library_in_scope(staff, library_id)
    stations = {s.id: s.name for s in directory.partner_stations(library.id)}
    holds = list(
        db.session.scalars(
            select(LibraryHold)
            .join(LibraryBook)
            .where(LibraryBook.library_id == library.id, LibraryHold.status.in_(("allocated", "ready")))
            .order_by(LibraryHold.allocated_at, LibraryHold.id)
        )
    )
    pickup = {h.id: pickup_name(h, stations) for h in holds}
    groups: dict[int | None, list[LibraryHold]] = {}
    for hold in holds:
        if hold.status == "allocated":
            groups.setdefault(hold.pickup_station_id, []).append(hold)
    order = sorted(groups, key=lambda k: (k is not None, stations.get(k, "") if k else ""))
    to_prepare = [
        (library.name if k is None else stations.get(k) or str(_l("a partner rest station")), groups[k]) for k in order
    ]
    ready = sorted((h for h in holds if h.status == "ready"), key=lambda h: (h.expires_at, h.id))
    waiting = func.count(LibraryHold.id)
    queues = [
        (entry, count)
        for entry, count in db.session.execute(
            select(LibraryBook, waiting)
            .join(LibraryHold, LibraryHold.book_id == LibraryBook.id)
            .where(LibraryBook.library_id == library.id, LibraryHold.status == "queued")
            .group_by(LibraryBook.id)
            .order_by(waiting.desc(), LibraryBook.title)
            .limit(100)
        ).all()
    ]
    return HoldsBoard(to_prepare, ready, queues, pickup)
