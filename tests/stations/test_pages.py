"""The finder's pages, the detail page with navigation links, problem reports, and the staff pages."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from portal.core.geo import wgs84_to_bd09, wgs84_to_gcj02
from portal.extensions import db
from portal.stations.models import Station, StationReport
from tests.helpers import login_as, page_text, post_form

HERE = "lat=45.7077&lng=126.6626"


def test_finder_without_a_position_explains_and_offers_districts(client, add_stations):
    add_stations([(45.71, 126.66)])
    html = page_text(client.get("/stations"))
    assert "使用我的位置" in html and "不会保存" in html
    assert 'name="region"' in html and "驿站0" not in html  # no list before a place is known


def test_finder_lists_the_nearest_first_with_chinese_distances(client, add_stations):
    near, far = add_stations([(45.7100, 126.6626, ("water",), "24h"), (45.7300, 126.6626, (), "08:00-09:00")])
    html = page_text(client.get(f"/stations?{HERE}"))
    assert html.index("驿站0") < html.index("驿站1")
    assert "256米" in html and "2.5公里" in html
    assert "营业中" in html and "饮用水" in html
    assert f"/stations/{near}?lat=45.7077" in html


def test_finder_filters_by_amenity_and_open_now(client, add_stations):
    add_stations([(45.7100, 126.6626, ("water",), "24h"), (45.7200, 126.6626, ("water", "toilet"), "24h")])
    html = page_text(client.get(f"/stations?{HERE}&amenity=toilet"))
    assert "驿站1" in html and "驿站0" not in html
    assert "没有符合条件的驿站" in page_text(client.get(f"/stations?{HERE}&amenity=books"))


def test_district_picker_searches_around_the_district(client, tree, add_stations, app):
    from portal.unions.models import Union

    with app.app_context():
        county = db.session.get(Union, tree["county_a1"].id)
        county.lat, county.lng = 45.7077, 126.6626
        db.session.commit()
    add_stations([(45.7100, 126.6626)])
    html = page_text(client.get("/stations?region=CA1"))
    assert "香坊区附近" in html and "驿站0" in html


def test_keyword_search(client, add_stations):
    add_stations([(45.71, 126.66)])
    assert "驿站0" in page_text(client.get("/stations?q=测试路"))
    assert "没有符合条件的驿站" in page_text(client.get("/stations?q=不存在的路"))


def test_bad_positions_are_ignored_not_crashed(client, add_stations):
    for query in ("lat=abc&lng=1", "lat=95&lng=1", "lat=nan&lng=nan", "region=NOPE", "q=" + "长" * 500):
        assert client.get(f"/stations?{query}").status_code == 200
    # Digits other than 0-9 are no position (float() would read "١٢" as 12); full-width ones are.
    add_stations([(45.71, 126.66)])
    assert "驿站0" not in page_text(client.get("/stations?lat=٤٥.٧١&lng=١٢٦.٦٦"))
    assert "驿站0" in page_text(client.get("/stations?lat=４５.７１&lng=１２６.６６"))


def test_detail_has_hours_amenities_phone_and_converted_navigation_links(client, add_stations, app):
    (sid,) = add_stations([(45.7100, 126.6626, ("water", "toilet"), "Mon-Fri 08:00-20:00; Sat 22:00-02:00")])
    with app.app_context():
        db.session.get(Station, sid).phone = "0451-82345678"
        db.session.commit()
    html = page_text(client.get(f"/stations/{sid}?{HERE}"))
    assert "周一" in html and "08:00–20:00" in html and "22:00–次日02:00" in html
    assert 'href="tel:0451-82345678"' in html
    assert "饮用水" in html and "卫生间" in html and "距您256米" in html
    g_lat, g_lng = wgs84_to_gcj02(45.7100, 126.6626)
    b_lat, b_lng = wgs84_to_bd09(45.7100, 126.6626)
    links = {
        app_: unquote(url.replace("&amp;", "&"))
        for app_, url in re.findall(r'class="button nav-(\w+)" href="([^"]+)"', html)
    }
    assert links["amap"].startswith("https://uri.amap.com/marker?")
    assert f"position={g_lng:.6f},{g_lat:.6f}" in links["amap"] and "coordinate=gaode" in links["amap"]
    assert links["baidu"].startswith("https://api.map.baidu.com/marker?")
    assert f"location={b_lat:.6f},{b_lng:.6f}" in links["baidu"] and "coord_type=bd09ll" in links["baidu"]
    assert links["tencent"].startswith("https://apis.map.qq.com/uri/v1/marker?")
    assert f"coord:{g_lat:.6f},{g_lng:.6f}" in links["tencent"]
    # WGS-84 is not what the apps want: the converted points differ by hundreds of metres.
    assert f"{45.7100:.6f}" not in links["amap"]


def test_hidden_and_unknown_stations_are_404(client, add_stations, app):
    (sid,) = add_stations([(45.71, 126.66)])
    with app.app_context():
        db.session.get(Station, sid).is_active = False
        db.session.commit()
    assert client.get(f"/stations/{sid}").status_code == 404
    assert client.get("/stations/999999").status_code == 404


def test_map_page_embeds_the_same_stations_safely(client, add_stations, app):
    (sid,) = add_stations([(45.7100, 126.6626)])
    with app.app_context():
        db.session.get(Station, sid).name = "</script><script>alert(1)</script>"
        db.session.commit()
    html = page_text(client.get(f"/stations/map?{HERE}"))
    data = re.search(r'<script type="application/json" id="station-data">(.*?)</script>', html, re.S).group(1)
    assert "</script" not in data and "\\u003c/script\\u003e" in data
    assert 'id="station-map"' in html and 'data-here="1"' in html
    assert re.search(r"/vendor/leaflet/leaflet\.[0-9a-f]{10}\.js", html)
    # Nothing loaded from another host. (Not "cdn" anywhere in the page: the random CSRF token
    # held those three letters once in a few hundred runs.)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), html


def test_workers_report_problems_and_the_station_says_only_that_it_is_being_checked(
    client, add_stations, make_user, app
):
    (sid,) = add_stations([(45.71, 126.66)])
    r = client.post(f"/stations/{sid}", data={"kind": "no_water"})
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]  # sign in first
    assert "登录后可反馈问题" in page_text(client.get(f"/stations/{sid}"))
    login_as(client, make_user())
    assert client.post(f"/stations/{sid}", data={"kind": "no_water"}).status_code == 400  # no CSRF token
    r = post_form(client, f"/stations/{sid}", {"kind": "other", "text": ""})
    assert r.status_code == 422 and "请描述遇到的问题" in page_text(r)
    r = post_form(client, f"/stations/{sid}", {"kind": "no_water", "text": "饮水机坏了"})
    assert r.status_code == 303
    assert "有人反馈问题，工会正在核实" in page_text(app.test_client().get(f"/stations/{sid}"))
    assert "饮水机坏了" not in page_text(app.test_client().get(f"/stations/{sid}"))
    assert "饮水机坏了" in page_text(client.get(f"/stations/{sid}"))  # the reporter sees their own


@pytest.fixture
def staff_world(app, tree, make_user, add_stations):
    mine, theirs = add_stations([(45.71, 126.66)], union="grassroots_a1") + add_stations(
        [(45.99, 128.74)], union="grassroots_a2"
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "county_staff": make_user("staff", union=tree["county_a1"]),
        "worker": make_user(),
    }


def test_staff_see_and_edit_only_stations_in_their_scope(client, staff_world):
    login_as(client, staff_world["county_staff"])
    listing = page_text(client.get("/staff/stations"))
    assert "驿站0" in listing
    assert "全天24小时开放" in listing and ">24h<" not in listing  # hours in words, not the stored code
    assert client.get(f"/staff/stations/{staff_world['mine']}/edit").status_code == 200
    assert client.get(f"/staff/stations/{staff_world['theirs']}/edit").status_code == 404
    assert client.get(f"/staff/stations/{staff_world['theirs']}/deactivate").status_code == 404
    export = client.get("/staff/stations/export.csv").get_data(as_text=True)
    assert "45.710000" in export and "45.990000" not in export


def test_workers_cannot_open_the_staff_station_pages(client, staff_world):
    login_as(client, staff_world["worker"])
    for path in [
        "/staff/stations",
        "/staff/stations/new",
        "/staff/stations/import",
        "/staff/stations/export.csv",
        "/staff/stations/reports",
        f"/staff/stations/{staff_world['mine']}/edit",
    ]:
        assert client.get(path).status_code == 403, path


def test_staff_create_a_station_and_bad_input_is_explained(app, client, staff_world):
    login_as(client, staff_world["county_staff"])
    base = {
        "name": "新驿站",
        "address": "香坊区新路1号",
        "lat": "45.72",
        "lng": "126.65",
        "amenities": ["water"],
        "open_hours": "24h",
        "phone": "",
        "union_code": "GA1",
        "external_id": "",
    }
    for change, message in [
        ({"lat": "north"}, "纬度必须是"),
        ({"open_hours": "8am-8pm"}, "营业时间格式"),
        ({"union_code": "GA2"}, "不在您的管辖范围内"),
        ({"name": ""}, "请填写驿站名称"),
    ]:
        r = post_form(client, "/staff/stations/new", {**base, **change})
        assert r.status_code == 422 and message in page_text(r), change
    r = post_form(client, "/staff/stations/new", base)
    assert r.status_code == 303
    with app.app_context():
        station = db.session.scalars(select(Station).where(Station.name == "新驿站")).one()
        assert station.union.code == "GA1" and station.amenities == ["water"]


def test_deactivating_asks_first_then_hides_from_workers(app, client, staff_world):
    login_as(client, staff_world["county_staff"])
    sid = staff_world["mine"]
    assert "确定对职工隐藏" in page_text(client.get(f"/staff/stations/{sid}/deactivate"))
    assert post_form(client, f"/staff/stations/{sid}/deactivate", {}).status_code == 303
    assert client.get(f"/stations/{sid}").status_code == 404
    assert post_form(client, f"/staff/stations/{sid}/activate", {}).status_code == 303
    assert client.get(f"/stations/{sid}").status_code == 200


def test_staff_resolve_reports_in_their_scope(app, client, staff_world, make_user, tree):
    worker = login_as(app.test_client(), staff_world["worker"])
    post_form(worker, f"/stations/{staff_world['mine']}", {"kind": "charger_broken", "text": ""})
    post_form(worker, f"/stations/{staff_world['theirs']}", {"kind": "closed", "text": ""})
    login_as(client, staff_world["county_staff"])
    html = page_text(client.get("/staff/stations/reports"))
    assert "充电设备坏了" in html and "营业时间内没开门" not in html
    with app.app_context():
        mine = db.session.scalars(select(StationReport.id).where(StationReport.station_id == staff_world["mine"])).one()
        theirs = db.session.scalars(
            select(StationReport.id).where(StationReport.station_id == staff_world["theirs"])
        ).one()
    r = post_form(client, f"/staff/stations/reports/{theirs}/resolve", {"note": ""}, token_from="/staff/stations")
    assert r.status_code == 404
    r = post_form(
        client, f"/staff/stations/reports/{mine}/resolve", {"note": "已更换充电器"}, token_from="/staff/stations"
    )
    assert r.status_code == 303
    assert "有人反馈问题" not in page_text(client.get(f"/stations/{staff_world['mine']}"))
    assert "已更换充电器" in page_text(client.get("/staff/stations/reports?status=resolved"))


def test_station_services_refuse_staff_outside_their_subtree(app, staff_world):
    """The rule lives in the service: a caller that skipped the view's scoped load is still refused."""
    from portal.accounts.models import User
    from portal.core.errors import NotAllowed
    from portal.stations import services

    with app.app_context():
        staff = db.session.get(User, staff_world["county_staff"].id)
        theirs = db.session.get(Station, staff_world["theirs"])
        with pytest.raises(NotAllowed):
            services.set_active(staff, theirs, False)
        with pytest.raises(NotAllowed):
            services.update_station(
                staff, theirs, {"name": "x", "address": "y", "lat": 45, "lng": 126, "open_hours": "24h"}
            )
        db.session.rollback()
        assert db.session.get(Station, staff_world["theirs"]).is_active


