"""Problem reports: private between reporter and staff, rate-limited, merged per day, answered.

Issue 7: S8 (reports are not public text), S10 (Chinese punctuation kept), UX12 (the loop closes).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.notify import Message
from portal.extensions import db
from portal.stations.models import Station, StationReport
from tests.helpers import login_as, page_text, post_form

PROSE = "来的时候，门锁着。电话也没人接！为什么？饮水机、充电器；都不能用：“维修中”（见《告示》）"


@pytest.fixture
def world(app, tree, make_user, add_stations):
    mine, other = add_stations([(45.71, 126.66), (45.72, 126.67)], union="grassroots_a1")
    (theirs,) = add_stations([(45.99, 128.74)], union="grassroots_a2")
    return {
        "station": mine,
        "other_station": other,
        "theirs": theirs,
        "reporter": make_user(name="骑手甲"),
        "someone": make_user(name="骑手乙"),
        "staff": make_user("staff", union=tree["county_a1"]),
        "sibling_staff": make_user("staff", union=tree["county_a2"]),
    }


def _report(client, station_id, kind="other", text=PROSE):
    return post_form(client, f"/stations/{station_id}", {"kind": kind, "text": text})


def _reports(app):
    with app.app_context():
        return list(db.session.scalars(select(StationReport).order_by(StationReport.id)))


# --- S8: nothing a worker writes is published -------------------------------------------------


def test_report_text_is_never_shown_to_other_visitors(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    assert _report(reporter, world["station"], "no_water").status_code == 303
    anonymous = page_text(app.test_client().get(f"/stations/{world['station']}"))
    assert "没有饮用水" not in anonymous  # (signed-in visitors see it as a choice in the report form)
    for client in (app.test_client(), login_as(app.test_client(), world["someone"])):
        html = page_text(client.get(f"/stations/{world['station']}"))
        assert "有人反馈问题，工会正在核实" in html
        assert "门锁着" not in html and "骑手甲" not in html and "我对该驿站的反馈" not in html
    # The reporter sees their own report, text and all, and that only they and staff see it.
    html = page_text(reporter.get(f"/stations/{world['station']}"))
    assert "我对该驿站的反馈" in html and PROSE in html and "没有饮用水" in html and "正在核实" in html


def test_the_public_page_shows_what_staff_write(app, client, world):
    staff = login_as(app.test_client(), world["staff"])
    edit = f"/staff/stations/{world['station']}/edit"
    form = {
        "name": "香坊区通天街职工驿站（东门）",
        "address": "香坊区通天街1号，近“红旗大街”路口",
        "lat": "45.71",
        "lng": "126.66",
        "open_hours": "24h",
        "union_code": "GA1",
        "public_notice": "暂停开放至12月5日：更换供暖管道，敬请谅解！",
        "is_suspended": "y",
    }
    assert post_form(staff, edit, form).status_code == 303
    html = page_text(client.get(f"/stations/{world['station']}"))
    assert "暂停开放至12月5日：更换供暖管道，敬请谅解！" in html and "暂停开放" in html
    assert "香坊区通天街职工驿站（东门）" in html and "近“红旗大街”路口" in html
    assert "有人反馈问题" not in html  # nothing open
    # The list says 暂停开放 too, and "open now" leaves it out although its hours say 24h.
    listing = page_text(client.get("/stations?lat=45.71&lng=126.66"))
    assert "暂停开放" in listing and "香坊区通天街职工驿站（东门）" in listing
    listing = page_text(client.get("/stations?lat=45.71&lng=126.66&open_now=1"))
    assert "香坊区通天街职工驿站（东门）" not in listing and "驿站1" in listing
    api = client.get("/api/v1/stations/nearby?lat=45.71&lng=126.66").get_json()
    assert [s["open_now"] for s in api["stations"] if s["id"] == world["station"]] == [False]


# --- S8: rate limit and merging ------------------------------------------------------------------


def test_reports_are_limited_per_person_per_hour(app, world, add_stations):
    ids = add_stations([(45.7 + i / 100, 126.6) for i in range(6)], union="grassroots_a1")
    reporter = login_as(app.test_client(), world["reporter"])
    for station_id in ids[:5]:
        assert _report(reporter, station_id, "closed", "").status_code == 303
    r = _report(reporter, ids[5], "closed", "")
    assert r.status_code == 429 and "每小时最多可提交5次问题反馈" in page_text(r)
    assert len(_reports(app)) == 5
    # Someone else is not held back by it.
    assert _report(login_as(app.test_client(), world["someone"]), ids[5], "closed", "").status_code == 303


def test_reports_are_limited_per_person_per_day(app, world, add_stations):
    ids = add_stations([(45.7 + i / 100, 126.6) for i in range(4)], union="grassroots_a1")
    hourly, daily = app.config["STATION_REPORTS_PER_HOUR"], app.config["STATION_REPORTS_PER_DAY"]
    app.config.update(STATION_REPORTS_PER_HOUR=100, STATION_REPORTS_PER_DAY=3)
    try:
        reporter = login_as(app.test_client(), world["reporter"])
        for station_id in ids[:3]:
            assert _report(reporter, station_id, "closed", "").status_code == 303
        r = _report(reporter, ids[3], "closed", "")
        assert r.status_code == 429 and "每天最多可提交3次问题反馈" in page_text(r)
    finally:
        app.config.update(STATION_REPORTS_PER_HOUR=hourly, STATION_REPORTS_PER_DAY=daily)


def test_merged_sendings_count_towards_the_limit(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    for n in range(5):
        assert _report(reporter, world["station"], "other", f"第{n}次").status_code == 303
    assert _report(reporter, world["station"], "other", "第5次").status_code == 429
    (report,) = _reports(app)
    assert report.text == "第0次\n\n第1次\n\n第2次\n\n第3次\n\n第4次"


def test_a_second_report_on_the_same_station_within_a_day_is_added_to_the_first(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    assert _report(reporter, world["station"], "no_water", "饮水机坏了。").status_code == 303
    r = _report(reporter, world["station"], "charger_broken", "充电口也松了！")
    assert r.status_code == 303
    assert "已补充到您今天早些时候的反馈中" in page_text(reporter.get(r.headers["Location"]))
    (report,) = _reports(app)
    assert report.kind == "no_water" and report.status == "open"
    assert report.text == "饮水机坏了。\n\n充电设备坏了：充电口也松了！"
    # Another station, or another person: separate reports.
    _report(reporter, world["other_station"], "closed", "")
    _report(login_as(app.test_client(), world["someone"]), world["station"], "closed", "")
    assert len(_reports(app)) == 3
    # A day later the same person's report on the same station is a new one.
    with app.app_context():
        first = db.session.get(StationReport, report.id)
        first.created_at = first.created_at - timedelta(days=1, minutes=1)
        db.session.commit()
    _report(reporter, world["station"], "closed", "又关门了")
    assert len(_reports(app)) == 4


def test_a_report_resolved_meanwhile_is_not_reopened_by_a_merge(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    _report(reporter, world["station"], "closed", "")
    staff = login_as(app.test_client(), world["staff"])
    (report,) = _reports(app)
    post_form(staff, f"/staff/stations/reports/{report.id}/resolve", {"note": ""}, token_from="/staff/stations")
    _report(reporter, world["station"], "closed", "还是没开")
    first, second = _reports(app)
    assert first.status == "resolved" and second.status == "open" and second.text == "还是没开"


# --- UX12: the loop closes --------------------------------------------------------------------------


def test_the_reporter_is_told_when_staff_resolve_it(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    _report(reporter, world["station"])
    (report,) = _reports(app)
    staff = login_as(app.test_client(), world["staff"])
    note = "已联系物业，明早7点开门；饮水机已修好。"
    r = post_form(staff, f"/staff/stations/reports/{report.id}/resolve", {"note": note}, token_from="/staff/stations")
    assert r.status_code == 303
    with app.app_context():
        (message,) = db.session.scalars(select(Message).where(Message.user_id == world["reporter"].id))
        assert message.link == f"/stations/{world['station']}#my-reports"
    html = page_text(reporter.get("/messages"))
    assert "您的反馈已处理" in html and note in html and "驿站0" in html
    # And the station page tells them too.
    html = page_text(reporter.get(f"/stations/{world['station']}"))
    assert "已处理" in html and "工会回复：" + note in html
    assert "有人反馈问题" not in page_text(app.test_client().get(f"/stations/{world['station']}"))


def test_staff_list_links_station_and_reporter_masked_with_a_logged_reveal(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    _report(reporter, world["station"], "no_water", PROSE)
    (report,) = _reports(app)
    phone = world["reporter"].phone
    staff = login_as(app.test_client(), world["staff"])
    html = page_text(staff.get("/staff/stations/reports"))
    assert f'href="/stations/{world["station"]}"' in html  # the station
    assert f"{phone[:3]}****{phone[-4:]}" in html and phone not in html  # the reporter, masked
    assert PROSE in html and "骑手甲" in html
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "sensitive.phone_viewed"))
            == 0
        )
    r = post_form(staff, f"/staff/stations/reports/{report.id}/reveal-phone", {}, token_from="/staff/stations/reports")
    assert r.status_code == 200
    html = page_text(r)
    assert f'href="tel:{phone}"' in html
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sensitive.phone_viewed")).one()
        assert (event.actor_id, event.subject_id) == (world["staff"].id, str(world["reporter"].id))
    # Staff of the sibling county cannot reach the report or its reporter's number.
    sibling = login_as(app.test_client(), world["sibling_staff"])
    assert "骑手甲" not in page_text(sibling.get("/staff/stations/reports"))
    r = post_form(sibling, f"/staff/stations/reports/{report.id}/reveal-phone", {}, token_from="/staff/stations")
    assert r.status_code == 404 and phone not in page_text(r)
    r = post_form(sibling, f"/staff/stations/reports/{report.id}/resolve", {"note": ""}, token_from="/staff/stations")
    assert r.status_code == 404


def test_staff_home_counts_the_open_reports_in_their_scope(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    _report(reporter, world["station"], "closed", "")
    _report(reporter, world["other_station"], "closed", "")
    _report(login_as(app.test_client(), world["someone"]), world["theirs"], "closed", "")
    html = page_text(login_as(app.test_client(), world["staff"]).get("/staff"))
    assert re.search(r'<span class="stat-number">2</span>\s*<span class="stat-label">待处理的驿站问题反馈', html)
    html = page_text(login_as(app.test_client(), world["sibling_staff"]).get("/staff"))
    assert re.search(r'<span class="stat-number">1</span>\s*<span class="stat-label">待处理的驿站问题反馈', html)


def test_reveal_refuses_ones_own_report(app, world, ctx):
    from portal.core.errors import NotAllowed
    from portal.stations import reports

    station = db.session.get(Station, world["station"])
    staff = db.session.get(User, world["staff"].id)
    report, _merged = reports.report_problem(staff, station, kind="closed", text="")
    with pytest.raises(NotAllowed):
        reports.reveal_reporter_phone(staff, report.id)


# --- S10: Chinese punctuation survives every free-text field ---------------------------------------


def test_chinese_prose_round_trips_through_report_and_staff_note(app, world):
    reporter = login_as(app.test_client(), world["reporter"])
    _report(reporter, world["station"], "other", PROSE + "\n第二行，也要保留。")
    (report,) = _reports(app)
    assert report.text == PROSE + "\n第二行，也要保留。"
    staff = login_as(app.test_client(), world["staff"])
    post_form(staff, f"/staff/stations/reports/{report.id}/resolve", {"note": PROSE}, token_from="/staff/stations")
    (report,) = _reports(app)
    assert report.resolution_note == PROSE
    assert PROSE in page_text(staff.get("/staff/stations/reports?status=resolved"))


def test_the_staff_form_offers_the_notice_and_the_temporary_closure(app, world):
    staff = login_as(app.test_client(), world["staff"])
    html = page_text(staff.get(f"/staff/stations/{world['station']}/edit"))
    assert 'name="public_notice"' in html and 'name="is_suspended"' in html and "对访客的说明" in html


def test_chinese_punctuation_round_trips_through_station_name_address_notice_and_import(app, world):
    name = "通天街“暖心”驿站（东门）《示范点》"
    address = "香坊区通天街1号，近红旗大街；二楼！"
    notice = "暂停开放至12月5日：更换管道，敬请谅解！有问题？请拨电话、留言。"
    staff = login_as(app.test_client(), world["staff"])
    form = {
        "name": name,
        "address": address,
        "lat": "45.71",
        "lng": "126.66",
        "open_hours": "24h",
        "union_code": "GA1",
        "public_notice": notice,
    }
    assert post_form(staff, f"/staff/stations/{world['station']}/edit", form).status_code == 303
    with app.app_context():
        station = db.session.get(Station, world["station"])
        assert (station.name, station.address, station.public_notice) == (name, address, notice)
    html = page_text(app.test_client().get(f"/stations/{world['station']}"))
    assert all(text.replace("“", "&#34;") in html or text in html for text in (name, address, notice))
    # The export and a re-import keep them too.
    with staff.get("/staff/stations/export.csv") as export:
        body = export.data
    import io

    r = post_form(
        staff, "/staff/stations/import", {"file": (io.BytesIO(body), "s.csv")}, content_type="multipart/form-data"
    )
    assert r.status_code == 200
    with app.app_context():
        station = db.session.get(Station, world["station"])
        assert (station.name, station.address) == (name, address)
