"""Loans: the desk lends a copy to a member, takes it back, renews it once; reminders before and
on the due date; the overdue list.

A loan holds a place in its entry's pool of copies (``core.capacity``), like a hold that got a
copy: lending to a member whose reservation is ready (or allocated) turns the hold into the loan,
which keeps the hold's claim; lending without one takes a free copy (``capacity.take(wait=False)``
— none free when every copy is lent or set aside for someone in line). A return releases the claim
and the copy goes to the first in line in the same transaction. A renewal is one guarded UPDATE:
once, while the book is out, and only while nobody waits for the title.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from portal.core import audit, capacity, notify, scope
from portal.core.capacity import CapacityClaim
from portal.core.db import utcnow
from portal.core.errors import CapacityFull, Conflict, InvalidTransition, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.isbn import parse_isbn
from portal.core.time import local_today
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.libraries.models import OPEN_HOLD_STATES, Library, LibraryBook, LibraryHold, LibraryLoan
from portal.libraries.services import directory, holds

MAX_ID = 2**31 - 1
JOB_BATCH = 200


def _entry_at(library: Library, isbn: str) -> LibraryBook:
    isbn = parse_isbn(isbn, field="isbn")
    entry = db.session.scalar(select(LibraryBook).where(LibraryBook.library_id == library.id, LibraryBook.isbn == isbn))
    if entry is None:
        raise InvalidInput(_l("This library's catalogue has no book with this ISBN."), field="isbn")
    return entry


def _due_on(now: datetime) -> date:
    return local_today(now) + timedelta(days=current_app.config["LIBRARY_LOAN_DAYS"])


def lend(staff, library_id: int, member_user, isbn: str, *, now: datetime | None = None) -> LibraryLoan:
    """Lend the library's copy of ``isbn`` to a member. Their ready (or allocated) reservation of
    the title is collected and the loan keeps its copy; otherwise a free copy is taken — none
    when all are lent or set aside for reservations. Due LIBRARY_LOAN_DAYS days from today."""
    now = now or utcnow()
    library = directory.library_in_scope(staff, library_id)
    if member_user is None or not holds.may_reserve(member_user):
        raise InvalidInput(
            _l("Lending is for union members: scan the member card or type the member number."), field="member"
        )
    entry = _entry_at(library, isbn)
    hold = db.session.scalar(
        select(LibraryHold).where(
            LibraryHold.user_id == member_user.id,
            LibraryHold.book_id == entry.id,
            LibraryHold.status.in_(OPEN_HOLD_STATES),
        )
    )
    if hold is not None and hold.status == "queued":
        position = capacity.position_in_line(hold.claim_id) or 1
        raise CapacityFull(
            _l("No copy is theirs yet: this member is number %(position)d in line for this title.", position=position),
            field="isbn",
        )
    if hold is not None:
        if not holds.move_hold(hold, "collected", now, closed_at=now):
            raise InvalidTransition()
        claim_id, hold_id = hold.claim_id, hold.id
    else:
        try:
            place = capacity.take(entry.pool_id, holds.holder_of(member_user.id), wait=False)
        except CapacityFull:
            raise CapacityFull(
                _l("No copy is free: all are lent or set aside for reservations."), field="isbn"
            ) from None
        except Conflict:
            raise Conflict(_l("This member has this title on loan already."), field="isbn") from None
        claim_id, hold_id = place.claim_id, None
    loan = LibraryLoan(
        book=entry,
        user_id=member_user.id,
        claim_id=claim_id,
        hold_id=hold_id,
        lent_at=now,
        lent_by_id=staff.id,
        due_on=_due_on(now),
        renewals=0,
        reminders=0,
    )
    db.session.add(loan)
    db.session.flush()
    audit.record("library_loan.lent", loan, actor=staff, union_id=library.union_id, occurred_at=now)
    notify.notify(
        member_user,
        "library_loan.lent",
        link=holds.my_link(),
        title=entry.title,
        library=library.name,
        **holds.date_params(loan.due_on),
    )
    return loan


@dataclass(frozen=True)
class Returned:
    loan: LibraryLoan
    allocated: list[LibraryHold]  # reservations the returned copy went to


def _open_loan_at(library: Library, *, loan_id: int | None, isbn: str | None, member_user) -> LibraryLoan:
    stmt = (
        select(LibraryLoan)
        .join(LibraryBook)
        .where(LibraryBook.library_id == library.id, LibraryLoan.returned_at.is_(None))
    )
    if loan_id is not None:
        if not 0 < loan_id <= MAX_ID:
            raise NotFound()
        loan = db.session.scalar(stmt.where(LibraryLoan.id == loan_id))
        if loan is None:
            raise InvalidTransition(_l("This book has been returned already."))
        return loan
    entry = _entry_at(library, isbn or "")
    stmt = stmt.where(LibraryLoan.book_id == entry.id)
    if member_user is not None:
        stmt = stmt.where(LibraryLoan.user_id == member_user.id)
    found = list(db.session.scalars(stmt.limit(2)))
    if not found:
        raise InvalidInput(
            _l("This member has no open loan of this book here.")
            if member_user is not None
            else _l("No copy of this book is on loan from this library."),
            field="isbn",
        )
    if len(found) > 1:
        raise InvalidInput(_l("Several members have this book on loan: scan the member card too."), field="member")
    return found[0]


def return_loan(
    staff,
    library_id: int,
    *,
    loan_id: int | None = None,
    isbn: str | None = None,
    member_user=None,
    now: datetime | None = None,
) -> Returned:
    """Take a book back (by the loan, or by ISBN and member — the ISBN alone when only one member
    has that title out). The copy goes to the first in line, who is told."""
    now = now or utcnow()
    library = directory.library_in_scope(staff, library_id)
    loan = _open_loan_at(library, loan_id=loan_id, isbn=isbn, member_user=member_user)
    returned = db.session.execute(
        update(LibraryLoan)
        .where(LibraryLoan.id == loan.id, LibraryLoan.returned_at.is_(None))
        .values(returned_at=now, returned_by_id=staff.id)
        .execution_options(synchronize_session=False)
    )
    if returned.rowcount != 1:
        raise InvalidTransition(_l("This book has been returned already."))
    db.session.refresh(loan)
    audit.record("library_loan.returned", loan, actor=staff, union_id=library.union_id, occurred_at=now)
    allocated = holds.allocate_promoted(capacity.release(loan.claim_id), now=now)
    return Returned(loan, allocated)


def _load_for(actor, loan_id: int, library_id: int | None = None) -> LibraryLoan:
    """The actor's own loan, or one at a library in their scope (staff) — at ``library_id`` when
    given (a library's desk acts on that library's loans only); else 404."""
    if not 0 < loan_id <= MAX_ID:
        raise NotFound()
    stmt = select(LibraryLoan).join(LibraryBook).join(Library).where(LibraryLoan.id == loan_id)
    if library_id is not None:
        stmt = stmt.where(Library.id == library_id)
    ids = scope.scope_union_ids(actor)
    if ids is not None:
        stmt = stmt.where(or_(LibraryLoan.user_id == actor.id, Library.union_id.in_(ids)))
    loan = db.session.scalar(stmt)
    if loan is None:
        raise NotFound()
    return loan


def renew(actor, loan_id: int, *, library_id: int | None = None, now: datetime | None = None) -> LibraryLoan:
    """Renew a loan for another LIBRARY_LOAN_DAYS days — by the member or by staff of the
    library (at its desk: ``library_id``, whose loans only): once, while the book is out, and
    only while nobody waits for the title. One guarded UPDATE decides; a refusal says which rule
    stood in the way."""
    now = now or utcnow()
    loan = _load_for(actor, loan_id, library_id)
    pool_id = loan.book.pool_id
    seen_due = loan.due_on
    someone_waits = exists().where(CapacityClaim.pool_id == pool_id, CapacityClaim.status == "waiting")
    renewed = db.session.execute(
        update(LibraryLoan)
        .where(
            LibraryLoan.id == loan.id,
            LibraryLoan.renewals == 0,
            LibraryLoan.returned_at.is_(None),
            LibraryLoan.due_on == seen_due,
            ~someone_waits,
        )
        .values(
            renewals=1,
            due_on=seen_due + timedelta(days=current_app.config["LIBRARY_LOAN_DAYS"]),
            reminders=0,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(loan)
    if renewed.rowcount != 1:
        if loan.returned_at is not None:
            raise InvalidTransition(_l("This book has been returned already."))
        if loan.renewals >= 1:
            raise InvalidTransition(_l("A loan can be renewed once, and this one has been renewed already."))
        raise InvalidTransition(
            _l("Someone is waiting for this title, so the loan cannot be renewed. Please return it by its due date.")
        )
    audit.record("library_loan.renewed", loan, actor=actor, union_id=loan.book.library.union_id, occurred_at=now)
    return loan


@dataclass(frozen=True)
class LoanLine:
    """One open loan as a page shows it."""

    loan: LibraryLoan
    overdue: bool
    renewable: bool  # not renewed yet and nobody waits for the title


def _waiting_pools(pool_ids: list[int]) -> set[int]:
    if not pool_ids:
        return set()
    return set(
        db.session.scalars(
            select(CapacityClaim.pool_id)
            .where(CapacityClaim.pool_id.in_(pool_ids), CapacityClaim.status == "waiting")
            .distinct()
        )
    )


def _lines(loans: list[LibraryLoan], today: date) -> list[LoanLine]:
    waiting = _waiting_pools(sorted({loan.book.pool_id for loan in loans}))
    return [
        LoanLine(loan, loan.due_on < today, loan.renewals == 0 and loan.book.pool_id not in waiting) for loan in loans
    ]


def loans_of(user, *, now: datetime | None = None) -> list[LoanLine]:
    """The member's books on loan, the first due first."""
    loans = list(
        db.session.scalars(
            select(LibraryLoan)
            .where(LibraryLoan.user_id == user.id, LibraryLoan.returned_at.is_(None))
            .options(joinedload(LibraryLoan.book).joinedload(LibraryBook.library))  # the page shows both
            .order_by(LibraryLoan.due_on, LibraryLoan.id)
            .limit(100)
        )
    )
    return _lines(loans, local_today(now))


