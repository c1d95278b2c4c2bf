"""Admins keep the 低保 standards and the working-day calendar; nobody else may."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.aid.models import SubsistenceStandard
from portal.aid.services import standard_for
from portal.core.time import CalendarDay, working_days_end
from portal.extensions import db
from tests.helpers import csrf_token, login_as, page_text


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_an_admin_adds_a_standard_from_a_date_and_the_rules_use_it_from_then(app, client, admin):
    login_as(client, admin)
    url = "/aid/admin/standards"
    r = _post(client, url, {"region": "230110", "area": "urban", "amount": "850", "effective_from": "2026-07-01"})
    assert r.status_code == 303
    with app.app_context():
        assert standard_for("230110", "urban", date(2026, 7, 1)).monthly_amount == 850
        assert standard_for("230110", "urban", date(2026, 6, 30)) is None
    # The same place and date again: a clear message, what was typed kept, nothing added.
    r = _post(client, url, {"region": "230110", "area": "urban", "amount": "900", "effective_from": "2026-07-01"})
    assert r.status_code == 422 and "另一个日期" in page_text(r) and 'value="900"' in page_text(r)
    for bad in ({"amount": "0"}, {"amount": "abc"}, {"effective_from": ""}, {"area": "moon"}):
        data = {"region": "230110", "area": "urban", "amount": "700", "effective_from": "2026-08-01", **bad}
        assert _post(client, url, data).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(db.func.count(SubsistenceStandard.id))) == 1
    assert "¥850.00" in page_text(client.get(url + "?region=230110"))


def test_a_holiday_entered_by_an_admin_lengthens_a_notice_period(app, client, admin):
    approved = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    with app.app_context():
        before = working_days_end(approved, 5)
    login_as(client, admin)
    r = _post(client, "/staff/calendar", {"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert r.status_code == 303
    with app.app_context():
        assert working_days_end(approved, 5) > before
    assert "元旦" in page_text(client.get("/staff/calendar?year=2027"))
    r = _post(client, "/staff/calendar", {"day": "2027-01-02", "kind": "party", "name": "x"})
    assert r.status_code == 422
    token = csrf_token(client, "/staff/calendar?year=2027")
    assert client.post("/staff/calendar/2027-01-01/delete", data={"csrf_token": token}).status_code == 303
    assert client.post("/staff/calendar/not-a-date/delete", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(CalendarDay, date(2027, 1, 1)) is None
        assert working_days_end(approved, 5) == before


@pytest.mark.parametrize("role", ["worker", "staff"])
def test_only_admins_keep_standards_and_the_calendar(client, make_user, tree, role):
    user = make_user(role, union=tree["county_a1"] if role == "staff" else None)
    login_as(client, user)
    assert client.get("/aid/admin/standards").status_code == 403
    assert client.get("/staff/calendar").status_code == 403
    token = csrf_token(client, "/")
    data = {"csrf_token": token, "region": "230110", "area": "urban", "amount": "1", "effective_from": "2026-01-01"}
    assert client.post("/aid/admin/standards", data=data).status_code == 403
    assert (
        client.post("/staff/calendar", data={"csrf_token": token, "day": "2027-01-01", "kind": "holiday"}).status_code
        == 403
    )
