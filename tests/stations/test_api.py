"""GET /api/v1/stations/nearby: the contract, and bad parameters answered with 400 and a reason."""

import pytest

from portal.core.geo import haversine_m

URL = "/api/v1/stations/nearby"


def test_nearby_answers_the_documented_shape_nearest_first(client, add_stations):
    a, b = add_stations([(45.7100, 126.6626, ("water", "toilet"), "24h"), (45.7300, 126.6626, (), "08:00-09:00")])
    r = client.get(f"{URL}?lat=45.7077&lng=126.6626")
    assert r.status_code == 200 and r.mimetype == "application/json"
    stations = r.get_json()["stations"]
    assert [s["id"] for s in stations] == [a, b]
    first = stations[0]
    assert set(first) == {"id", "name", "address", "lat", "lng", "distance_m", "amenities", "open_now"}
    assert first["distance_m"] == round(haversine_m(45.7077, 126.6626, 45.7100, 126.6626))
    assert isinstance(first["distance_m"], int)
    assert first["amenities"] == ["water", "toilet"] and first["open_now"] is True


def test_filters_limit_and_radius(client, add_stations):
    add_stations([(45.7077 + i * 0.001, 126.6626, ("water",) if i % 2 else ()) for i in range(60)])
    assert len(client.get(f"{URL}?lat=45.7077&lng=126.6626").get_json()["stations"]) == 20
    assert len(client.get(f"{URL}?lat=45.7077&lng=126.6626&limit=500").get_json()["stations"]) == 50  # clamped
    water = client.get(f"{URL}?lat=45.7077&lng=126.6626&amenity=water&limit=50").get_json()["stations"]
    assert len(water) == 30 and all("water" in s["amenities"] for s in water)
    both = client.get(f"{URL}?lat=45.7077&lng=126.6626&amenity=water&amenity=toilet").get_json()["stations"]
    assert both == []
    near = client.get(f"{URL}?lat=45.7077&lng=126.6626&radius_m=500&limit=50").get_json()["stations"]
    assert near and all(s["distance_m"] <= 500 for s in near)
    assert client.get(f"{URL}?lat=45.7077&lng=126.6626&open_now=1").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "",  # nothing
        "lat=45.7",  # no lng
        "lat=abc&lng=126",
        "lat=nan&lng=126",
        "lat=inf&lng=126",
        "lat=91&lng=126",
        "lat=45&lng=-181",
        "lat=45&lng=126&limit=0",
        "lat=45&lng=126&limit=-3",
        "lat=45&lng=126&limit=ten",
        "lat=45&lng=126&limit=1.5",
        "lat=45&lng=126&radius_m=0",
        "lat=45&lng=126&radius_m=abc",
        "lat=45&lng=126&amenity=pool",
        "lat=45&lng=126&open_now=maybe",
    ],
)
def test_bad_parameters_are_400_with_a_reason(client, query):
    r = client.get(f"{URL}?{query}")
    assert r.status_code == 400
    assert r.mimetype == "application/json" and r.get_json()["error"]


def test_errors_speak_the_requested_language(client):
    assert (
        "必须" in client.get(f"{URL}?lat=abc&lng=1").get_json()["error"]
        or "数字" in client.get(f"{URL}?lat=abc&lng=1").get_json()["error"]
    )
    english = client.get(f"{URL}?lat=abc&lng=1", headers={"Accept-Language": "en"}).get_json()["error"]
    assert "lat" in english and "number" in english


def test_api_unknown_path_is_json_404(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]


def test_chinese_is_sent_as_utf8_not_escapes(client, add_stations):
    add_stations([(45.7100, 126.6626)])
    r = client.get(f"{URL}?lat=45.7077&lng=126.6626")
    assert "驿站0" in r.get_data(as_text=True) and "\\u" not in r.get_data(as_text=True)
