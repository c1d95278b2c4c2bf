"""Staff enrolment: the roster of a plan (members of the staff member's unions), and enrolling
them — one at a time or ticked in bulk. Spreadsheets (import, export) are in ``spreadsheets``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from portal.core import audit, scope
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import mask_phone
from portal.core.time import local_today
from portal.extensions import db
from portal.insurance import services
from portal.insurance.models import InsuranceEnrolment, InsurancePlan, _public_id

# --- Who may be enrolled by staff ----------------------------------------------------------------


def _occupation_of():
    """The occupation from the member's latest approved membership application (a column)."""
    from portal.accounts.models import User
    from portal.membership.models import MembershipApplication

    return (
        select(MembershipApplication.employment_type)
        .where(MembershipApplication.applicant_id == User.id, MembershipApplication.status == "approved")
        .order_by(MembershipApplication.decided_at.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )


@dataclass
class RosterRow:
    user_id: int
    name: str
    phone_masked: str
    union_name: str
    occupation: str | None
    enrolment: InsuranceEnrolment | None


def roster(staff, plan: InsurancePlan, *, union_code=None, occupation=None, enrolled=None, page=1, per_page=50):
    """Members of the staff member's unions (active memberships), with their enrolment in
    ``plan``: filtered by union (a subtree), occupation, enrolled or not. Returns (rows, total)."""
    from portal.accounts.models import User
    from portal.membership.models import Membership
    from portal.unions.models import Union, subtree_bounds

    occupation_col = _occupation_of().label("occupation")
    stmt = (
        select(User, Union.name, occupation_col, InsuranceEnrolment)
        .join(Membership, Membership.user_id == User.id)
        .join(Union, Union.id == Membership.union_id)
        .outerjoin(
            InsuranceEnrolment,
            and_(InsuranceEnrolment.user_id == User.id, InsuranceEnrolment.plan_id == plan.id),
        )
        .where(Membership.status == "active")
    )
    stmt = scope.scoped(stmt, staff, Membership.union_id)
    if union_code:
        path = db.session.scalar(select(Union.path).where(Union.code == union_code))
        if path is None:
            return [], 0
        low, high = subtree_bounds(path)
        stmt = stmt.where(Union.path >= low, Union.path < high)
    if occupation:
        stmt = stmt.where(_occupation_of() == occupation)
    if enrolled == "yes":
        stmt = stmt.where(InsuranceEnrolment.id.is_not(None), InsuranceEnrolment.status != "cancelled")
    elif enrolled == "no":
        stmt = stmt.where((InsuranceEnrolment.id.is_(None)) | (InsuranceEnrolment.status == "cancelled"))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(
        stmt.order_by(Union.path, User.name, User.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return [
        RosterRow(user.id, user.name, mask_phone(user.phone), union_name, occ, enrolment)
        for user, union_name, occ, enrolment in rows
    ], total


# --- Enrolling by staff ----------------------------------------------------------------------------


def check_plan_open(plan: InsurancePlan, today: date) -> None:
    if plan.given_with == "membership":
        raise NotAllowed(services.REFUSALS["granted"])
    if not plan.open_for_enrolment(today):
        raise NotAllowed(services.REFUSALS["not_open"])


def staff_enrolment_values(
    staff, plan: InsurancePlan, user, membership, *, paid_by: str, today: date, source: str, renewing: bool
) -> dict:
    """A new enrolment by staff, checked, as column values. Paid by the union: covered at once
    (the union pays); paid by the member: 待缴费 until the contribution is confirmed."""
    if membership is None or membership.status != "active":
        raise NotAllowed(services.REFUSALS["not_member"])
    if not scope.may_act_on(staff, membership.union):
        raise NotAllowed(_l("This member is outside your part of the union."))
    why = services.refusal(user, plan, today, membership=membership)
    if why in ("women_only", "men_only", "no_sex"):
        raise NotAllowed(services.REFUSALS[why])
    if paid_by not in ("union", "self"):
        raise DomainError(_l("Paid by: the union or the member."))
    free = plan.contribution == 0
    values = {
        "public_id": _public_id(),
        "user_id": user.id,
        "plan_id": plan.id,
        "union_id": membership.union_id,
        "status": "pending_payment",
        "paid_by": "free" if free else paid_by,
        "source": source,
        "contribution": plan.contribution,
        "enrolled_at": utcnow(),
        "enrolled_by_id": staff.id,
        "confirmed_at": None,
        "confirmed_by_id": None,
        "coverage_start": None,
        "coverage_end": None,
        "covered_from": None,
        "renewed": False,
    }
    if free or paid_by == "union":
        values.update(services.coverage_values(plan, today, renewing=renewing))
        values.update(confirmed_at=utcnow(), confirmed_by_id=staff.id)
    return values


def enrol_by_staff(
    staff, plan: InsurancePlan, user, membership, *, paid_by: str, today: date, source: str = "staff"
) -> InsuranceEnrolment:
    """Enrol one member of the staff member's unions (in a savepoint: a member enrolled meanwhile
    is refused, not a failed transaction)."""
    renewing = user.id in services.renewing_members([user.id], plan)
    values = staff_enrolment_values(
        staff, plan, user, membership, paid_by=paid_by, today=today, source=source, renewing=renewing
    )
    enrolment = InsuranceEnrolment(**values)
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
            db.session.flush()
    except IntegrityError:
        raise DomainError(services.REFUSALS["enrolled"]) from None
    audit.record("insurance.enrolled", enrolment, actor=staff, union_id=enrolment.union_id, to_state=enrolment.status)
    return enrolment


@dataclass
class BulkResult:
    enrolled: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why)


def bulk_enrol(staff, plan: InsurancePlan, user_ids: list[int], *, paid_by: str, today: date | None = None):
    """The ticked members, each enrolled or skipped with the reason (in its own savepoint)."""
    from portal.accounts.models import User
    from portal.membership.models import Membership

    today = today or local_today()
    check_plan_open(plan, today)
    result = BulkResult()
    ids = list(dict.fromkeys(user_ids))[:500]
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    members = {m.user_id: m for m in db.session.scalars(select(Membership).where(Membership.user_id.in_(ids)))}
    held = set(
        db.session.scalars(
            select(InsuranceEnrolment.user_id).where(
                InsuranceEnrolment.plan_id == plan.id, InsuranceEnrolment.user_id.in_(ids)
            )
        )
    )
    for user_id in ids:
        user = people.get(user_id)
        if user is None:
            continue
        if user_id in held:
            result.skipped.append((user.name, str(services.REFUSALS["enrolled"])))
            continue
        try:
            enrol_by_staff(staff, plan, user, members.get(user_id), paid_by=paid_by, today=today)
            result.enrolled.append(user.name)
        except DomainError as exc:
            result.skipped.append((user.name, str(exc.message)))
    return result
