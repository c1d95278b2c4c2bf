"""A courier near 香坊区 finds the nearest rest station in two taps, filters, opens it and navigates."""

from __future__ import annotations

import re
from urllib.parse import unquote

from playwright.sync_api import expect

from portal.core.geo import wgs84_to_bd09, wgs84_to_gcj02
from tests.browser.support import assert_no_serious_axe_problems, shot

HERE = {"latitude": 45.7077, "longitude": 126.6626}


def _stations(add_stations):
    return add_stations(
        [
            (45.7098, 126.6640, ("water", "charging", "rest"), "24h"),  # ~260 m
            (45.7040, 126.6570, ("water", "toilet", "microwave", "charging"), "06:00-23:00"),  # ~580 m
            (45.7200, 126.6800, ("water", "toilet", "ebike_charging"), "24h"),  # ~1.9 km
            (45.6900, 126.6300, ("books",), "Mon-Fri 08:30-17:30"),  # ~3.2 km
        ]
    )


def test_courier_finds_the_nearest_station_and_navigates(new_context, add_stations, app):
    ids = _stations(add_stations)
    from portal.extensions import db
    from portal.stations.models import Station

    with app.app_context():
        for sid, name in zip(
            ids,
            [
                "通天街快递外卖骑手暖心驿站",
                "建设银行和平路支行劳动者港湾",
                "中石化香坊大街加油站爱心驿站",
                "香坊区图书馆职工书屋驿站",
            ],
            strict=True,
        ):
            db.session.get(Station, sid).name = name
        db.session.commit()
    context = new_context(geolocation=HERE, permissions=["geolocation"])
    page = context.new_page()

    page.goto("/")
    page.get_by_role("link", name=re.compile("找驿站")).click()
    expect(page).to_have_url(re.compile(r"/stations$"))
    expect(page.locator(".place-box")).to_have_attribute("open", "")  # no district known here: it asks where
    page.get_by_role("button", name="使用我的位置").click()  # tap 2
    expect(page).to_have_url(re.compile(r"lat=45\.7077"))
    items = page.locator(".station-item h3")
    expect(items.first).to_have_text("通天街快递外卖骑手暖心驿站")
    expect(page.locator(".station-item").first.locator(".distance")).to_have_text(re.compile(r"^2\d\d米$"))
    expect(page.locator(".station-item").nth(2).locator(".distance")).to_have_text(re.compile(r"公里$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the chip row scrolls, not the page
    shot(page, "stations-list-zh")
    assert_no_serious_axe_problems(page, "station list")

    # Filter: a toilet is needed. The chip applies at once, without reloading the page: the
    # results are swapped in and the address follows.
    page.evaluate("window.stillThisPage = true")
    page.locator("label.chip-check", has_text="卫生间").click()
    expect(page).to_have_url(re.compile(r"amenity=toilet.*#results$"))
    expect(items.first).to_have_text("建设银行和平路支行劳动者港湾")
    expect(items).to_have_count(2)
    expect(page.locator("#results-title")).to_have_text("卫生间 · 2个驿站")
    assert page.evaluate("window.stillThisPage === true")

    # The map of the same results.
    page.get_by_role("link", name="地图").click()
    expect(page.locator("#station-map.leaflet-container")).to_be_visible()
    expect(page.locator("#station-map")).to_have_class(re.compile(r"no-tiles"))
    shot(page, "stations-map-zh")
    page.get_by_role("link", name="返回列表").click()
    items.first.wait_for()

    # The detail page and its navigation links.
    items.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("建设银行和平路支行劳动者港湾")
    expect(page.locator(".station-meta .distance")).to_have_text(re.compile(r"距您\d+米"))
    g_lat, g_lng = wgs84_to_gcj02(45.7040, 126.6570)
    b_lat, b_lng = wgs84_to_bd09(45.7040, 126.6570)
    amap = unquote(page.get_by_role("link", name="高德地图").get_attribute("href"))
    baidu = unquote(page.get_by_role("link", name="百度地图").get_attribute("href"))
    tencent = unquote(page.get_by_role("link", name="腾讯地图").get_attribute("href"))
    assert f"position={g_lng:.6f},{g_lat:.6f}" in amap
    assert f"location={b_lat:.6f},{b_lng:.6f}" in baidu
    assert f"coord:{g_lat:.6f},{g_lng:.6f}" in tencent
    shot(page, "station-detail-zh")
    assert_no_serious_axe_problems(page, "station detail")


def test_finder_works_without_javascript(new_context, add_stations, tree, app):
    from portal.extensions import db
    from portal.unions.models import Union

    _stations(add_stations)
    with app.app_context():
        county = db.session.get(Union, tree["county_a1"].id)
        county.lat, county.lng = 45.7077, 126.6626
        db.session.commit()
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/stations")
    expect(page.get_by_role("button", name="使用我的位置")).to_be_hidden()
    page.get_by_label("或选择地区").select_option(label="香坊区")
    page.get_by_role("button", name="查找驿站").click()
    expect(page.locator(".place-box summary")).to_contain_text("香坊区附近")
    expect(page.locator(".station-item")).to_have_count(4)
    # A chip is applied with the "apply" button, and the page comes back at the results.
    page.locator("label.chip-check", has_text="图书").click()
    page.get_by_role("button", name="按所选条件筛选").click()
    expect(page).to_have_url(re.compile(r"amenity=books.*#results$"))
    expect(page.locator(".station-item")).to_have_count(1)


def test_staff_place_a_new_station_with_the_map_pin(desk_page, make_user, tree, app):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.stations.models import Station
    from tests.browser.support import sign_in

    sign_in(desk_page, make_user("staff", union=tree["county_a1"]))
    desk_page.goto("/staff/stations/new")
    desk_page.get_by_label("驿站名称").fill("和平路职工驿站")
    desk_page.get_by_label("地址").fill("香坊区和平路8号")
    picker = desk_page.locator("#pin-picker.leaflet-container")
    expect(picker).to_be_visible()
    box = picker.bounding_box()
    desk_page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    expect(desk_page.get_by_label("纬度（WGS-84）")).not_to_have_value("")
    lat = float(desk_page.get_by_label("纬度（WGS-84）").input_value())
    lng = float(desk_page.get_by_label("经度（WGS-84）").input_value())
    assert lat > 45.7567 and lng > 126.6424  # up and to the right of the default centre
    desk_page.locator("label.chip-check", has_text="饮用水").click()
    shot(desk_page, "staff-station-form-desk")
    desk_page.get_by_role("button", name="保存").click()
    expect(desk_page.get_by_role("status")).to_contain_text("驿站已添加")
    with app.app_context():
        station = db.session.scalars(select(Station).where(Station.name == "和平路职工驿站")).one()
        assert (round(station.lat, 6), round(station.lng, 6)) == (round(lat, 6), round(lng, 6))
        assert station.amenities == ["water"] and station.union.code == "CA1"


# --- Issue 7: first visit, the map without tiles, the staff table, at 360 px -----------------------


def _narrow_page(new_context):
    """A 360 px wide Android phone (the narrowest the portal is made for)."""
    page = new_context().new_page()
    page.set_viewport_size({"width": 360, "height": 780})
    return page


def _no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _located_default(app, tree):
    from portal.extensions import db
    from portal.unions.models import Union

    with app.app_context():
        county = db.session.get(Union, tree["county_a1"].id)
        county.lat, county.lng = 45.7077, 126.6626
        db.session.commit()
    before = app.config["STATION_DEFAULT_REGION"]
    app.config["STATION_DEFAULT_REGION"] = "CA1"
    return before


def test_a_first_visit_opens_on_results_above_the_fold(new_context, add_stations, tree, app):
    _stations(add_stations)
    before = _located_default(app, tree)
    try:
        page = new_context().new_page()  # 390×844
        page.goto("/stations")
        first = page.locator(".station-item").first
        expect(first).to_be_visible()
        assert first.bounding_box()["y"] < 844 / 2
        expect(page.locator("#results-title")).to_have_text("4个驿站")
        expect(page.locator(".place-box summary")).to_contain_text("香坊区附近")
        narrow = _narrow_page(new_context)
        narrow.goto("/stations")
        expect(narrow.locator(".station-item").first).to_be_visible()
        _no_sideways_scrolling(narrow)
        shot(narrow, "stations-first-visit-360", full_page=False)
        assert_no_serious_axe_problems(narrow, "station list, first visit")
    finally:
        app.config["STATION_DEFAULT_REGION"] = before


def test_the_map_without_tiles_shows_the_list_first_with_big_links(new_context, add_stations):
    _stations(add_stations)
    page = _narrow_page(new_context)
    page.goto("/stations/map?lat=45.7077&lng=126.6626")
    expect(page.get_by_role("note")).to_contain_text("尚未配置底图")
    expect(page.locator("#station-map.leaflet-container")).to_be_visible()
    links = page.locator(".map-list a")
    expect(links).to_have_count(4)
    assert page.locator(".map-list").bounding_box()["y"] < page.locator("#station-map").bounding_box()["y"]
    for i in range(4):
        assert links.nth(i).bounding_box()["height"] >= 44
    _no_sideways_scrolling(page)
    shot(page, "stations-map-no-tiles-360")
    assert_no_serious_axe_problems(page, "station map without tiles")


def test_staff_station_table_fits_360_px(new_context, add_stations, make_user, tree, app):
    from tests.browser.support import sign_in

    _stations(add_stations)
    page = _narrow_page(new_context)
    sign_in(page, make_user("staff", union=tree["county_a1"]))
    page.goto("/staff/stations")
    expect(page.get_by_role("heading", level=1)).to_have_text("驿站管理")
    _no_sideways_scrolling(page)
    buttons = page.locator(".station-table .actions a")
    expect(buttons).to_have_count(8)
    for i in range(8):
        box = buttons.nth(i).bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 360
    shot(page, "staff-stations-360")
    assert_no_serious_axe_problems(page, "staff station table at 360 px")
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.locator(".station-table thead th").first).to_have_text("驿站名称")
