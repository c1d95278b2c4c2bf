"""建档 (一户一档): the household's case file, opened when an approved case's public notice ends
without objection (the kind's effect on approval).

A file is valid for 12 months from the day it opens (Asia/Shanghai); it is flagged for the yearly
review ``REVIEW_NOTICE_DAYS`` (30) days before it runs out. Staff whose scope holds the household's
union record payments, re-check the household with a new visit (which renews the file for 12
months), or close the file (撤档) with a reason. The member sees the file's state and payments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from portal.aid.choices import AMOUNT_MAX, PAYMENT_METHODS
from portal.aid.models import AidApplication, AidCaseFile, AidHomeVisit, AidPayment
from portal.aid.services.review import check_visit
from portal.core import audit, scope
from portal.core.errors import InvalidTransition, NotAllowed, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import add_months, local_today
from portal.core.validators import InvalidInput, clean_line, clean_prose
from portal.extensions import db

VALID_MONTHS = 12
REVIEW_NOTICE_DAYS = 30
REASON_MAX = 500


def open_case_file(application: AidApplication, actor) -> AidCaseFile:
    """The effect of the final approval (the notice ended without objection): one file per case."""
    opened_on = local_today(application.decided_at)
    case = AidCaseFile(
        application_id=application.id,
        household_id=application.applicant_id,
        union_id=application.union_id,
        category=application.approved_category,
        amount=application.approved_amount,
        opened_on=opened_on,
        valid_until=add_months(opened_on, VALID_MONTHS),
    )
    db.session.add(case)
    db.session.flush()
    audit.record("aid.case_opened", case, actor=actor, union_id=case.union_id, to_state="open")
    return case


def case_of(application: AidApplication) -> AidCaseFile | None:
    return db.session.scalars(select(AidCaseFile).where(AidCaseFile.application_id == application.id)).first()


def cases_of_household(user) -> list[AidCaseFile]:
    stmt = select(AidCaseFile).where(AidCaseFile.household_id == user.id).order_by(AidCaseFile.opened_on.desc())
    return list(db.session.scalars(stmt))


def load_for_staff(public_id: str, staff) -> AidCaseFile:
    stmt = scope.scoped(select(AidCaseFile).where(AidCaseFile.public_id == public_id), staff, AidCaseFile.union_id)
    case = db.session.scalars(stmt.options(joinedload(AidCaseFile.household), joinedload(AidCaseFile.union))).first()
    if case is None:
        raise NotFound()
    return case


def load_for_household(public_id: str, user) -> AidCaseFile:
    case = db.session.scalars(
        select(AidCaseFile).where(AidCaseFile.public_id == public_id, AidCaseFile.household_id == user.id)
    ).first()
    if case is None:
        raise NotFound()
    return case


def review_due(case: AidCaseFile, today: date | None = None) -> bool:
    """Open, and its 12 months end within ``REVIEW_NOTICE_DAYS`` (or are over)."""
    today = today or local_today()
    return case.status == "open" and case.valid_until <= today + timedelta(days=REVIEW_NOTICE_DAYS)


def cases_in_scope(staff, *, status: str | None = "open", due_only: bool = False, page: int = 1, per_page: int = 20):
    """Case files the staff member's scope holds; those due for review first."""
    stmt = (
        select(AidCaseFile)
        .options(joinedload(AidCaseFile.household), joinedload(AidCaseFile.union))
        .order_by(AidCaseFile.valid_until, AidCaseFile.id)
    )
    stmt = scope.scoped(stmt, staff, AidCaseFile.union_id)
    if status in ("open", "closed"):
        stmt = stmt.where(AidCaseFile.status == status)
    if due_only:
        stmt = stmt.where(
            AidCaseFile.status == "open",
            AidCaseFile.valid_until <= local_today() + timedelta(days=REVIEW_NOTICE_DAYS),
        )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def due_count(staff) -> int:
    stmt = select(func.count(AidCaseFile.id)).where(
        AidCaseFile.status == "open",
        AidCaseFile.valid_until <= local_today() + timedelta(days=REVIEW_NOTICE_DAYS),
    )
    return db.session.scalar(scope.scoped(stmt, staff, AidCaseFile.union_id))


def _check_staff(case: AidCaseFile, staff) -> None:
    if staff.id == case.household_id or not scope.may_act_on(staff, case.union):
        raise NotAllowed()


def _require_open(case: AidCaseFile) -> None:
    if case.status != "open":
        raise InvalidTransition(_l("This case file is closed."))


