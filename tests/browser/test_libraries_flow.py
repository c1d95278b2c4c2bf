# ruff: noqa: F811  (pytest fixtures imported from tests/libraries/conftest.py are parameters here)
"""Worker libraries at 390 px: (1) a member finds the nearest library, books a visit, gets its QR code
and code, and the library's staff check them in; (2) a member searches a title, reserves it to
collect at a rest station, the staff mark it ready, the member sees where and until when, and the
desk lends it. Every page is checked with axe; screenshots under tests/browser/screenshots."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from tests.browser.support import assert_no_serious_axe_problems, label, shot, sign_in
from tests.libraries.conftest import make_entry, make_library, readers  # noqa: F401  (fixtures)


def test_find_a_library_book_a_visit_and_staff_check_it_in(new_context, make_library, readers):
    # Open every day round the clock in 15-minute slots: the next slot always begins within 15
    # minutes, so its check-in (open from 30 minutes before) is open whenever the test runs.
    make_library(
        name="香坊区总工会职工书屋", open_hours="24h", slot_minutes=15, places_per_slot=8, lat=45.716, lng=126.669
    )
    make_library(name="远郊职工书屋", lat=45.95, lng=126.90)
    member, staff = readers["member"], readers["county"]
    page = new_context().new_page()
    sign_in(page, member)

    # 1. The list, nearest first, with today's free places.
    page.goto("/libraries?lat=45.7170&lng=126.6700")
    items = page.locator(".station-item h3")
    expect(items.first).to_have_text("香坊区总工会职工书屋")
    expect(page.locator(".free-places").first).to_contain_text("今日余")
    shot(page, "libraries-1-list")
    assert_no_serious_axe_problems(page, "library list")

    # 2. The library's page: hours, navigation, then "choose a time".
    page.get_by_role("link", name=re.compile("香坊区总工会职工书屋")).click()
    expect(page.get_by_role("heading", name="香坊区总工会职工书屋")).to_be_visible()
    shot(page, "libraries-2-detail")
    assert_no_serious_axe_problems(page, "library detail")
    page.get_by_role("link", name="选择时段").click()

    # 3. Book the first free slot.
    shot(page, "libraries-3-slots")
    assert_no_serious_axe_problems(page, "visit slots")
    page.locator(".slot-bookable button").first.click()

    # 4. The booking: a QR code and a 6-character code to show at the desk.
    expect(page.locator(".flash-success")).to_contain_text("预约成功")
    code = page.locator(".visit-code [aria-hidden=true]").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code), code
    expect(page.locator(".poster-qr svg")).to_be_visible()
    shot(page, "libraries-4-visit-qr")
    assert_no_serious_axe_problems(page, "visit with its QR code")

    # 5. The library's staff type the code (the camera button appears only where BarcodeDetector exists).
    desk = new_context().new_page()
    sign_in(desk, staff)
    desk.goto("/staff/libraries")
    desk.get_by_role("link", name=re.compile("香坊区总工会职工书屋")).click()
    desk.get_by_role("link", name=re.compile("到馆签到")).click()
    desk.get_by_label(label("预约码")).fill(code.lower())
    desk.get_by_role("button", name="签到", exact=True).click()
    expect(desk.locator(".flash-success")).to_contain_text("签到成功")
    shot(desk, "libraries-5-checked-in")
    assert_no_serious_axe_problems(desk, "check-in")

    # 6. The member's page shows the visit checked in (no longer upcoming).
    page.goto("/libraries/mine")
    expect(page.locator("#visits-title")).to_be_visible()
    shot(page, "libraries-6-mine-after-visit")


def test_search_reserve_collect_at_a_station_and_borrow(
    new_context,
    app,
    make_library,
    make_entry,
    readers,
    add_stations,
):
    library_id = make_library(name="香坊区总工会职工书屋", open_hours="24h")
    (station,) = add_stations([(45.7170, 126.6700)], union="county_a1")
    make_entry(library_id, "平凡的世界（第1部）", isbn="9787530216781", author="路遥", copies=1)
    make_entry(library_id, "世界的尽头", author="村上春树", copies=2)
    with app.app_context():
        from portal.libraries.models import LibraryPartnerStation
        from portal.membership.models import Membership
        from portal.stations.models import Station

        db.session.add(LibraryPartnerStation(library_id=library_id, station_id=station))
        station_name = db.session.get(Station, station).name
        number = db.session.scalar(select(Membership.member_number).where(Membership.user_id == readers["member"].id))
        db.session.commit()
    member, staff = readers["member"], readers["county"]
    page = new_context().new_page()
    sign_in(page, member)

    # 1. Search two characters: both titles, each with its availability.
    page.goto("/libraries/search")
    page.get_by_role("searchbox").fill("世界")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("平凡的世界"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("在架 1/1")
    shot(page, "libraries-7-search")
    assert_no_serious_axe_problems(page, "catalogue search")

    # 2. The title, then reserve it to collect at the partner rest station.
    page.get_by_role("link", name=re.compile("平凡的世界")).first.click()
    shot(page, "libraries-8-title")
    assert_no_serious_axe_problems(page, "title page")
    page.get_by_role("link", name=re.compile("预约")).first.click()
    page.get_by_label(re.compile(f"在服务站点领取：{station_name}")).check()
    shot(page, "libraries-9-reserve")
    assert_no_serious_axe_problems(page, "reserve")
    page.get_by_role("button", name="预约借书", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("预约成功")

    # 3. The staff prepare it (carried to the station) and mark it ready.
    desk = new_context().new_page()
    sign_in(desk, staff)
    desk.goto(f"/staff/libraries/{library_id}/holds")
    expect(desk.locator("main")).to_contain_text(station_name)
    shot(desk, "libraries-10-holds-to-prepare")
    assert_no_serious_axe_problems(desk, "holds to prepare")
    desk.get_by_role("button", name=re.compile("平凡的世界")).click()
    expect(desk.locator(".flash-success")).to_contain_text("已备好")

    # 4. The member reads where and until when.
    page.goto("/libraries/mine")
    expect(page.locator("#holds-title ~ ul")).to_contain_text(f"到{station_name}领取")
    shot(page, "libraries-11-mine-ready")
    assert_no_serious_axe_problems(page, "my bookings and books")

    # 5. At the station the member shows the card; the desk lends the reserved copy.
    desk.goto(f"/staff/libraries/{library_id}/desk")
    desk.get_by_label(label("会员卡或会员编号")).fill(number)
    desk.get_by_role("button", name="继续", exact=True).click()
    desk.get_by_role("button", name=re.compile("借出《平凡的世界")).click()
    expect(desk.locator(".flash-success")).to_contain_text("应还日期")
    shot(desk, "libraries-12-desk-lent")
    assert_no_serious_axe_problems(desk, "desk")
    page.goto("/libraries/mine")
    expect(page.locator("#loans-title ~ ul")).to_contain_text("平凡的世界")
    shot(page, "libraries-13-mine-loan")
