"""Mutual medical insurance: which plans are open to whom, enrolment, payment confirmation, the
gift of the new-employment-form accident plan with membership, and estimates in plain lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.core import audit, scope
from portal.core.db import utcnow
from portal.core.errors import Conflict, InvalidTransition, NotAllowed, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import add_months, local_today
from portal.extensions import db
from portal.insurance import rules as plan_rules
from portal.insurance.models import InsuranceEnrolment, InsurancePlan


def plans(*, active_only: bool = True) -> list[InsurancePlan]:
    stmt = select(InsurancePlan).order_by(InsurancePlan.plan_year, InsurancePlan.family, InsurancePlan.code)
    if active_only:
        stmt = stmt.where(InsurancePlan.is_active.is_(True))
    return list(db.session.scalars(stmt))


def hospital_plan_now(today: date | None = None) -> InsurancePlan | None:
    """The hospital plan to point people to (the hardship-aid self-check's "consider mutual medical
    cover"): one open for enrolment today, else the one covering today."""
    today = today or local_today()
    hospital = [p for p in plans() if p.family == "hospital"]
    return next((p for p in hospital if p.open_for_enrolment(today)), None) or next(
        (p for p in hospital if p.coverage_start <= today <= p.coverage_end), None
    )


def plan_for_staff(code: str | None, today: date | None = None) -> InsurancePlan | None:
    """The plan staff enrol members in: ``code`` if given, else the first open for enrolment today
    (else the first there is). Plans given with membership are nobody's to enrol in."""
    if code:
        return plan_by_code(code)
    today = today or local_today()
    enrollable = [p for p in plans() if p.given_with != "membership"]
    return next((p for p in enrollable if p.open_for_enrolment(today)), enrollable[0] if enrollable else None)


def plan_by_code(code: str | None) -> InsurancePlan:
    plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == (code or "").strip().upper()))
    if plan is None:
        raise NotFound(_l("There is no plan with this code."))
    return plan


# --- Who may enrol --------------------------------------------------------------------------------

REFUSALS = {
    "not_member": _l("Only union members can join. Join the union first."),
    "women_only": _l("This plan is for women members only."),
    "men_only": _l("This plan is for men members only."),
    "no_sex": _l("Your ID number is needed to tell whether this plan is open to you."),
    "not_open": _l("Enrolment is not open now."),
    "granted": _l("Given with membership to new-employment-form workers; nobody enrols in it."),
    "enrolled": _l("You are already enrolled."),
}


@dataclass
class Offer:
    """One plan as a member sees it: their enrolment (if any), whether they may enrol now, and why
    not (a ``REFUSALS`` code)."""

    plan: InsurancePlan
    enrolment: InsuranceEnrolment | None
    refusal: str | None

    @property
    def may_enrol(self) -> bool:
        return self.refusal is None

    @property
    def refusal_text(self) -> str:
        return str(REFUSALS[self.refusal]) if self.refusal else ""


def _membership(user):
    from portal.membership.services.common import membership_of

    membership = membership_of(user)
    return membership if membership is not None and membership.is_active else None


_LOOK_UP = object()


def refusal(
    user, plan: InsurancePlan, today: date, enrolment: InsuranceEnrolment | None = None, *, membership=_LOOK_UP
) -> str | None:
    """Why ``user`` may not enrol in ``plan`` today (a ``REFUSALS`` code), or None. ``membership``:
    theirs, when the caller has it (bulk enrolment looks many up at once)."""
    if enrolment is not None and enrolment.status != "cancelled":
        return "enrolled"
    if plan.given_with == "membership":
        return "granted"
    if membership is _LOOK_UP:
        membership = _membership(user)
    if membership is None or not membership.is_active:
        return "not_member"
    sex = plan.rules.sex
    if sex is not None:
        if user.gender is None:
            return "no_sex"
        if {"F": "female", "M": "male"}[sex] != user.gender:
            return "women_only" if sex == "F" else "men_only"
    if not plan.open_for_enrolment(today):
        return "not_open"
    return None


