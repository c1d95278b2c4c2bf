"""Who may enrol in which plan, self-enrolment awaiting payment, staff confirming it (coverage and
the waiting period start then), renewal without a gap, and the accident plan given with
membership to new-employment-form workers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.errors import InvalidTransition, NotAllowed
from portal.extensions import db
from portal.insurance import services
from portal.insurance.models import InsuranceEnrolment

MARCH = date(2026, 3, 1)


def offer_of(user, code, today=MARCH):
    return next(o for o in services.offers(user, today) if o.plan.code == code)


def test_what_each_person_is_offered_and_why_not(people):
    rider, woman, outsider = people["rider"], people["woman"], people["outsider"]
    assert offer_of(rider, "HOSP-2026").may_enrol
    assert offer_of(rider, "FEMALE-2026").refusal == "women_only"
    assert "女" in offer_of(rider, "FEMALE-2026").refusal_text
    assert offer_of(woman, "FEMALE-2026").may_enrol
    assert offer_of(outsider, "HOSP-2026").refusal == "not_member"
    assert offer_of(rider, "HOSP-2027").refusal == "not_open"  # from 2026-12-01
    assert offer_of(rider, "HOSP-2027", date(2026, 12, 5)).may_enrol
    assert offer_of(rider, "HOSP-2026", date(2026, 12, 5)).refusal == "not_open"
    assert offer_of(woman, "NEF-ACCIDENT").refusal == "granted"  # nobody enrols in it


def test_the_rider_got_the_accident_plan_with_membership_and_the_employee_did_not(people):
    held = offer_of(people["rider"], "NEF-ACCIDENT").enrolment
    assert held is not None and held.status == "active" and held.paid_by == "free" and held.source == "membership"
    assert held.coverage_end == date(
        held.coverage_start.year + 1, held.coverage_start.month, held.coverage_start.day
    ) - (date(2026, 1, 2) - date(2026, 1, 1))
    assert held.covered_from == held.coverage_start  # no waiting period for accidents
    assert offer_of(people["woman"], "NEF-ACCIDENT").enrolment is None


def test_self_enrolment_waits_for_payment_and_confirmation_starts_coverage_and_the_wait(people):
    rider, county = people["rider"], people["county"]
    enrolment = services.enrol_self(rider, offer_of(rider, "HOSP-2026").plan, MARCH)
    db.session.commit()
    assert enrolment.status == "pending_payment" and enrolment.contribution == Decimal("60.00")
    assert enrolment.coverage_start is None
    with pytest.raises(NotAllowed):  # once
        services.enrol_self(rider, enrolment.plan, MARCH)
    services.confirm_payment(enrolment, county, reference="收据0001", today=MARCH)
    db.session.commit()
    assert enrolment.status == "active" and enrolment.coverage_start == MARCH
    assert enrolment.covered_from == date(2026, 5, 30) and not enrolment.renewed
    assert enrolment.in_waiting_period(date(2026, 5, 29)) and not enrolment.in_waiting_period(date(2026, 5, 30))
    events = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.subject_type == "insurance_enrolments", AuditEvent.subject_id == str(enrolment.id)
        )
    ).all()
    assert {"insurance.enrolled", "insurance.payment_confirmed"} <= set(events)
    with pytest.raises(InvalidTransition):  # confirmed twice
        services.confirm_payment(enrolment, county, today=MARCH)


@pytest.mark.parametrize("who", ["county_other", "rider", "woman"])
def test_only_staff_over_the_members_union_confirm_a_payment(people, who):
    enrolment = services.enrol_self(people["woman"], offer_of(people["woman"], "FEMALE-2026").plan, MARCH)
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.confirm_payment(enrolment, people[who], today=MARCH)
    db.session.rollback()
    assert db.session.get(InsuranceEnrolment, enrolment.id).status == "pending_payment"


def test_a_renewal_without_a_gap_has_no_waiting_period_and_a_late_one_does(people):
    rider, woman, county = people["rider"], people["woman"], people["county"]
    plans = {o.plan.code: o.plan for o in services.offers(rider, MARCH)}
    for person in (rider, woman):
        first = services.enrol_self(person, plans["HOSP-2026"], date(2025, 12, 15))
        services.confirm_payment(first, county, today=date(2025, 12, 20))
        assert first.coverage_start == date(2026, 1, 1) and first.covered_from == date(2026, 4, 1)
    december = date(2026, 12, 5)
    on_time = services.enrol_self(rider, plans["HOSP-2027"], december)
    services.confirm_payment(on_time, county, today=date(2026, 12, 10))
    assert on_time.coverage_start == date(2027, 1, 1) and on_time.renewed and on_time.covered_from == date(2027, 1, 1)
    late = services.enrol_self(woman, plans["HOSP-2027"], december)
    services.confirm_payment(late, county, today=date(2027, 1, 20))  # a gap of 19 days
    assert late.coverage_start == date(2027, 1, 20) and not late.renewed and late.covered_from == date(2027, 4, 20)


def test_a_first_enrolment_in_next_years_plan_waits(people):
    rider, county = people["rider"], people["county"]
    plan = offer_of(rider, "HOSP-2027", date(2026, 12, 5)).plan
    enrolment = services.enrol_self(rider, plan, date(2026, 12, 5))
    services.confirm_payment(enrolment, county, today=date(2026, 12, 6))
    assert enrolment.coverage_start == date(2027, 1, 1) and enrolment.covered_from == date(2027, 4, 1)