def record_payment(
    case: AidCaseFile,
    staff,
    *,
    amount: Decimal | None,
    paid_on: date | None,
    method: str | None,
    reference: str | None,
) -> AidPayment:
    """Staff record a payment made to the household (the money moves outside the portal)."""
    _check_staff(case, staff)
    _require_open(case)
    if amount is None or amount <= 0:
        raise InvalidInput(_l("Please enter the amount paid."), field="amount")
    if amount > AMOUNT_MAX:
        raise InvalidInput(_l("The amount can be at most ¥100,000."), field="amount")
    if paid_on is None:
        raise InvalidInput(_l("Please enter the date of the payment."), field="paid_on")
    if paid_on > local_today():
        raise InvalidInput(_l("The payment date cannot be in the future."), field="paid_on")
    if paid_on < case.opened_on:
        raise InvalidInput(_l("The payment date cannot be before the file was opened."), field="paid_on")
    if method not in PAYMENT_METHODS:
        raise InvalidInput(_l("Please choose how it was paid."), field="method")
    payment = AidPayment(
        case_file_id=case.id,
        amount=amount,
        paid_on=paid_on,
        method=method,
        reference=clean_line(reference, max_length=64, field="reference"),
        recorded_by_id=staff.id,
    )
    db.session.add(payment)
    db.session.flush()
    audit.record("aid.payment_recorded", case, actor=staff, union_id=case.union_id, note=f"{amount} {paid_on}")
    db.session.expire(case, ["payments"])
    return payment


@dataclass(frozen=True)
class YearTotal:
    year: int
    total: Decimal
    count: int


def totals_by_year(case: AidCaseFile) -> list[YearTotal]:
    totals: dict[int, list] = defaultdict(lambda: [Decimal(0), 0])
    for payment in case.payments:
        totals[payment.paid_on.year][0] += payment.amount
        totals[payment.paid_on.year][1] += 1
    return [YearTotal(year, total, count) for year, (total, count) in sorted(totals.items(), reverse=True)]


def _save(case: AidCaseFile, staff, action: str, **values) -> None:
    """Compare-and-set on the file's version: two staff acting at once resolve to one result."""
    result = db.session.execute(
        update(AidCaseFile)
        .where(AidCaseFile.id == case.id, AidCaseFile.version == case.version, AidCaseFile.status == "open")
        .values(version=AidCaseFile.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(case)
        raise InvalidTransition(_l("Someone else has just changed this case file; refresh to see it."))
    db.session.refresh(case)


def recheck(
    case: AidCaseFile, staff, *, visited_on: date | None, visitors: str | None, findings: str | None
) -> AidHomeVisit:
    """The yearly review: a new home visit renews the file for another 12 months."""
    _check_staff(case, staff)
    _require_open(case)
    visited_on, visitors, findings = check_visit(visited_on, visitors, findings)
    visit = AidHomeVisit(
        application_id=case.application_id,
        case_file_id=case.id,
        visited_on=visited_on,
        visitors=visitors,
        findings=findings,
        recorded_by_id=staff.id,
    )
    db.session.add(visit)
    db.session.flush()
    start = max(case.valid_until, local_today())
    _save(case, staff, "recheck", valid_until=add_months(start, VALID_MONTHS))
    audit.record("aid.case_rechecked", case, actor=staff, union_id=case.union_id, note=visitors)
    return visit


def close(case: AidCaseFile, staff, *, reason: str | None) -> AidCaseFile:
    """撤档: staff close the file with a reason (the member reads it)."""
    _check_staff(case, staff)
    _require_open(case)
    reason = clean_prose(reason, max_length=REASON_MAX, field="reason")
    if not reason:
        raise InvalidInput(_l("Please give the reason for closing the file."), field="reason")
    _save(case, staff, "close", status="closed", closed_on=local_today(), close_reason=reason)
    audit.record(
        "aid.case_closed", case, actor=staff, union_id=case.union_id, from_state="open", to_state="closed", note=reason
    )
    return case


def visits_of(case: AidCaseFile) -> list[AidHomeVisit]:
    stmt = (
        select(AidHomeVisit)
        .where(AidHomeVisit.application_id == case.application_id)
        .options(joinedload(AidHomeVisit.recorded_by))
        .order_by(AidHomeVisit.visited_on, AidHomeVisit.id)
    )
    return list(db.session.scalars(stmt))
