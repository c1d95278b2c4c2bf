"""The admin keeps the plans: a new one from the form (bands typed as lines), next year's version
copied a year later, edits — with the terms locked once members are enrolled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.insurance.models import InsurancePlan
from tests.helpers import login_as, page_text, post_form

NEW = {
    "code": "hosp-2028",
    "name": "在职职工住院医疗互助保障（2028年度）",
    "name_en": "Hospital cover 2028",
    "family": "hospital",
    "plan_year": "2028",
    "contribution": "80",
    "coverage_start": "2028-01-01",
    "coverage_end": "2028-12-31",
    "enrol_from": "2027-12-01",
    "enrol_until": "2028-01-31",
    "given_with": "none",
    "is_active": "y",
    "benefit": "bands",
    "deductible": "800",
    "bands": "10000 50%\n50000 60%\n以上 70%",
    "annual_cap": "40000",
    "waiting_days": "90",
    "claim_days": "180",
    "sex": "",
}


def _plan(app, code):
    with app.app_context():
        plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == code))
        return plan and (plan.contribution, plan.rules, plan.name)


def test_a_new_plan_from_the_form_is_estimated_by_its_own_rules(app, client, insured, plans):
    login_as(client, insured["admin"])
    r = post_form(client, "/insurance/admin/plans/new", NEW)
    assert r.status_code == 303
    contribution, rules, _name = _plan(app, "HOSP-2028")
    assert contribution == Decimal("80.00") and rules.deductible == Decimal(800) and rules.annual_cap == Decimal(40000)
    assert [b.rate for b in rules.bands] == [Decimal("0.5"), Decimal("0.6"), Decimal("0.7")]
    body = client.get("/api/v1/insurance/plans/HOSP-2028/estimate?eligible_amount=8800").get_json()
    assert body["payout"] == "4000.00"  # (8,800 − 800) × 50 %


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"bands": "50000 60%\n10000 50%"}, "逐段升高"),
        ({"bands": "10000 fifty"}, "分段第1行"),
        ({"coverage_end": "2027-12-31"}, "保障结束日期不能早于开始日期"),
        ({"code": "坏编号"}, "大写字母"),
        ({"code": "HOSP-2026"}, "已有相同编号"),
        ({"benefit": "lump_sum", "lump_sum": "", "bands": ""}, "一次性给付"),
    ],
)
def test_a_wrong_plan_is_refused_with_what_is_wrong_and_nothing_saved(app, client, insured, plans, changes, says):
    login_as(client, insured["admin"])
    r = post_form(client, "/insurance/admin/plans/new", {**NEW, **changes})
    assert r.status_code == 422 and says in page_text(r)
    assert _plan(app, "HOSP-2028") is None


def test_next_years_version_is_offered_a_year_later(client, insured, plans):
    login_as(client, insured["admin"])
    html = page_text(client.get("/insurance/admin/plans/new?from=HOSP-2027"))
    assert 'value="HOSP-2028"' in html and 'value="2028-01-01"' in html and "2028年度" in html


def test_a_plan_with_members_keeps_its_terms_but_may_be_renamed(app, client, insured, plans):
    login_as(client, insured["admin"])
    url = "/insurance/admin/plans/NEF-ACCIDENT/edit"  # the rider holds it (given with membership)
    form = page_text(client.get(url))
    assert "已有会员参加本项目" in form
    with app.app_context():
        plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == "NEF-ACCIDENT"))
        current = {
            "code": plan.code,  # the page's hidden field
            "name": plan.name,
            "name_en": plan.name_en,
            "family": plan.family,
            "plan_year": str(plan.plan_year),
            "contribution": "0",
            "coverage_start": plan.coverage_start.isoformat(),
            "coverage_end": plan.coverage_end.isoformat(),
            "enrol_from": plan.enrol_from.isoformat(),
            "enrol_until": plan.enrol_until.isoformat(),
            "given_with": plan.given_with,
            "is_active": "y",
            "benefit": "bands",
            "deductible": "100",
            "bands": "以上 100%",
            "annual_cap": "5000",
            "waiting_days": "0",
            "claim_days": "180",
            "sex": "",
        }
    refused = post_form(client, url, {**current, "annual_cap": "8000"})
    assert refused.status_code == 422 and "不能再修改" in page_text(refused)
    assert _plan(app, "NEF-ACCIDENT")[1].annual_cap == Decimal(5000)
    renamed = post_form(client, url, {**current, "name": "新就业形态劳动者意外伤害互助"})
    assert renamed.status_code == 303 and _plan(app, "NEF-ACCIDENT")[2] == "新就业形态劳动者意外伤害互助"


@pytest.mark.parametrize("who", ["county", "rider"])
def test_only_admins_keep_the_plans(client, insured, plans, who):
    login_as(client, insured[who])
    for url in ("/insurance/admin/plans", "/insurance/admin/plans/new", "/insurance/admin/plans/HOSP-2026/edit"):
        assert client.get(url).status_code == 403
    assert post_form(client, "/insurance/admin/plans/new", NEW, token_from="/").status_code == 403
