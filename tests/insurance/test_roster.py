"""Staff enrolment: ticking members from the roster, an .xlsx with errors by row (and all or
nothing), the roster's export (masked ID numbers, formula-safe) — each only within the staff
member's unions."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.insurance.models import InsuranceEnrolment
from tests.helpers import csrf_token, login_as, page_text, post_form


def _enrolment(app, user, code="HOSP-2027"):
    from portal.insurance.models import InsurancePlan

    with app.app_context():
        return db.session.scalar(
            select(InsuranceEnrolment)
            .join(InsurancePlan, InsurancePlan.id == InsuranceEnrolment.plan_id)
            .where(InsuranceEnrolment.user_id == user.id, InsurancePlan.code == code)
        )


def test_the_roster_lists_members_with_occupation_and_filters(client, insured, today):
    login_as(client, insured["county"])
    html = page_text(client.get("/insurance/staff/enrol?plan=HOSP-2027"))
    assert "王骑手" in html and "李女士" in html and "外卖骑手" in html
    riders = page_text(client.get("/insurance/staff/enrol?plan=HOSP-2027&occupation=delivery_rider"))
    assert "王骑手" in riders and "李女士" not in riders
    login_as(client, insured["county_other"])
    assert "王骑手" not in page_text(client.get("/insurance/staff/enrol?plan=HOSP-2027"))


def test_ticked_members_are_enrolled_paid_by_the_union_or_themselves(app, client, insured, today):
    login_as(client, insured["county"])
    url = "/insurance/staff/enrol?plan=HOSP-2027"
    r = post_form(client, url, {"ids": [str(insured["rider"].id)], "paid_by": "union"})
    assert r.status_code == 200 and "已参保1人" in page_text(r)
    assert _enrolment(app, insured["rider"]).status == "active"
    r = post_form(client, url, {"ids": [str(insured["woman"].id), str(insured["rider"].id)], "paid_by": "self"})
    html = page_text(r)
    assert "王骑手" in html and "已参加" in html  # skipped, with the reason
    woman = _enrolment(app, insured["woman"])
    assert woman.status == "pending_payment" and woman.source == "staff"


def test_a_man_ticked_for_the_womens_plan_is_skipped_with_the_reason(app, client, insured, today, monkeypatch):
    from datetime import date

    from portal.insurance import roster

    monkeypatch.setattr(roster, "local_today", lambda moment=None: date(2026, 3, 1))
    login_as(client, insured["county"])
    r = post_form(client, "/insurance/staff/enrol?plan=FEMALE-2026", {"ids": [str(insured["rider"].id)]})
    assert "仅限女性" in page_text(r)
    assert _enrolment(app, insured["rider"], "FEMALE-2026") is None


def test_staff_cannot_enrol_a_member_outside_their_unions(app, client, insured, today):
    login_as(client, insured["county_other"])
    post_form(client, "/insurance/staff/enrol?plan=HOSP-2027", {"ids": [str(insured["rider"].id)]})
    assert _enrolment(app, insured["rider"]) is None


def _xlsx(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _upload(client, rows, *, all_or_nothing=False, data=None):
    payload = {"csrf_token": csrf_token(client, "/insurance/staff/import"), "file": (data or _xlsx(rows), "名单.xlsx")}
    if all_or_nothing:
        payload["all_or_nothing"] = "1"
    return client.post("/insurance/staff/import", data=payload, content_type="multipart/form-data")


def test_an_xlsx_enrols_its_good_rows_and_says_what_is_wrong_by_row(app, client, insured, today):
    rider, woman = insured["rider"], insured["woman"]
    with app.app_context():
        woman_id = db.session.get(User, woman.id).reveal_id_number()
    rows = [
        ["手机号", "身份证号", "项目编号", "缴费方式"],
        [rider.phone, None, "HOSP-2027", "工会"],
        [None, woman_id, "hosp-2027", "个人"],
        ["13999999999", None, "HOSP-2027", "工会"],
        [rider.phone, None, '=HYPERLINK("http://evil/")', "工会"],
        [insured["outsider"].phone, None, "HOSP-2027", "工会"],
    ]
    login_as(client, insured["county"])
    r = _upload(client, rows)
    html = page_text(r)
    assert r.status_code == 422
    assert "已参保2人" in html
    assert "第4行" in html and "第5行" in html and "第6行" in html and "第2行" not in html
    assert _enrolment(app, rider).status == "active" and _enrolment(app, woman).status == "pending_payment"


def test_all_or_nothing_enrols_nobody_when_a_row_is_wrong(app, client, insured, today):
    rows = [["手机号", "项目编号"], [insured["rider"].phone, "HOSP-2027"], ["13999999999", "HOSP-2027"]]
    login_as(client, insured["county"])
    html = page_text(_upload(client, rows, all_or_nothing=True))
    assert "没有为任何人参保" in html and "第3行" in html
    assert _enrolment(app, insured["rider"]) is None


@pytest.mark.parametrize("data", [b"not a spreadsheet", b""])
def test_a_file_that_is_not_an_xlsx_is_refused_clearly(client, insured, today, data):
    login_as(client, insured["county"])
    r = _upload(client, [], data=io.BytesIO(data))
    assert r.status_code == 422 and ".xlsx" in page_text(r)


def test_a_sheet_without_the_column_names_is_refused_clearly(client, insured, today):
    login_as(client, insured["county"])
    r = _upload(client, [["a", "b"], ["1", "2"]])
    assert r.status_code == 422 and "项目编号" in page_text(r)


def test_the_roster_export_masks_id_numbers_and_stays_in_scope(app, client, insured, today):
    login_as(client, insured["county"])
    post_form(client, "/insurance/staff/enrol?plan=HOSP-2027", {"ids": [str(insured["rider"].id)]})
    r = client.get("/insurance/staff/roster.xlsx?plan=HOSP-2027")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and len(rows) == 2
    name, id_masked, phone = rows[1][:3]
    with app.app_context():
        clear = db.session.get(User, insured["rider"].id).reveal_id_number()
    assert name == "王骑手" and "*" in id_masked and clear not in id_masked and "*" in phone
    login_as(client, insured["county_other"])
    other = client.get("/insurance/staff/roster.xlsx?plan=HOSP-2027")
    assert len(list(load_workbook(io.BytesIO(other.data), read_only=True).worksheets[0].iter_rows())) == 1


@pytest.mark.parametrize("url", ["/insurance/staff/enrol", "/insurance/staff/import", "/insurance/staff/roster.xlsx"])
def test_workers_are_refused_the_staff_enrolment_pages(client, insured, plans, url):
    login_as(client, insured["rider"])
    assert client.get(url).status_code == 403


def test_every_staff_enrolment_is_audited_by_its_own_id(app, client, insured, today):
    """The audit trail names each enrolment (ticked or imported), with who enrolled it."""
    from portal.core.audit import AuditEvent

    login_as(client, insured["county"])
    post_form(client, "/insurance/staff/enrol?plan=HOSP-2027", {"ids": [str(insured["rider"].id)]})
    _upload(client, [["手机号", "项目编号"], [insured["woman"].phone, "HOSP-2027"]])
    with app.app_context():
        enrolments = {
            str(e.id): e
            for e in db.session.scalars(select(InsuranceEnrolment).where(InsuranceEnrolment.source != "membership"))
        }
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "insurance.enrolled")).all()
        assert len(enrolments) == 2 and {e.subject_id for e in events} == set(enrolments)
        assert {e.actor_id for e in events} == {insured["county"].id}
        assert all(e.union_id == enrolments[e.subject_id].union_id for e in events)
