"""GET /api/v1/insurance/plans and …/estimate: anyone, no sign-in, nothing stored."""

from __future__ import annotations

import pytest


def test_the_plans_are_listed_with_their_rules(client, plans):
    data = client.get("/api/v1/insurance/plans").get_json()
    codes = [plan["code"] for plan in data["plans"]]
    assert set(codes) == {"HOSP-2026", "HOSP-2027", "FEMALE-2026", "NEF-ACCIDENT"}
    hosp = next(plan for plan in data["plans"] if plan["code"] == "HOSP-2026")
    assert hosp["contribution"] == "60.00" and hosp["is_demo"] is True
    assert hosp["rules"]["deductible"] == "500" and hosp["rules"]["annual_cap"] == "30000"
    assert [b["rate"] for b in hosp["rules"]["bands"]] == ["0.5", "0.6", "0.7"]
    female = next(plan for plan in data["plans"] if plan["code"] == "FEMALE-2026")
    assert female["rules"]["women_only"] is True and "乳腺癌" in female["rules"]["diseases"]
    assert next(p for p in data["plans"] if p["code"] == "NEF-ACCIDENT")["given_with_membership"] is True


@pytest.mark.parametrize(
    ("query", "payout", "capped"),
    [
        ("eligible_amount=8000", "3750.00", False),
        ("eligible_amount=500", "0.00", False),
        ("eligible_amount=10500", "5000.00", False),
        ("eligible_amount=30000", "16700.00", False),
        ("eligible_amount=1234.56", "367.28", False),
        ("eligible_amount=60500", "30000.00", True),
        ("eligible_amount=60500&paid_this_year=25000", "5000.00", True),
        ("eligible_amount=８０００", "3750.00", False),  # full-width digits, as a phone keyboard types them
        ("eligible_amount=¥8,000元", "3750.00", False),
    ],
)
def test_the_estimate_pays_the_worked_examples(client, plans, query, payout, capped):
    r = client.get(f"/api/v1/insurance/plans/HOSP-2026/estimate?{query}")
    assert r.status_code == 200
    data = r.get_json()
    assert (data["payout"], data["capped"]) == (payout, capped)


def test_the_estimate_explains_itself_line_by_line_in_chinese(client, plans):
    data = client.get("/api/v1/insurance/plans/HOSP-2026/estimate?eligible_amount=8000").get_json()
    texts = [line["text"] for line in data["lines"]]
    assert "超过起付线部分 7,500.00 × 50% = 3,750.00" in texts
    assert [line["kind"] for line in data["lines"]] == ["eligible", "deductible", "band"]
    capped = client.get("/api/v1/insurance/plans/HOSP-2026/estimate?eligible_amount=60500").get_json()
    assert any("30,000.00" in line["text"] and line["kind"] == "cap" for line in capped["lines"])
    assert any("50,000.00" in line["text"] and "70%" in line["text"] for line in capped["lines"])


def test_the_womens_plan_estimate_needs_a_diagnosis(client, plans):
    assert (
        client.get("/api/v1/insurance/plans/FEMALE-2026/estimate?diagnosis=乳腺癌").get_json()["payout"] == "10000.00"
    )
    refused = client.get("/api/v1/insurance/plans/FEMALE-2026/estimate?diagnosis=感冒").get_json()
    assert refused["payout"] == "0.00" and refused["refused"] == "not_listed"
    r = client.get("/api/v1/insurance/plans/FEMALE-2026/estimate")
    assert r.status_code == 400 and "diagnosis" in r.get_json()["error"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "eligible_amount=",
        "eligible_amount=abc",
        "eligible_amount=-5",
        "eligible_amount=1e9",
        "eligible_amount=8000&paid_this_year=x",
    ],
)
def test_bad_input_is_a_400_with_every_reason(client, plans, query):
    r = client.get(f"/api/v1/insurance/plans/HOSP-2026/estimate?{query}")
    assert r.status_code == 400
    data = r.get_json()
    assert data["error"] and data["reasons"]


def test_an_unknown_plan_is_a_404(client, plans):
    r = client.get("/api/v1/insurance/plans/NOPE/estimate?eligible_amount=1")
    assert r.status_code == 404 and r.get_json()["error"]


def test_lower_case_codes_are_found(client, plans):
    assert client.get("/api/v1/insurance/plans/hosp-2026/estimate?eligible_amount=8000").status_code == 200
