"""Claims as people use them, over HTTP: the form with its preview (no JavaScript), the papers,
sending, the grassroots check, the county's approval with the payout worked out then, the member
reading the calculation; and who may do what at each step."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.core import workflow
from portal.extensions import db
from portal.insurance.models import InsuranceClaim
from tests.aid.conftest import png_bytes
from tests.helpers import login_as, page_text, post_form


@pytest.fixture
def cover(app, insured):
    """The rider covered by HOSP-2026 from 1 January, for illness from 1 April."""
    from portal.accounts.models import User
    from portal.insurance import services

    with app.app_context():
        plan = next(p for p in services.plans() if p.code == "HOSP-2026")
        enrolment = services.enrol_self(db.session.get(User, insured["rider"].id), plan, date(2025, 12, 10))
        services.confirm_payment(enrolment, db.session.get(User, insured["county"].id), today=date(2025, 12, 20))
        db.session.commit()
        return enrolment.public_id


@pytest.fixture
def claim_today(monkeypatch):
    from portal.insurance import claims
    from portal.insurance.views import claims as claim_views

    day = date(2026, 6, 30)
    monkeypatch.setattr(claims, "local_today", lambda moment=None: day)
    monkeypatch.setattr(claim_views, "local_today", lambda moment=None: day)
    return day


FORM = {
    "started_on": "2026-05-01",
    "ended_on": "2026-05-08",
    "hospital": "哈尔滨医科大学附属第一医院",
    "diagnosis": "急性阑尾炎",
    "total_cost": "20,000",
    "public_paid": "9000",
    "serious_paid": "2000",
    "excluded": "1000",
    "invoices": "HX20260501, HX20260502",
}


def _sent_claim(client, insured, cover):
    login_as(client, insured["rider"])
    url = f"/insurance/claims/new?cover={cover}"
    r = post_form(client, url, {**FORM, "step": "save"})
    assert r.status_code == 303, page_text(r)
    claim_url = r.headers["Location"].split("#")[0]
    token_page = claim_url
    upload = client.post(
        claim_url + "/documents",
        data={"csrf_token": _token(client, token_page), "files": (io.BytesIO(png_bytes()), "发票.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303
    assert post_form(client, claim_url + "/submit", {}, token_from=claim_url).status_code == 303
    return claim_url.rsplit("/", 1)[1]


def _token(client, url):
    from tests.helpers import csrf_token

    return csrf_token(client, url)


def test_the_form_previews_the_payout_without_javascript(client, insured, cover, claim_today):
    login_as(client, insured["rider"])
    r = post_form(client, f"/insurance/claims/new?cover={cover}", {**FORM, "step": "preview"})
    assert r.status_code == 200
    html = page_text(r)
    assert "超过起付线部分 7,500.00 × 50% = 3,750.00" in html and "¥3,750.00" in html
    assert 'value="HX20260501, HX20260502"' in html or "HX20260501, HX20260502" in html  # nothing typed is lost


def test_a_refused_claim_says_why_and_keeps_what_was_typed(client, insured, cover, claim_today):
    login_as(client, insured["rider"])
    r = post_form(
        client,
        f"/insurance/claims/new?cover={cover}",
        {**FORM, "started_on": "2026-03-20", "ended_on": "2026-03-25", "step": "save"},
    )
    assert r.status_code == 422
    html = page_text(r)
    assert "等待期" in html and "2026年4月1日" in html and "哈尔滨医科大学附属第一医院" in html


def test_from_claim_to_payout_with_its_calculation(app, client, insured, cover, claim_today):
    public_id = _sent_claim(client, insured, cover)
    html = page_text(client.get(f"/insurance/claims/{public_id}"))
    assert "基层工会审核材料" in html
    # the grassroots union checks the documents
    login_as(client, insured["grassroots"])
    r = post_form(
        client, f"/staff/reviews/{public_id}/decide", {"decision": "approve"}, token_from=f"/staff/reviews/{public_id}"
    )
    assert r.status_code == 303
    # the county union sees the payout as it would be now, then approves and records the payment
    login_as(client, insured["county"])
    page = page_text(client.get(f"/staff/reviews/{public_id}"))
    assert "按当前额度核定：¥3,750.00" in page
    assert 'name="ids"' not in page or public_id not in re.findall(r'name="ids" value="([^"]+)"', page)
    r = post_form(
        client,
        f"/insurance/staff/claims/{public_id}/approve",
        {"paid_on": "2026-06-30", "method": "bank", "reference": "HX-PAY-1"},
        token_from=f"/staff/reviews/{public_id}",
    )
    assert r.status_code == 303
    login_as(client, insured["rider"])
    html = page_text(client.get(f"/insurance/claims/{public_id}"))
    assert "已支付¥3,750.00" in html and "超过起付线部分 7,500.00 × 50% = 3,750.00" in html
    assert "本年度剩余额度：¥26,250.00" in page_text(client.get("/insurance"))


@pytest.mark.parametrize(
    ("who", "status"),
    [("county_other", 404), ("grassroots", 403), ("rider", 403), ("woman", 403)],
)
def test_only_county_staff_over_the_members_union_approve_the_payout(
    app, client, insured, cover, claim_today, who, status
):
    public_id = _sent_claim(client, insured, cover)
    with app.app_context():
        claim = db.session.scalar(select(InsuranceClaim).where(InsuranceClaim.public_id == public_id))
        from portal.accounts.models import User

        workflow.decide(claim, db.session.get(User, insured["grassroots"].id), "approve")
        db.session.commit()
    login_as(client, insured[who])
    r = post_form(
        client,
        f"/insurance/staff/claims/{public_id}/approve",
        {"paid_on": "2026-06-30", "method": "bank"},
        token_from="/",
    )
    assert r.status_code == status
    with app.app_context():
        claim = db.session.scalar(select(InsuranceClaim).where(InsuranceClaim.public_id == public_id))
        assert claim.status == "submitted" and claim.payout is None


def test_nobody_else_opens_a_members_claim(app, client, insured, cover, claim_today):
    public_id = _sent_claim(client, insured, cover)
    for who in ("woman", "county_other"):
        login_as(client, insured[who])
        assert client.get(f"/insurance/claims/{public_id}").status_code == 404
    login_as(client, insured["county_other"])
    assert client.get(f"/staff/reviews/{public_id}").status_code == 404


def test_a_claim_cannot_be_made_on_someone_elses_cover(client, insured, cover, claim_today):
    login_as(client, insured["woman"])
    assert client.get(f"/insurance/claims/new?cover={cover}").status_code == 404


@pytest.mark.parametrize(("who", "status"), [("county", 403), ("county_other", 404), ("woman", 403)])
def test_only_the_members_grassroots_union_checks_the_documents(app, client, insured, cover, claim_today, who, status):
    public_id = _sent_claim(client, insured, cover)
    login_as(client, insured[who])
    url = f"/staff/reviews/{public_id}/decide"
    r = post_form(client, url, {"decision": "approve"}, token_from="/")
    assert r.status_code == status
    with app.app_context():
        claim = db.session.scalar(select(InsuranceClaim).where(InsuranceClaim.public_id == public_id))
        assert claim.stage == "document_check"


def test_the_accident_plan_names_its_death_and_disability_benefit(client, plans):
    assert "意外身故或完全残疾：¥20,000.00" in page_text(client.get("/insurance/plans/NEF-ACCIDENT"))
