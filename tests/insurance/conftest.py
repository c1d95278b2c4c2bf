"""Mutual medical insurance test set-up: the demo plans, members of grassroots_a1 (under 香坊区,
county_a1) — a male rider, a woman employee — a non-member, and staff in and out of scope."""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from portal.core import workflow
from portal.extensions import db
from tests.helpers import valid_id_number


@pytest.fixture
def plans(app, today):
    """The demo plans, on 5 December 2026 (``today``): their years are fixed, the tests' dates too."""
    from portal.insurance import demo

    with app.app_context():
        demo.seed_plans()
        db.session.commit()


@pytest.fixture
def insured(app, tree, plans, make_user, make_application):
    """Members (approved through the workflow, so membership's effects run) and staff."""
    reviewer = make_user("staff", union=tree["grassroots_a1"], name="基层审核员")
    made = {"grassroots": reviewer}
    work = {
        "rider": {"employment_type": "delivery_rider"},
        "woman": {"employment_type": "employee", "platform": "", "employer": "哈尔滨松江机械制造有限公司"},
    }
    for key, name, seq in (("rider", "王骑手", "011"), ("woman", "李女士", "022")):
        user = make_user(name=name, id_number=valid_id_number(seq=seq))
        application = make_application(user, tree["grassroots_a1"], real_name=name, **work[key])
        with app.app_context():
            workflow.decide(
                db.session.get(workflow.Application, application.id), db.session.get(User, reviewer.id), "approve"
            )
            db.session.commit()
        made[key] = user
    made["outsider"] = make_user(name="路人", id_number=valid_id_number(seq="031"))
    made["county"] = make_user("staff", union=tree["county_a1"], name="县审核员")
    made["county_other"] = make_user("staff", union=tree["county_a2"], name="别县审核员")
    made["admin"] = make_user("admin")
    return made


@pytest.fixture
def people(ctx, insured):
    """Everyone, loaded in the test's own session (service-level tests)."""
    return {name: db.session.get(User, u.id) for name, u in insured.items()}


@pytest.fixture
def today(monkeypatch):
    """Pages and services read "today" as 2026-12-05 (HOSP-2027 open, HOSP-2026 closed)."""
    from datetime import date

    from portal.insurance import roster, services, spreadsheets
    from portal.insurance.views import member

    day = date(2026, 12, 5)
    for module in (services, member, roster, spreadsheets):
        monkeypatch.setattr(module, "local_today", lambda moment=None: day)
    return day


@pytest.fixture
def covered(people):
    """The rider and the woman, covered by HOSP-2026 from 1 January 2026 (first enrolment: covered
    for illness from 1 April), confirmed by the county union."""
    from datetime import date

    from portal.insurance import services

    plan = next(p for p in services.plans() if p.code == "HOSP-2026")
    held = {}
    for who in ("rider", "woman"):
        enrolment = services.enrol_self(people[who], plan, date(2025, 12, 10))
        services.confirm_payment(enrolment, people["county"], today=date(2025, 12, 20))
        held[who] = enrolment
    db.session.commit()
    return held


def claim_details(start, end=None, *, total="20000", public="9000", serious="2000", excluded="1000", invoices=None):
    """A hospital stay's details: by default eligible ¥8,000 (pays ¥3,750)."""
    from decimal import Decimal

    from portal.insurance.claims import ClaimDetails

    return ClaimDetails(
        started_on=start,
        ended_on=end or start,
        hospital="哈尔滨医科大学附属第一医院",
        diagnosis="急性阑尾炎",
        total_cost=Decimal(total),
        public_paid=Decimal(public),
        serious_paid=Decimal(serious),
        excluded=Decimal(excluded),
        invoices=list(invoices or [f"INV{next_invoice()}"]),
    )


_invoice_numbers = iter(range(100000, 10**9))


def next_invoice() -> int:
    return next(_invoice_numbers)


def sent_claim(person, enrolment, details, today):
    """A claim made, with one document, and sent (not committed)."""
    from portal.insurance import claims
    from tests.aid.conftest import add_document

    claim = claims.draft_claim(person, enrolment, details, today)
    add_document(claim, person, name="发票.png")
    claims.submit_claim(claim, person, today)
    return claim


def open_plan(code: str):
    """A hospital plan (added to the session, not committed) open for enrolment today and covering
    the last 200 days, with no waiting period: claims on it can be made today, whatever the date."""
    from dataclasses import replace
    from datetime import timedelta

    from portal.core.time import local_today
    from portal.insurance.models import InsurancePlan
    from portal.insurance.plans_data import HOSPITAL_RULES

    today = local_today()
    plan = InsurancePlan(
        code=code,
        family="hospital",
        plan_year=today.year,
        name="测试住院互助",
        contribution=60,
        coverage_start=today - timedelta(days=200),
        coverage_end=today + timedelta(days=165),
        enrol_from=today - timedelta(days=1),
        enrol_until=today + timedelta(days=30),
    )
    plan.rules = replace(HOSPITAL_RULES, waiting_days=0)
    db.session.add(plan)
    return plan