def loans_at(staff, library_id: int, member_user, *, now: datetime | None = None) -> list[LoanLine]:
    """A member's open loans from this library (the desk's list to return or renew from)."""
    library = directory.library_in_scope(staff, library_id)
    loans = list(
        db.session.scalars(
            select(LibraryLoan)
            .join(LibraryBook)
            .where(
                LibraryBook.library_id == library.id,
                LibraryLoan.user_id == member_user.id,
                LibraryLoan.returned_at.is_(None),
            )
            .order_by(LibraryLoan.due_on, LibraryLoan.id)
            .limit(100)
        )
    )
    return _lines(loans, local_today(now))


def holds_to_collect(staff, library_id: int, member_user) -> list[LibraryHold]:
    """The member's reservations at this library with a copy set aside (to lend now)."""
    library = directory.library_in_scope(staff, library_id)
    return list(
        db.session.scalars(
            select(LibraryHold)
            .join(LibraryBook)
            .where(
                LibraryBook.library_id == library.id,
                LibraryHold.user_id == member_user.id,
                LibraryHold.status.in_(("allocated", "ready")),
            )
            .order_by(LibraryHold.allocated_at, LibraryHold.id)
        )
    )


def overdue(staff, library_id: int, today: date) -> list[LibraryLoan]:
    """The library's loans past their due date, the longest overdue first."""
    library = directory.library_in_scope(staff, library_id)
    return list(
        db.session.scalars(
            select(LibraryLoan)
            .join(LibraryBook)
            .where(
                LibraryBook.library_id == library.id,
                LibraryLoan.returned_at.is_(None),
                LibraryLoan.due_on < today,
            )
            .options(contains_eager(LibraryLoan.book), joinedload(LibraryLoan.user))
            .order_by(LibraryLoan.due_on, LibraryLoan.id)
            .limit(500)
        )
    )


def counts_at(staff, library_id: int, today: date) -> tuple[int, int]:
    """(books out, overdue) at the library: the desk's summary."""
    library = directory.library_in_scope(staff, library_id)
    base = (
        select(func.count(LibraryLoan.id))
        .join(LibraryBook)
        .where(LibraryBook.library_id == library.id, LibraryLoan.returned_at.is_(None))
    )
    return db.session.scalar(base), db.session.scalar(base.where(LibraryLoan.due_on < today))


# --- The jobs runner -----------------------------------------------------------------------------


def register(app) -> None:
    """The message of a loan made (the reminders are ``loan_reminders``')."""
    notify.message_template(
        "library_loan.lent",
        _l("You borrowed %(title)s"),
        _l(
            "Please return it to %(library)s by %(year)d-%(month)02d-%(day)02d. You can renew it once "
            "on the portal while nobody is waiting for it."
        ),
    )
