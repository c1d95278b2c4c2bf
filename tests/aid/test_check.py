"""能申请吗？ /aid/check and GET /api/v1/aid/check: anyone, no sign-in, nothing stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.aid.models import SubsistenceStandard
from portal.extensions import db
from tests.helpers import csrf_token, login_as, page_text

EXAMPLE = (
    "/api/v1/aid/check?household_size=3&annual_income=36000&essential_spending=12000"
    "&medical_spending=9000&region=230110&migrant=0&months_employed=24"
)


@pytest.fixture
def standards(app):
    with app.app_context():
        db.session.add_all(
            [
                SubsistenceStandard(
                    region_code="230110", area="urban", monthly_amount=Decimal("700"), effective_from=date(2025, 1, 1)
                ),
                SubsistenceStandard(
                    region_code="230110",
                    area="urban",
                    monthly_amount=Decimal("800"),
                    effective_from=date(2026, 1, 1),
                    is_demo=True,
                ),
                SubsistenceStandard(
                    region_code="230110", area="rural", monthly_amount=Decimal("560"), effective_from=date(2026, 1, 1)
                ),
                # Announced, not yet in force.
                SubsistenceStandard(
                    region_code="230110", area="urban", monthly_amount=Decimal("900"), effective_from=date(2099, 1, 1)
                ),
            ]
        )
        db.session.commit()


def test_the_api_answers_the_issues_example(client, standards):
    r = client.get(EXAMPLE)
    assert r.status_code == 200
    body = r.get_json()
    assert body["category"] == "deep"
    assert body["per_capita_monthly"] == "666.67"
    assert body["standard"] == "800.00"  # the row in force today, not the older or the future one
    assert body["reason_codes"] == ["deep", "relative"] and len(body["reasons"]) == 2
    assert body["suggest_insurance"] is False and body["eligible"] is True
    assert body["standard_is_demo"] is True


def test_the_rural_standard_applies_to_a_rural_household(client, standards):
    r = client.get(EXAMPLE + "&area=rural")
    assert r.get_json()["standard"] == "560.00" and r.get_json()["category"] == "relative"


def test_the_api_names_every_problem_in_bad_input(client, standards):
    r = client.get("/api/v1/aid/check?household_size=0&annual_income=abc&essential_spending=١٢&region=230110")
    assert r.status_code == 400
    reasons = r.get_json()["reasons"]
    assert len(reasons) == 3, reasons
    assert any("household_size" in reason for reason in reasons)


def test_the_api_refuses_a_medical_part_larger_than_the_whole(client, standards):
    r = client.get(EXAMPLE.replace("medical_spending=9000", "medical_spending=13000"))
    assert r.status_code == 400 and "医疗" in r.get_json()["error"]


def test_a_place_without_a_standard_gets_a_clear_answer(client, standards):
    r = client.get(EXAMPLE.replace("region=230110", "region=999999"))
    assert r.status_code == 400 and "低保" in r.get_json()["error"]


def test_a_migrant_worker_with_eleven_months_is_told_so(client, standards):
    body = client.get(EXAMPLE.replace("migrant=0&months_employed=24", "migrant=1&months_employed=11")).get_json()
    assert body["category"] == "deep" and body["eligible"] is False and body["unmet"] == ["migrant_months"]


FORM = {
    "household_size": "3",
    "income_basis": "annual",
    "income": "36,000",
    "medical_spending": "9000",
    "education_spending": "３０００",  # typed on a Chinese keyboard
    "disaster_spending": "",
    "region": "230110",
    "area": "urban",
    "migrant": "no",
    "months_employed": "",
}


def _row_counts():
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_the_page_shows_the_category_the_figures_and_what_to_prepare(app, client, standards):
    assert client.get("/aid/check").status_code == 200
    with app.app_context():
        before = _row_counts()
    r = client.post("/aid/check", data={**FORM, "csrf_token": csrf_token(client, "/aid/check")})
    assert r.status_code == 200
    html = page_text(r)
    assert "深度困难" in html
    assert "¥666.67" in html and "¥800.00" in html and "演示数据" in html
    assert "户口簿" in html  # the documents to prepare
    with app.app_context():
        assert _row_counts() == before  # nothing typed was stored


def test_monthly_income_per_person_is_counted_for_the_whole_household(client, standards):
    data = {**FORM, "income_basis": "monthly", "income": "1000", "medical_spending": "", "education_spending": ""}
    html = page_text(client.post("/aid/check", data={**data, "csrf_token": csrf_token(client, "/aid/check")}))
    assert "¥36,000.00" in html and "相对困难" in html  # 1,000 × 12 × 3


def test_high_medical_costs_without_a_category_point_to_mutual_medical_cover(client, standards):
    data = {
        **FORM,
        "household_size": "2",
        "income": "100000",
        "medical_spending": "31000",
        "education_spending": "4000",
    }
    html = page_text(client.post("/aid/check", data={**data, "csrf_token": csrf_token(client, "/aid/check")}))
    assert "互助医疗保障" in html


def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong(client, standards):
    data = {**FORM, "household_size": "０", "income": "三万"}
    r = client.post("/aid/check", data={**data, "csrf_token": csrf_token(client, "/aid/check")})
    assert r.status_code == 422
    html = page_text(r)
    assert 'value="三万"' in html
    assert "家庭人口" in html and "0-9" in html
    assert "深度困难" not in html


def test_a_post_without_the_csrf_token_is_refused(client, standards):
    assert client.post("/aid/check", data=FORM).status_code == 400


def test_a_signed_in_non_member_is_shown_the_way_to_join_first(client, standards, make_user):
    login_as(client, make_user())
    html = page_text(client.post("/aid/check", data={**FORM, "csrf_token": csrf_token(client, "/aid/check")}))
    assert "先加入工会" in html or "加入工会" in html
    assert 'href="/membership"' in html
