"""Loan reminders, sent by the jobs runner: LIBRARY_REMINDER_DAYS before the due date, then on
it — each loan claimed by compare-and-set on ``reminders``, so running again (or on two machines)
sends each reminder once."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.core import jobs, notify
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import local_today
from portal.extensions import db
from portal.libraries.models import LibraryLoan
from portal.libraries.services import holds

JOB_BATCH = 200


def _remind(as_of: datetime, stage: int, batch: int) -> int:
    """Send reminder ``stage`` (1: LIBRARY_REMINDER_DAYS before the due date, 2: on it) to every
    open loan that needs it; each claimed by compare-and-set on ``reminders``."""
    today = local_today(as_of)
    if stage == 1:
        due = (
            LibraryLoan.reminders == 0,
            LibraryLoan.due_on > today,
            LibraryLoan.due_on <= today + timedelta(days=current_app.config["LIBRARY_REMINDER_DAYS"]),
        )
    else:
        due = (LibraryLoan.reminders < 2, LibraryLoan.due_on == today)

    def due_ids():
        return db.session.execute(
            select(LibraryLoan.id, LibraryLoan.reminders)
            .where(LibraryLoan.returned_at.is_(None), *due)
            .order_by(LibraryLoan.due_on, LibraryLoan.id)
            .limit(batch)
        ).all()

    def remind(row) -> bool:
        loan_id, seen = row
        claimed = db.session.execute(
            update(LibraryLoan)
            .where(LibraryLoan.id == loan_id, LibraryLoan.reminders == seen, LibraryLoan.returned_at.is_(None))
            .values(reminders=stage)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return False
        loan = db.session.get(LibraryLoan, loan_id)
        notify.notify(
            loan.user,
            "library_loan.due_soon" if stage == 1 else "library_loan.due_today",
            link=holds.my_link(),
            title=loan.book.title,
            library=loan.book.library.name,
            **holds.date_params(loan.due_on),
        )
        return True

    return jobs.run_each(due_ids, remind, batch=batch)


def send_reminders(as_of: datetime, batch: int = JOB_BATCH) -> int:
    """Reminders due at ``as_of``: a few days before the due date, then on it. Idempotent."""
    return _remind(as_of, 1, batch) + _remind(as_of, 2, batch)


def register(app) -> None:
    """The reminders' messages and their job."""
    notify.message_template(
        "library_loan.due_soon",
        _l("%(title)s is due soon"),
        _l(
            "Please return %(title)s to %(library)s by %(year)d-%(month)02d-%(day)02d, or renew it on the "
            "portal if nobody is waiting for it."
        ),
    )
    notify.message_template(
        "library_loan.due_today",
        _l("%(title)s is due today"),
        _l("Please return %(title)s to %(library)s today, %(year)d-%(month)02d-%(day)02d."),
    )
    jobs.register_job("libraries.loans", send_reminders)
