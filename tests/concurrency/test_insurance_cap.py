"""The annual cap holds with many gunicorn workers: ten claims of one member, approved at the same
moment by ten county staff, pay at most ¥30,000 together; the claims that would pass it are reduced
to what is left (their calculation says so), none is paid twice. On the suite's database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core import workflow
from portal.extensions import db
from portal.insurance import claims, demo, payouts, services
from portal.insurance.models import InsuranceClaim, InsuranceEnrolment
from tests.aid.conftest import add_document
from tests.concurrency.conftest import Browser
from tests.helpers import PASSWORD, valid_id_number
from tests.insurance.conftest import claim_details

pytestmark = pytest.mark.slow
TODAY = date(2026, 12, 5)


def test_ten_approvals_at_once_never_pay_past_the_annual_cap(app, live_server, make_user, make_application, tree):
    member = make_user(name="王骑手", id_number=valid_id_number())
    grassroots = make_user("staff", union=tree["grassroots_a1"])
    county_staff = [
        make_user("staff", union=tree["county_a1"], name="县审核员" + "甲乙丙丁戊己庚辛壬癸"[i]) for i in range(10)
    ]
    application = make_application(member, tree["grassroots_a1"])
    with app.app_context():
        demo.seed_plans()
        reviewer = db.session.get(User, grassroots.id)
        workflow.decide(db.session.get(workflow.Application, application.id), reviewer, "approve")
        person = db.session.get(User, member.id)
        plan = next(p for p in services.plans() if p.code == "HOSP-2026")
        enrolment = services.enrol_self(person, plan, date(2025, 12, 10))
        services.confirm_payment(enrolment, db.session.get(User, county_staff[0].id), today=date(2025, 12, 20))
        made = []
        for i in range(10):  # each eligible ¥10,500: ¥5,000 before the cap, ¥50,000 together
            stay = date(2026, 11, 1) + timedelta(days=2 * i)
            claim = claims.draft_claim(
                person, enrolment, claim_details(stay, total="10500", public="0", serious="0", excluded="0"), TODAY
            )
            add_document(claim, person, name="发票.png")
            claims.submit_claim(claim, person, TODAY)
            workflow.decide(claim, reviewer, "approve")  # documents checked: at the county's stage
            made.append(claim.public_id)
        db.session.commit()
        enrolment_id = enrolment.id

    browsers = []
    for staff in county_staff:
        browser = Browser(live_server)
        browser.login(staff.phone, PASSWORD)
        browsers.append(browser)
    tokens = [b.token(f"/staff/reviews/{public_id}") for b, public_id in zip(browsers, made, strict=True)]
    barrier = threading.Barrier(len(browsers))

    def approve(i):
        barrier.wait()
        data = {"paid_on": TODAY.isoformat(), "method": "bank", "reference": f"HX-{i}", "csrf_token": tokens[i]}
        return browsers[i].request(f"/insurance/staff/claims/{made[i]}/approve", data)[0]

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        results = list(pool.map(approve, range(len(browsers))))
    assert results == [303] * 10, results

    with app.app_context():
        paid = db.session.scalars(select(InsuranceClaim).where(InsuranceClaim.public_id.in_(made))).all()
        assert all(c.status == "approved" for c in paid)
        total = sum(c.payout for c in paid)
        assert total == Decimal("30000.00")
        assert db.session.get(InsuranceEnrolment, enrolment_id).paid_fen == 3_000_000
        full = [c for c in paid if c.payout == Decimal("5000.00")]
        reduced = [c for c in paid if c.payout < Decimal("5000.00")]
        assert len(full) == 6 and len(reduced) == 4
        assert all(c.capped and payouts.calculation_lines(c)[-1].kind == "cap" for c in reduced)
        assert all(not c.capped for c in full)
