"""The finder opens on results, says what it shows, keeps far stations apart, and says when a closed
station opens again (issue 7: UX1, UX2, UX3, and the list page's query count)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.core.db import utcnow
from portal.core.hours import LOCAL_ZONE
from portal.extensions import db
from portal.stations.models import Station
from portal.unions.models import Union
from tests.helpers import login_as, page_text, selects_of, valid_id_number

XIANGFANG = (45.7077, 126.6626)
TONGHE = (45.9904, 128.7461)


@pytest.fixture
def located(app, tree):
    """Centres for 香坊区 (CA1) and 通河县 (CA2), 160 km apart, as the real union tree has them."""
    with app.app_context():
        for key, (lat, lng), region in (("county_a1", XIANGFANG, "230110"), ("county_a2", TONGHE, "230128")):
            union = db.session.get(Union, tree[key].id)
            union.lat, union.lng, union.region_code = lat, lng, region
        db.session.commit()
    return tree


@pytest.fixture
def default_region(app):
    before = app.config["STATION_DEFAULT_REGION"]
    app.config["STATION_DEFAULT_REGION"] = "CA1"
    yield "CA1"
    app.config["STATION_DEFAULT_REGION"] = before


def _names(html: str) -> list[str]:
    return re.findall(r"<h3>([^<]+)</h3>", html)


def _rename(app, ids_and_names):
    with app.app_context():
        for sid, name in ids_and_names:
            db.session.get(Station, sid).name = name
        db.session.commit()


# --- UX1: a first visit opens on results -------------------------------------------------------------


def test_a_first_visit_lists_the_stations_of_the_portals_district_at_once(
    client, located, default_region, add_stations
):
    add_stations([(45.7100, 126.6626), (45.7200, 126.6626)])
    html = page_text(client.get("/stations"))
    assert _names(html) == ["驿站0", "驿站1"]
    assert "香坊区附近" in html and '<option value="CA1" selected>' in html
    # Distances from a district's centre are not "from you": detail links carry no position.
    assert "/stations/1?lat=" not in html


def test_the_last_chosen_district_is_remembered_in_a_cookie(client, located, default_region, add_stations):
    add_stations([(45.7100, 126.6626)])  # 香坊区
    add_stations([(45.9950, 128.7400)], union="county_a2")  # 通河县
    r = client.get("/stations?region=CA2")
    assert "station_region=CA2" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    html = page_text(client.get("/stations"))
    assert "通河县附近" in html and _names(html)[0] == "驿站0" and "通河" in html


def test_a_member_starts_from_the_district_they_work_in(
    app, client, located, default_region, make_user, make_application, add_stations
):
    add_stations([(45.7100, 126.6626)])
    add_stations([(45.9950, 128.7400)], union="county_a2")
    worker = make_user(id_number=valid_id_number())
    make_application(worker, located["grassroots_a2"], work_region_code="230128")
    login_as(client, worker)
    assert "通河县附近" in page_text(client.get("/stations"))
    # A position or a district in the request still wins.
    assert "香坊区附近" in page_text(client.get("/stations?region=CA1"))


def test_the_bar_names_the_active_filters_and_the_count(client, located, add_stations):
    add_stations(
        [
            (45.7100, 126.6626, ("charging",), "24h"),
            (45.7110, 126.6626, ("charging", "water"), "24h"),
            (45.7120, 126.6626, ("water",), "24h"),
        ]
    )
    html = page_text(client.get("/stations?region=CA1&open_now=1&amenity=charging"))
    title = re.search(r'<h2 class="results-summary" id="results-title">([^<]*)</h2>', html).group(1)
    assert title == "营业中 · 手机充电 · 2个驿站"
    assert 'action="/stations#results"' in html  # without a script the reader lands on the results


# --- UX2: far stations are not passed off as near ones --------------------------------------------------


def test_stations_beyond_the_radius_are_listed_apart_as_far_ones(client, located, add_stations):
    add_stations([(45.7347, 126.6626)], union="county_a1")  # 3.0 km from 香坊区's centre
    add_stations([(45.9950, 128.7400)], union="county_a2")  # ~161 km
    html = page_text(client.get("/stations?region=CA1"))
    near, far = html.split("较远的驿站", 1)
    assert "3.0公里" in near and "16" not in near.split("3.0公里")[1]
    assert re.search(r"16\d公里", far) and "30公里以内没有更多符合条件的驿站" in far
    assert "1个驿站" in near


def test_keyword_results_show_distances_when_the_position_is_known(client, located, add_stations):
    add_stations([(45.7100, 126.6626), (45.7300, 126.6626)])
    html = page_text(client.get("/stations?q=测试路&lat=45.7077&lng=126.6626"))
    assert "256米" in html and "2.5公里" in html
    assert _names(html) == ["驿站0", "驿站1"]


# --- UX3: 休息中 with the next opening; 暂停开放 only when staff closed it ---------------------------------


def _hours_opening_in(hours: int) -> tuple[str, str, int]:
    """Opening hours whose next opening is ``hours`` from now: (hours text, HH:MM, days from today)."""
    now = utcnow().astimezone(LOCAL_ZONE)
    opens = (now + timedelta(hours=hours)).replace(second=0, microsecond=0)
    closes = opens + timedelta(minutes=30)
    text = f"{opens:%H:%M}-{closes:%H:%M}"
    return text, f"{opens:%H:%M}", (opens.date() - now.date()).days


def test_a_station_outside_its_hours_is_resting_and_says_when_it_opens(client, add_stations):
    text, clock, days = _hours_opening_in(2)
    (sid,) = add_stations([(45.7100, 126.6626, (), text)])
    expected = f"{'今天' if days == 0 else '明天'} {clock} 开放"
    for html in (
        page_text(client.get("/stations?lat=45.7077&lng=126.6626")),
        page_text(client.get(f"/stations/{sid}")),
    ):
        assert "休息中" in html and expected in html
        assert "已关闭" not in html and "暂停开放" not in html


def test_a_station_closed_for_days_names_the_weekday_it_opens(client, add_stations):
    now = utcnow().astimezone(LOCAL_ZONE)
    day = (now + timedelta(days=3)).weekday()
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    (sid,) = add_stations([(45.7100, 126.6626, (), f"{names[day]} 08:00-09:00")])
    html = page_text(client.get(f"/stations/{sid}"))
    assert f"{'一二三四五六日'[day].join(['周', ''])} 08:00 开放" in html and "休息中" in html


# --- The list page does not query per station ------------------------------------------------------------


_selects = selects_of


def test_the_list_page_makes_the_same_few_queries_for_5_or_20_stations(app, client, located, add_stations, make_user):
    add_stations([(45.70 + i / 1000, 126.66, ("water", "charging"), "08:00-20:00") for i in range(5)])
    few = _selects(app, client, "/stations?region=CA1")
    add_stations([(45.71 + i / 1000, 126.66, ("water", "toilet"), "Mon-Fri 08:30-17:30") for i in range(45)])
    many = _selects(app, client, "/stations?region=CA1")
    assert len(page_text(client.get("/stations?region=CA1")).split('class="station-item"')) == 21

    # The nearest search itself asks the spatial index once per widening of its circle (search.py,
    # and its own tests); everything else is a fixed handful of queries.
    def page_queries(statements):
        return [s for s in statements if "AS s" not in s]

    assert len(page_queries(many)) == len(page_queries(few)) <= 5, page_queries(many)
    login_as(client, make_user())
    assert len(page_queries(_selects(app, client, "/stations?region=CA1"))) <= 8


def test_more_stations_come_in_pages_of_20_up_to_the_50_nearest(client, located, add_stations):
    add_stations([(45.7077 + i / 2000, 126.6626) for i in range(55)])
    first = page_text(client.get("/stations?region=CA1"))
    assert _names(first) == [f"驿站{i}" for i in range(20)] and "page=2#results" in first
    second = page_text(client.get("/stations?region=CA1&page=2"))
    assert _names(second) == [f"驿站{i}" for i in range(20, 40)] and "第21至40个驿站" in second
    third = page_text(client.get("/stations?region=CA1&page=3"))
    assert _names(third) == [f"驿站{i}" for i in range(40, 50)] and "page=4" not in third
    for page in ("4", "²", "0", "x"):
        r = client.get(f"/stations?region=CA1&page={page}")
        assert 400 <= r.status_code < 500 and "page" in page_text(r)
