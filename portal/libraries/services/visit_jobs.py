"""The jobs runner's step for visits (``libraries.visits``): no-shows, lapses and suspensions.

The rules, in domain words:

* A booked visit not checked in LIBRARY_NO_SHOW_AFTER_MINUTES after its slot began is a no-show —
  cancelled instead when the library closed that day after all (a closure or a public holiday).
* A visit still on the waiting list when its slot began has lapsed; the person is told.
* LIBRARY_NO_SHOW_LIMIT no-shows within LIBRARY_NO_SHOW_WINDOW_DAYS suspend the person's bookings
  for LIBRARY_SUSPENSION_DAYS; no-shows before their last suspension began do not count again.

Either way the person's quota place is given back. Each change is a compare-and-set in its own
transaction, so the step is safe to run again or on several machines at once; row locks follow
the order ``visits`` describes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from portal.accounts import services as accounts
from portal.core import audit, capacity
from portal.core.capacity import CapacityPool
from portal.core.db import write_transaction
from portal.core.i18n import lazy_gettext as _l
from portal.core.jobs import run_each
from portal.core.notify import message_template, notify
from portal.core.time import local_today
from portal.extensions import db
from portal.libraries.models import LibrarySuspension, LibraryVisit
from portal.libraries.services import slots
from portal.libraries.services.visits import local_moment, local_span

JOB_BATCH = 200


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

    def due_ids():
        return list(
            db.session.scalars(
                select(LibraryVisit.id)
                .where(LibraryVisit.status == status_from, *where)
                .order_by(LibraryVisit.slot_start)
                .limit(JOB_BATCH)
            )
        )

    def end(visit_id) -> bool:
        target = status_to
        if status_to == "no_show" and _closed_that_day(visit_id):
            target = "cancelled"  # closed after it was booked: not coming was right
        changed = db.session.execute(
            update(LibraryVisit)
            .where(LibraryVisit.id == visit_id, LibraryVisit.status == status_from)
            .values(status=target, updated_at=as_of)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # another runner was quicker
            return False
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
        return True

    run_each(due_ids, end, batch=JOB_BATCH)
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
                until=local_moment(ends),
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
    """The messages of a lapse and a suspension, and the jobs runner's step."""
    from portal.core import jobs

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


__all__ = ["JOB_BATCH", "register", "run_visit_jobs"]
