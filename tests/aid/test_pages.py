"""Hardship aid through the pages, as people use them: the form (rows added without JavaScript,
drafts, errors that keep what was typed), documents, sending, the staff pages of each stage, the
notice page and objections, case files, and 我的办理."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from PIL import Image

from portal.aid.models import AidApplication
from portal.aid.services import casefiles
from portal.core import workflow
from portal.core.files import StoredFile
from portal.extensions import db
from tests.aid.conftest import jpeg_bytes, png_bytes
from tests.helpers import csrf_token, page_text
from tests.helpers import login_as as _login_as


def login_as(client, user):
    """Sign in as ``user``. These tests share the test's app context with the client's requests
    (the ``ctx`` fixture), so the signed-in user Flask-Login keeps in ``g`` is dropped too."""
    from flask import g

    g.pop("_login_user", None)
    return _login_as(client, user)


FORM = {
    "region": "230110",
    "area": "urban",
    "members-0-relation": "self",
    "members-0-name": "张三丰",
    "members-0-age": "45",
    "members-0-health": "serious",
    "members-0-occupation": "外卖骑手",
    "members-0-monthly_income": "1200",
    "medical_spending": "26000",
    "education_spending": "4000",
    "disaster_spending": "",
    "main_cause": "illness",
    "secondary_causes": ["schooling", "unemployment"],
    "account": "今年三月确诊肾病，每周透析三次。",
    "help_type": "medical",
    "amount_requested": "5000",
    "bank_name": "中国工商银行",
    "bank_account": "6222 0012 3456 7890 123",
    "finance_consent": "y",
}


def _post(client, url, data, page=None, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)}, **kwargs)


def _latest(user) -> AidApplication:
    db.session.rollback()
    return db.session.query(AidApplication).filter_by(applicant_id=user.id).order_by(AidApplication.id.desc()).first()


def test_a_member_applies_keeps_a_draft_adds_documents_and_sends(client, people):
    applicant = people["applicant"]
    login_as(client, applicant)
    form_page = page_text(client.get("/aid/apply"))
    assert 'name="members-0-name"' in form_page and "张三丰" in form_page
    # A row more, without JavaScript: nothing is saved, what was typed stays.
    r = _post(client, "/aid/apply", {**FORM, "add_member": "1"})
    assert r.status_code == 200 and 'name="members-1-name"' in page_text(r) and "今年三月确诊肾病" in page_text(r)
    assert _latest(applicant) is None
    r = _post(
        client,
        "/aid/apply",
        {
            **FORM,
            "members-1-relation": "spouse",
            "members-1-name": "王秀英",
            "members-1-age": "43",
            "members-1-health": "healthy",
        },
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("#documents")
    draft = _latest(applicant)
    assert draft.status == "draft" and [m.name for m in draft.members] == ["张三丰", "王秀英"]
    assert draft.secondary_cause_list == ["schooling", "unemployment"]
    page = page_text(client.get(f"/aid/applications/{draft.public_id}"))
    assert "**** **** **** 0123" in page and "6222001234567890123" not in page
    assert "至少一份证明材料" in page  # the missing list names the documents
    # Sending without a document is refused with the reason; nothing moves.
    r = _post(client, f"/aid/applications/{draft.public_id}/submit", {}, page=f"/aid/applications/{draft.public_id}")
    assert r.status_code == 303 and _latest(applicant).status == "draft"
    # Two photos in one go (no JavaScript needed): stored, listed, and then it can be sent.
    r = _post(
        client,
        f"/aid/applications/{draft.public_id}/documents",
        {"files": [(io.BytesIO(png_bytes()), "收入证明.png"), (io.BytesIO(jpeg_bytes()), "病历.jpg")]},
        page=f"/aid/applications/{draft.public_id}",
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, page_text(r)[:500]
    page = page_text(client.get(f"/aid/applications/{draft.public_id}"))
    assert "收入证明.png" in page and "病历.jpg" in page
    r = _post(client, f"/aid/applications/{draft.public_id}/submit", {}, page=f"/aid/applications/{draft.public_id}")
    sent = _latest(applicant)
    assert r.status_code == 303 and sent.status == "submitted" and sent.stage == "first_review"
    assert "基层工会初审" in page_text(client.get(f"/aid/applications/{sent.public_id}"))


def test_bad_input_keeps_everything_typed_and_says_what_is_wrong(client, people):
    login_as(client, people["applicant"])
    r = _post(client, "/aid/apply", {**FORM, "members-0-age": "两百", "bank_account": "12ab", "amount_requested": "-5"})
    html = page_text(r)
    assert r.status_code == 422
    assert "今年三月确诊肾病" in html and "张三丰" in html and "中国工商银行" in html
    assert 'aria-invalid="true"' in html
    assert _latest(people["applicant"]) is None


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_with_a_message(client, people):
    from portal.aid.services import applications
    from tests.aid.conftest import details

    draft = applications.save_draft(people["applicant"], details())
    db.session.commit()
    login_as(client, people["applicant"])
    page = f"/aid/applications/{draft.public_id}"
    r = _post(
        client,
        f"{page}/documents",
        {"files": [(io.BytesIO(b"<html><script>alert(1)</script></html>"), "照片.jpg")]},
        page=page,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "照片.jpg" in page_text(r)
    db.session.rollback()
    assert db.session.query(StoredFile).count() == 0


def _staff_page(client, application):
    return page_text(client.get(f"/staff/reviews/{application.public_id}"))


def test_grassroots_staff_visit_with_a_photo_and_recommend_then_the_county_approves(client, submitted, people):
    login_as(client, people["grassroots"])
    html = _staff_page(client, submitted)
    assert "记录入户走访" in html and "/aid/staff/applications/" in html
    # The generic approve button is not offered: the recommendation carries the figures.
    assert 'name="decision" value="approve"' not in html
    photo = Image.new("RGB", (50, 40), (10, 200, 10))
    exif = photo.getexif()
    exif[0x8825] = {2: (45.0, 42.0, 0.0)}  # GPS
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif)
    r = _post(
        client,
        f"/aid/staff/applications/{submitted.public_id}/visit",
        {
            "visited_on": "2026-12-01",
            "visitors": "王芳、李强",
            "findings": "两居室，丈夫透析。",
            "photos": [(io.BytesIO(out.getvalue()), "走访.jpg")],
        },
        page=f"/staff/reviews/{submitted.public_id}",
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, page_text(r)[:800]
    r = _post(
        client,
        f"/aid/staff/applications/{submitted.public_id}/recommend",
        {"category": "relative", "amount": "3000", "note": ""},
        page=f"/staff/reviews/{submitted.public_id}",
    )
    assert r.status_code == 303
    login_as(client, people["county"])
    html = _staff_page(client, submitted)
    assert "两居室，丈夫透析。" in html and "走访.jpg" in html
    # Changing the amount without a note: refused, figures kept on the form.
    r = _post(
        client,
        f"/aid/staff/applications/{submitted.public_id}/approve",
        {"category": "relative", "amount": "2500", "note": ""},
        page=f"/staff/reviews/{submitted.public_id}",
    )
    assert r.status_code == 422 and 'value="2500"' in page_text(r)
    r = _post(
        client,
        f"/aid/staff/applications/{submitted.public_id}/approve",
        {"category": "relative", "amount": "2500", "note": "按标准核减"},
        page=f"/staff/reviews/{submitted.public_id}",
    )
    assert r.status_code == 303
    db.session.rollback()
    assert db.session.get(AidApplication, submitted.id).stage == "notice"
    notice = page_text(client.get("/aid/notices/CA1"))
    assert "张**" in notice and "张三丰" not in notice and "2,500.00" in notice


def test_staff_opening_a_document_is_logged_and_the_applicant_opening_it_is_not(client, submitted, people):
    from portal.core.audit import AuditEvent

    stored = db.session.query(StoredFile).filter_by(application_id=submitted.id).first()
    login_as(client, people["applicant"])
    r = client.get(f"/aid/applications/{submitted.public_id}/documents/{stored.public_id}")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.get_data()[:8] == b"\x89PNG\r\n\x1a\n"  # decrypted on the way out
    r.close()  # a streamed body: the server closes it after sending
    login_as(client, people["grassroots"])
    r = client.get(f"/aid/staff/applications/{submitted.public_id}/documents/{stored.public_id}")
    assert r.status_code == 200 and r.get_data()[:4] == b"\x89PNG"
    r.close()
    db.session.rollback()
    views = db.session.query(AuditEvent).filter_by(action="file.viewed").all()
    assert [v.actor_id for v in views] == [people["grassroots"].id]
    # Out of scope: the document does not exist for them.
    login_as(client, people["county_other"])
    assert client.get(f"/aid/staff/applications/{submitted.public_id}/documents/{stored.public_id}").status_code == 404
    login_as(client, people["neighbour"])
    assert client.get(f"/aid/applications/{submitted.public_id}/documents/{stored.public_id}").status_code == 404


def test_anyone_reads_the_notice_and_a_signed_in_person_objects(client, on_notice, people):
    html = page_text(client.get("/aid/notices/CA1"))
    assert "张**" in html and "3,000.00" in html
    assert "张**" not in page_text(client.get("/aid/notices/CA2"))
    url = f"/aid/notices/CA1/{on_notice.public_id}/object"
    assert client.get(url).status_code == 302  # sign in first
    login_as(client, people["neighbour"])
    r = _post(client, url, {"reason": ""})
    assert r.status_code == 422
    r = _post(client, url, {"reason": "他家上月刚买了新车。"})
    assert r.status_code == 303
    db.session.rollback()
    assert db.session.get(AidApplication, on_notice.id).stage == "county_approval"
    assert "张**" not in page_text(client.get("/aid/notices/CA1"))
    # The applicant reads that someone objected, never who or why.
    login_as(client, people["applicant"])
    mine = page_text(client.get(f"/aid/applications/{on_notice.public_id}"))
    assert "收到异议" in mine and "新车" not in mine and "李四" not in mine


def test_case_file_payments_and_the_member_sees_them(client, at_county, people, monkeypatch):
    from datetime import timedelta

    from portal.aid.services import review
    from portal.core.db import utcnow

    review.approve(
        at_county,
        people["county"],
        category="relative",
        amount=Decimal("3000"),
        note=None,
        now=utcnow() - timedelta(days=20),
    )
    db.session.commit()
    workflow.run_timed_stages(utcnow())
    db.session.rollback()
    case = casefiles.case_of(db.session.get(AidApplication, at_county.id))
    login_as(client, people["county"])
    assert "张三丰" in page_text(client.get("/aid/staff/cases"))
    page = f"/aid/staff/cases/{case.public_id}"
    r = _post(
        client,
        f"{page}/payments",
        {"amount": "1500", "paid_on": str(case.opened_on), "method": "bank", "reference": "ZF001"},
        page=page,
    )
    assert r.status_code == 303
    r = _post(
        client,
        f"{page}/payments",
        {"amount": "abc", "paid_on": str(case.opened_on), "method": "bank", "reference": "ZF002"},
        page=page,
    )
    assert r.status_code == 422 and "ZF002" in page_text(r)
    # Closing asks first (without JavaScript: a page of its own), then closes.
    r = _post(client, f"{page}/close", {"reason": "已就业。"}, page=page)
    assert r.status_code == 200 and "确定撤销张三丰的帮扶档案吗" in page_text(r)
    login_as(client, people["applicant"])
    mine = page_text(client.get(f"/aid/applications/{at_county.public_id}"))
    assert "1,500.00" in mine and "我的帮扶档案" in mine
    assert client.get(f"/aid/cases/{case.public_id}").status_code == 302
    login_as(client, people["neighbour"])
    assert client.get(f"/aid/cases/{case.public_id}").status_code == 404
    login_as(client, people["county_other"])
    assert client.get(page).status_code == 404


def test_the_tracker_shows_every_kind_with_reasons(client, submitted, people):
    login_as(client, people["applicant"])
    html = page_text(client.get("/tracker"))
    assert "困难帮扶" in html and "入会" in html
    assert re.search(r"基层工会初审", html)


def test_the_staff_queue_lists_what_waits_for_me(client, submitted, at_county, people):
    login_as(client, people["county"])
    html = page_text(client.get("/staff/reviews?mine=1"))
    assert "张三丰" in html
    login_as(client, people["grassroots"])
    assert "张三丰" not in page_text(client.get("/staff/reviews?mine=1"))
    assert "张三丰" in page_text(client.get("/staff/reviews?stage=aid:county_approval"))
