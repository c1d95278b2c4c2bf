"""The demo data for mutual medical insurance: the four plans, 张伟 holding HOSP-2026 since
January with a paid claim, claims at each stage; loaded once however often it runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.insurance.models import InsuranceClaim, InsuranceEnrolment, InsurancePlan


def test_the_demo_has_the_four_plans_and_zhang_wei_covered_since_january(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        plans = db.session.scalars(select(InsurancePlan)).all()
        assert sorted(p.code for p in plans) == ["FEMALE-2026", "HOSP-2026", "HOSP-2027", "NEF-ACCIDENT"]
        assert all(p.is_demo for p in plans)
        worker = db.session.scalar(select(User).where(User.phone == "13800000001"))
        (held,) = db.session.scalars(select(InsuranceEnrolment).where(InsuranceEnrolment.user_id == worker.id)).all()
        assert held.plan.code == "HOSP-2026" and held.status == "active"
        assert held.coverage_start == date(2026, 1, 1)
        found = db.session.scalars(select(InsuranceClaim).order_by(InsuranceClaim.id)).all()
        assert [(c.status, c.stage) for c in found] == [
            ("approved", None),
            ("submitted", "payout_approval"),
            ("submitted", "document_check"),
        ]
        assert found[0].applicant_id == worker.id and found[0].payout == Decimal("3750.00")
        assert held.paid_fen == 375000