def enrolments_of(user) -> list[InsuranceEnrolment]:
    stmt = (
        select(InsuranceEnrolment)
        .where(InsuranceEnrolment.user_id == user.id)
        .order_by(InsuranceEnrolment.enrolled_at.desc())
    )
    return list(db.session.scalars(stmt))


def offers(user, today: date | None = None) -> list[Offer]:
    """Every active plan, for ``user``: what they hold, what they may join, and why not."""
    today = today or local_today()
    held = {e.plan_id: e for e in enrolments_of(user)}
    return [Offer(plan, held.get(plan.id), refusal(user, plan, today, held.get(plan.id))) for plan in plans()]


def enrol_self(user, plan: InsurancePlan, today: date | None = None) -> InsuranceEnrolment:
    """The member joins a plan; it waits for staff to confirm the contribution (待缴费)."""
    today = today or local_today()
    existing = db.session.scalar(
        select(InsuranceEnrolment).where(InsuranceEnrolment.user_id == user.id, InsuranceEnrolment.plan_id == plan.id)
    )
    why = refusal(user, plan, today, existing)
    if why is not None:
        raise NotAllowed(REFUSALS[why])
    membership = _membership(user)
    free = plan.contribution == 0
    if existing is not None:  # cancelled before: enrol again on the same row
        enrolment = existing
        enrolment.status, enrolment.cancelled_at, enrolment.enrolled_at = "pending_payment", None, utcnow()
        enrolment.union_id, enrolment.version = membership.union_id, enrolment.version + 1
    else:
        enrolment = InsuranceEnrolment(
            user_id=user.id,
            plan_id=plan.id,
            union_id=membership.union_id,
            paid_by="free" if free else "self",
            source="self",
            contribution=plan.contribution,
            enrolled_by_id=user.id,
        )
        enrolment.plan = plan
        db.session.add(enrolment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same member enrolled at the same moment in another request
        raise Conflict(REFUSALS["enrolled"]) from None
    if free:
        _start_coverage(enrolment, plan, today)
    audit.record("insurance.enrolled", enrolment, actor=user, union_id=enrolment.union_id, to_state=enrolment.status)
    return enrolment


def renewed_without_gap(user_id: int, plan: InsurancePlan) -> bool:
    """Did the member hold this plan's family the year before, covered up to the day before?"""
    return user_id in renewing_members([user_id], plan)


def renewing_members(user_ids, plan: InsurancePlan) -> set[int]:
    """Of ``user_ids``, those who renew ``plan`` without a gap (``renewed_without_gap``), in one query."""
    day_before = plan.coverage_start - timedelta(days=1)
    stmt = (
        select(InsuranceEnrolment.user_id)
        .join(InsurancePlan, InsurancePlan.id == InsuranceEnrolment.plan_id)
        .where(
            InsuranceEnrolment.user_id.in_(list(user_ids)),
            InsuranceEnrolment.status == "active",
            InsurancePlan.family == plan.family,
            InsurancePlan.plan_year == plan.plan_year - 1,
            InsuranceEnrolment.coverage_end >= day_before,
        )
    )
    return set(db.session.scalars(stmt))


def coverage_values(plan: InsurancePlan, today: date, *, renewing: bool) -> dict:
    """An enrolment's cover once its contribution is in: from the later of the plan's start and
    today, to the plan's end; the waiting period from there, unless the member renews without a
    gap (held the family's plan the year before, up to the day before)."""
    start = max(plan.coverage_start, today)
    renewed = renewing and start == plan.coverage_start
    return {
        "status": "active",
        "coverage_start": start,
        "coverage_end": plan.coverage_end,
        "renewed": renewed,
        "covered_from": plan_rules.waiting_until(start, plan.rules, renewed_without_gap=renewed),
    }


def _start_coverage(
    enrolment: InsuranceEnrolment, plan: InsurancePlan, today: date, *, renewing: bool | None = None
) -> None:
    if renewing is None:
        renewing = renewed_without_gap(enrolment.user_id, plan)
    for name, value in coverage_values(plan, today, renewing=renewing).items():
        setattr(enrolment, name, value)


def confirm_payment(enrolment: InsuranceEnrolment, staff, *, reference: str = "", today: date | None = None) -> None:
    """Staff record that the contribution was received: coverage starts. Only staff over the
    member's union; once (a second confirmation, even at the same moment, is refused)."""
    if not staff.is_staff or not scope.may_act_on(staff, enrolment):
        raise NotAllowed(_l("This enrolment is outside your part of the union."))
    if enrolment.status != "pending_payment":
        raise InvalidTransition(_l("This enrolment is not awaiting payment."))
    today = today or local_today()
    seen = enrolment.version
    claimed = db.session.execute(
        update(InsuranceEnrolment)
        .where(
            InsuranceEnrolment.id == enrolment.id,
            InsuranceEnrolment.version == seen,
            InsuranceEnrolment.status == "pending_payment",
        )
        .values(version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InvalidTransition(_l("Someone else has just changed this enrolment. Reload the page."))
    enrolment.version = seen + 1
    _start_coverage(enrolment, enrolment.plan, today)
    enrolment.confirmed_at, enrolment.confirmed_by_id = utcnow(), staff.id
    enrolment.payment_reference = (reference or "").strip()[:64]
    audit.record(
        "insurance.payment_confirmed",
        enrolment,
        actor=staff,
        union_id=enrolment.union_id,
        from_state="pending_payment",
        to_state="active",
    )


def grant_with_membership(user, occupation: str | None, actor, today: date | None = None) -> list[InsuranceEnrolment]:
    """The effect of a membership approval: the plans given with membership to the member's
    occupation (NEF-ACCIDENT for riders, couriers, drivers …), for one year from today, free.
    Given once: a member who rejoins keeps what they were given."""
    today = today or local_today()
    granted = []
    for plan in plans():
        if plan.given_with != "membership" or occupation not in plan.rules.occupations:
            continue
        if not (plan.coverage_start <= today <= plan.coverage_end):
            continue
        exists = db.session.scalar(
            select(InsuranceEnrolment.id).where(
                InsuranceEnrolment.user_id == user.id, InsuranceEnrolment.plan_id == plan.id
            )
        )
        if exists is not None:
            continue
        membership = _membership(user)
        start = today
        enrolment = InsuranceEnrolment(
            user_id=user.id,
            plan_id=plan.id,
            union_id=membership.union_id if membership else user.union_id,
            status="active",
            paid_by="free",
            source="membership",
            contribution=Decimal(0),
            enrolled_by_id=actor.id if actor is not None else None,
            confirmed_at=utcnow(),
            coverage_start=start,
            coverage_end=add_months(start, 12) - timedelta(days=1),
        )
        enrolment.covered_from = plan_rules.waiting_until(start, plan.rules, renewed_without_gap=False)
        enrolment.plan = plan
        db.session.add(enrolment)
        db.session.flush()
        audit.record("insurance.granted", enrolment, actor=actor, union_id=enrolment.union_id, to_state="active")
        granted.append(enrolment)
    return granted


def load_enrolment_for_staff(public_id: str, staff) -> InsuranceEnrolment:
    stmt = scope.scoped(
        select(InsuranceEnrolment).where(InsuranceEnrolment.public_id == public_id), staff, InsuranceEnrolment.union_id
    )
    enrolment = db.session.scalars(stmt).first()
    if enrolment is None:
        raise NotFound(_l("There is no such enrolment in your part of the union."))
    return enrolment


def pending_payment_count(staff) -> int:
    stmt = select(func.count(InsuranceEnrolment.id)).where(InsuranceEnrolment.status == "pending_payment")
    return db.session.scalar(scope.scoped(stmt, staff, InsuranceEnrolment.union_id))


def pending_payments(staff, page: int = 1, per_page: int = 20):
    stmt = (
        scope.scoped(
            select(InsuranceEnrolment).where(InsuranceEnrolment.status == "pending_payment"),
            staff,
            InsuranceEnrolment.union_id,
        )
        .options(joinedload(InsuranceEnrolment.user), joinedload(InsuranceEnrolment.union))
        .order_by(InsuranceEnrolment.enrolled_at, InsuranceEnrolment.id)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
