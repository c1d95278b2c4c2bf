"""/insurance as people use it: what they hold and may join, a plan's terms with an estimate that
works without JavaScript, enrolling, and staff confirming the contribution — with who may do what."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.insurance.models import InsuranceEnrolment
from tests.helpers import login_as, page_text, post_form


def test_anyone_sees_the_plans_and_is_asked_to_sign_in(client, plans):
    html = page_text(client.get("/insurance"))
    assert "在职职工住院医疗互助保障（2026年度）" in html and "登录" in html
    assert "示例" in html  # demo figures are labelled


def test_a_rider_sees_the_accident_cover_they_were_given_and_the_plans_they_can_join(client, insured, today):
    login_as(client, insured["rider"])
    html = page_text(client.get("/insurance"))
    held = html.split('id="held-title"')[1].split('id="open-title"')[0]
    assert "新就业形态劳动者意外伤害互助" in held and "保障中" in held
    joinable = html.split('id="open-title"')[1].split('id="others-title"')[0]
    assert "2027年度" in joinable and "2026年度" not in joinable
    others = html.split('id="others-title"')[1]
    assert "仅限女性会员" in others and "不在参保登记时间内" in others


def test_the_plan_page_estimates_a_bill_without_javascript(client, plans):
    html = page_text(client.get("/insurance/plans/HOSP-2026?eligible_amount=8000"))
    assert "超过起付线部分 7,500.00 × 50% = 3,750.00" in html
    assert "¥3,750.00" in html
    capped = page_text(client.get("/insurance/plans/HOSP-2026?eligible_amount=60500"))
    assert "年度最高限额 30,000.00" in capped and "¥30,000.00" in capped
    bad = client.get("/insurance/plans/HOSP-2026?eligible_amount=abc")
    assert bad.status_code == 200 and 'role="alert"' in page_text(bad) and "abc" in page_text(bad)
    female = page_text(client.get("/insurance/plans/FEMALE-2026?diagnosis=乳腺癌"))
    assert "¥10,000.00" in female


def test_an_unknown_plan_is_a_404(client, plans):
    assert client.get("/insurance/plans/NOPE").status_code == 404


def test_enrolling_needs_the_consent_then_waits_for_payment(app, client, insured, today):
    login_as(client, insured["rider"])
    refused = post_form(client, "/insurance/plans/HOSP-2027/enrol", {}, token_from="/insurance/plans/HOSP-2027")
    assert refused.status_code == 422 and "请确认" in page_text(refused)
    r = post_form(client, "/insurance/plans/HOSP-2027/enrol", {"consent": "y"}, token_from="/insurance/plans/HOSP-2027")
    assert r.status_code == 303
    html = page_text(client.get("/insurance"))
    assert "待缴费" in html and "¥60.00" in html
    again = post_form(
        client, "/insurance/plans/HOSP-2027/enrol", {"consent": "y"}, token_from="/insurance/plans/HOSP-2027"
    )
    assert again.status_code == 403 and "已参加" in page_text(again)


def test_a_man_cannot_enrol_in_the_womens_plan_even_by_posting(client, insured, today):
    login_as(client, insured["rider"])
    r = post_form(client, "/insurance/plans/FEMALE-2026/enrol", {"consent": "y"}, token_from="/insurance")
    assert r.status_code == 403 and "仅限女性" in page_text(r)


def test_enrolling_without_the_csrf_token_is_refused(app, client, insured, today):
    login_as(client, insured["rider"])
    r = client.post("/insurance/plans/HOSP-2027/enrol", data={"consent": "y"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.query(InsuranceEnrolment).filter_by(source="self").count() == 0


@pytest.fixture
def pending(app, client, insured, today):
    login_as(client, insured["woman"])
    post_form(client, "/insurance/plans/HOSP-2027/enrol", {"consent": "y"}, token_from="/insurance/plans/HOSP-2027")
    with app.app_context():
        return db.session.query(InsuranceEnrolment).filter_by(source="self").one().public_id


@pytest.mark.parametrize(
    ("who", "list_status", "confirm_status"),
    [
        ("county", 200, 303),
        ("grassroots", 200, 303),
        ("admin", 200, 303),
        ("county_other", 200, 404),
        ("woman", 403, 403),
        ("rider", 403, 403),
    ],
)
def test_who_may_confirm_a_contribution(app, client, insured, pending, who, list_status, confirm_status):
    login_as(client, insured[who])
    listed = client.get("/insurance/staff/payments")
    assert listed.status_code == list_status
    if list_status == 200:
        assert (pending in page_text(listed)) == (confirm_status == 303)
    url = f"/insurance/staff/enrolments/{pending}/confirm"
    r = post_form(
        client, url, {"reference": "收据0001"}, token_from="/insurance/staff/payments" if list_status == 200 else "/"
    )
    assert r.status_code == confirm_status
    with app.app_context():
        status = db.session.query(InsuranceEnrolment).filter_by(public_id=pending).one().status
    assert status == ("active" if confirm_status == 303 else "pending_payment")


def test_signed_out_staff_pages_ask_to_sign_in(app, pending):
    anonymous = app.test_client()
    for url in ("/insurance/staff/payments", f"/insurance/staff/enrolments/{pending}/confirm"):
        r = anonymous.get(url)
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_a_confirmed_member_sees_cover_dates_and_the_waiting_period(app, client, insured, pending):
    login_as(client, insured["county"])
    post_form(client, f"/insurance/staff/enrolments/{pending}/confirm", {}, token_from="/insurance/staff/payments")
    login_as(client, insured["woman"])
    html = page_text(client.get("/insurance"))
    assert "保障中" in html and "2027年1月1日" in html and "等待期至2027年4月1日" in html
    assert re.search(r"本年度剩余额度.{0,40}¥30,000\.00", html)


def test_the_aid_self_check_points_to_the_hospital_plan(client, plans, today, monkeypatch):
    """The hardship-aid self-check's "consider mutual medical cover" leads to the hospital plan."""
    from datetime import date
    from decimal import Decimal

    from portal.aid.models import SubsistenceStandard
    from tests.aid.test_check import FORM
    from tests.helpers import csrf_token

    with client.application.app_context():
        db.session.add(
            SubsistenceStandard(
                region_code="230110", area="urban", monthly_amount=Decimal("700"), effective_from=date(2025, 1, 1)
            )
        )
        db.session.commit()
    data = {
        **FORM,
        "household_size": "2",
        "income": "100000",
        "medical_spending": "31000",
        "education_spending": "4000",
    }
    html = page_text(client.post("/aid/check", data={**data, "csrf_token": csrf_token(client, "/aid/check")}))
    assert 'href="/insurance/plans/HOSP-2027"' in html  # open for enrolment on 5 December 2026