# --- The map without a tile server (issue 7, UX4) ----------------------------------------------------


def test_without_tiles_the_map_page_opens_on_the_list_and_says_why(app, client, add_stations):
    add_stations([(45.7100, 126.6626)])
    assert not app.config["STATION_MAP_TILES"]
    html = page_text(client.get(f"/stations/map?{HERE}"))
    assert "尚未配置底图" in html
    assert html.index('class="plain-list map-list"') < html.index('id="station-map"')  # the list first
    assert 'class="station-map markers-only"' in html


def test_with_tiles_the_map_comes_first_and_its_hosts_are_allowed(app, add_stations):
    from portal import create_app

    add_stations([(45.7100, 126.6626)])
    tiles = "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k"
    labels = "https://t{s}.tianditu.gov.cn/cva_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k"
    other = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "STATION_MAP_TILES": tiles,
            "STATION_MAP_LABEL_TILES": labels,
            "STATION_MAP_TILE_SUBDOMAINS": "01234567",
        },
    )
    r = other.test_client().get(f"/stations/map?{HERE}")
    html = page_text(r)
    assert "尚未配置底图" not in html and html.index('id="station-map"') < html.index('class="plain-list map-list"')
    assert 'data-label-tiles="https://t{s}.tianditu.gov.cn/cva_w' in html
    csp = r.headers["Content-Security-Policy"]
    assert all(f"https://t{n}.tianditu.gov.cn" in csp for n in range(8))
    with other.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "path",
    [
        "/stations/{n}",
        "/stations/map?lat=45.7&lng=126.6&page={n}",
        "/staff/stations/{n}/edit",
        "/staff/stations/{n}/deactivate",
    ],
)
@pytest.mark.parametrize("n", [str(2**31), str(2**63 - 1)])
def test_ids_beyond_the_integer_column_are_404_not_500(client, staff_world, path, n):
    """On PostgreSQL the id columns are 32-bit: a bigger (but 64-bit) id must not reach the query."""
    login_as(client, staff_world["county_staff"])
    r = client.get(path.format(n=n))
    assert 400 <= r.status_code < 500, (path, r.status_code)
    for action in ("resolve", "reveal-phone"):
        r = post_form(client, f"/staff/stations/reports/{n}/{action}", {}, token_from="/staff/stations")
        assert r.status_code == 404
