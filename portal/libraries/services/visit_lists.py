"""A person's visits as their pages list them: upcoming ones and the recent past (the member's page),
and on the booking page which slots they hold and how many visits are still ahead of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.core.db import utcnow
from portal.extensions import db
from portal.libraries.models import ACTIVE_VISIT_STATES, LibraryVisit
from portal.libraries.services.visits import position_of, status_label


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
