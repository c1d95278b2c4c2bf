"""Demo data for mutual medical insurance: the four demo plans (issue 9's figures)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.insurance.models import InsurancePlan
from portal.insurance.plans_data import DEMO_PLANS


def seed_plans() -> None:
    have = set(db.session.scalars(select(InsurancePlan.code)))
    for data in DEMO_PLANS:
        if data["code"] in have:
            continue
        values = {k: v for k, v in data.items() if k != "rules"}
        plan = InsurancePlan(**values, is_demo=True)
        plan.rules = data["rules"]
        db.session.add(plan)
    db.session.flush()


def seed_enrolments() -> None:
    """张伟 (the demo worker, a member) holds HOSP-2026 since 1 January, paid by himself and
    confirmed by 香坊区's staff."""
    from datetime import date, datetime, timezone

    from portal.accounts.models import User
    from portal.insurance.models import InsuranceEnrolment
    from portal.membership.services.common import membership_of

    worker = db.session.scalar(select(User).where(User.phone == "13800000001"))
    county = db.session.scalar(select(User).where(User.phone == "13900000002"))
    plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == "HOSP-2026"))
    membership = membership_of(worker) if worker is not None else None
    if plan is None or membership is None or county is None:
        return
    if db.session.scalar(
        select(InsuranceEnrolment.id).where(InsuranceEnrolment.user_id == worker.id, InsuranceEnrolment.plan_id == plan.id)
    ):
        return
    db.session.add(
        InsuranceEnrolment(
            user_id=worker.id,
            plan_id=plan.id,
            union_id=membership.union_id,
            status="active",
            paid_by="self",
            source="self",
            contribution=plan.contribution,
            enrolled_at=datetime(2025, 12, 10, 2, 0, tzinfo=timezone.utc),
            enrolled_by_id=worker.id,
            confirmed_at=datetime(2025, 12, 12, 3, 0, tzinfo=timezone.utc),
            confirmed_by_id=county.id,
            payment_reference="演示收据0001",
            coverage_start=date(2026, 1, 1),
            coverage_end=date(2026, 12, 31),
            covered_from=date(2026, 4, 1),
        )
    )
    db.session.flush()
