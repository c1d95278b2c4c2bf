import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.core.geo import (
    EARTH_RADIUS_M,
    bd09_to_gcj02,
    bounding_box,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

HALF_CIRCUMFERENCE_M = math.pi * EARTH_RADIUS_M
DEG = 1e-6  # required agreement with published values, in degrees


def destination(lat: float, lng: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """Direct geodesic problem on the sphere: where you arrive walking a great circle.

    Worked with unit vectors (rotate the start towards the bearing by the angle
    travelled) so that it stays exact next to the poles, where asin(sin φ) would not.
    """
    phi, lmb = math.radians(lat), math.radians(lng)
    theta, delta = math.radians(bearing_deg), distance_m / EARTH_RADIUS_M
    start = (math.cos(phi) * math.cos(lmb), math.cos(phi) * math.sin(lmb), math.sin(phi))
    north = (-math.sin(phi) * math.cos(lmb), -math.sin(phi) * math.sin(lmb), math.cos(phi))
    east = (-math.sin(lmb), math.cos(lmb), 0.0)
    x, y, z = (
        math.cos(delta) * p + math.sin(delta) * (math.cos(theta) * n + math.sin(theta) * e)
        for p, n, e in zip(start, north, east, strict=True)
    )
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


# --- haversine --------------------------------------------------------------------------


def test_haversine_known_distances():
    one_degree = EARTH_RADIUS_M * math.pi / 180
    assert haversine_m(0, 0, 1, 0) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0, 0, 0, 1) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0, 0, 90, 0) == pytest.approx(HALF_CIRCUMFERENCE_M / 2, rel=1e-12)
    assert haversine_m(0, 0, 0, 180) == pytest.approx(HALF_CIRCUMFERENCE_M, rel=1e-12)
    assert haversine_m(90, 0, -90, 0) == pytest.approx(HALF_CIRCUMFERENCE_M, rel=1e-12)
    assert haversine_m(39.9, 116.4, 39.9, 116.4) == 0.0
    # Across the antimeridian the short way round.
    assert haversine_m(0, 179.5, 0, -179.5) == pytest.approx(one_degree, rel=1e-9)


def test_haversine_is_symmetric_and_accurate_for_short_hops():
    a, b = (39.9042, 116.4074), (39.9042, 116.4075)  # 0.0001° of longitude in Beijing
    expected = EARTH_RADIUS_M * math.radians(0.0001) * math.cos(math.radians(39.9042))
    assert haversine_m(*a, *b) == pytest.approx(expected, rel=1e-6)
    assert haversine_m(*a, *b) == haversine_m(*b, *a)


def test_haversine_never_raises_near_the_antipode():
    assert haversine_m(45, 10, -45, -170 + 1e-13) == pytest.approx(HALF_CIRCUMFERENCE_M, rel=1e-9)


# --- bounding box ---------------------------------------------------------------------

latitudes = st.one_of(
    st.floats(-90, 90),
    st.sampled_from([90.0, -90.0, 89.999999, -89.999999, 0.0]),
    st.floats(89, 90),
    st.floats(-90, -89),
)
longitudes = st.one_of(
    st.floats(-180, 180),
    st.sampled_from([180.0, -180.0, 179.999999, -179.999999, 0.0]),
    st.floats(179, 180),
    st.floats(-180, -179),
)
radii = st.one_of(
    st.floats(0, 10),
    st.floats(0, 50_000),
    st.floats(0, HALF_CIRCUMFERENCE_M),
    st.just(HALF_CIRCUMFERENCE_M),
)


@settings(max_examples=1500, deadline=None)
@given(
    lat=latitudes,
    lng=longitudes,
    radius=radii,
    bearing=st.floats(0, 360),
    fraction=st.one_of(st.floats(0, 1), st.just(1.0)),
)
@example(lat=45.0, lng=179.99, radius=5_000.0, bearing=90.0, fraction=1.0)
@example(lat=-60.0, lng=-179.999, radius=100_000.0, bearing=270.0, fraction=1.0)
@example(lat=89.99, lng=0.0, radius=2_000.0, bearing=0.0, fraction=1.0)
@example(lat=0.0, lng=0.0, radius=HALF_CIRCUMFERENCE_M, bearing=123.0, fraction=1.0)
@example(lat=30.0, lng=120.0, radius=0.0, bearing=0.0, fraction=1.0)
def test_every_point_within_the_radius_is_inside_the_box(lat, lng, radius, bearing, fraction):
    box = bounding_box(lat, lng, radius)
    point = destination(lat, lng, bearing, radius * fraction)
    assert box.contains(*point), (box, point)


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(-80, 80), lng=longitudes, radius=st.floats(0, 2_000_000), bearing=st.floats(0, 360))
def test_the_test_walk_really_ends_at_that_distance(lat, lng, radius, bearing):
    point = destination(lat, lng, bearing, radius)
    assert haversine_m(lat, lng, *point) == pytest.approx(radius, abs=1e-3)


def test_box_is_tight_for_a_nearby_search():
    lat, lng, r = 45.0, 120.0, 1_000.0
    box = bounding_box(lat, lng, r)
    analytic_dlat = math.degrees(r / EARTH_RADIUS_M)
    analytic_dlng = analytic_dlat / math.cos(math.radians(lat))
    assert box.north - box.south == pytest.approx(2 * analytic_dlat, rel=0.01)
    assert box.east - box.west == pytest.approx(2 * analytic_dlng, rel=0.01)
    # The circle touches each edge of the box.
    assert destination(lat, lng, 0, r)[0] == pytest.approx(box.north, abs=1e-8)
    assert destination(lat, lng, 180, r)[0] == pytest.approx(box.south, abs=1e-8)
    widest = max(destination(lat, lng, b / 10, r)[1] for b in range(0, 1800))
    assert widest == pytest.approx(box.east, abs=1e-8)


def test_box_near_a_pole_spans_all_longitudes():
    box = bounding_box(89.995, 30.0, 1_000.0)
    assert (box.west, box.east, box.north) == (-180.0, 180.0, 90.0)
    assert box.south == pytest.approx(89.995 - math.degrees(1_000 / EARTH_RADIUS_M), abs=1e-8)
    south_pole = bounding_box(-89.995, 30.0, 1_000.0)
    assert (south_pole.west, south_pole.east, south_pole.south) == (-180.0, 180.0, -90.0)


def test_box_across_the_antimeridian_spans_all_longitudes():
    box = bounding_box(0.0, 179.999, 1_000.0)
    assert (box.west, box.east) == (-180.0, 180.0)
    assert box.contains(0.0, -179.995)


def test_box_refuses_a_negative_radius():
    with pytest.raises(ValueError):
        bounding_box(0, 0, -1)


# --- Chinese map coordinate systems ----------------------------------------------------

# googollee/eviltransform, python/test.py (same table in go/transform_test.go,
# javascript/test.js, c/test.c): wgsLat, wgsLng, gcjLat, gcjLng.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # beijing
]

# Glatzel/pyxis, python/tests/test_crypto.py, given there as (lon, lat).
PYXIS_WGS84 = (30.6107779, 121.0917077)
PYXIS_GCJ02 = (30.608604331756705, 121.09626935575027)
PYXIS_BD09 = (30.61484572185035, 121.10271732371203)


def close(got, expected, tol=DEG):
    return abs(got[0] - expected[0]) < tol and abs(got[1] - expected[1]) < tol


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    assert close(wgs84_to_gcj02(wgs_lat, wgs_lng), (gcj_lat, gcj_lng))


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM)
def test_gcj02_to_wgs84_matches_eviltransform_within_half_a_metre(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    # eviltransform's own bound for its exact inverse (gcj2wgs_exact): < 0.5 m.
    lat, lng = gcj02_to_wgs84(gcj_lat, gcj_lng)
    assert close((lat, lng), (wgs_lat, wgs_lng))
    assert haversine_m(lat, lng, wgs_lat, wgs_lng) < 0.5


def test_wandergis_readme_examples():
    # wandergis/coordtransform, README.md: every function applied to (lng 116.404, lat 39.915).
    assert close(bd09_to_gcj02(39.915, 116.404), (39.90865673957631, 116.39762729119315))
    assert close(gcj02_to_bd09(39.915, 116.404), (39.92133699351021, 116.41036949371029))
    assert close(wgs84_to_gcj02(39.915, 116.404), (39.91640428150164, 116.41024449916938))
    # The README's gcj02towgs84 is the one-step approximation (documented as 1–2 m off);
    # ours iterates, so it must only land within a couple of metres of it.
    lat, lng = gcj02_to_wgs84(39.915, 116.404)
    assert haversine_m(lat, lng, 39.91359571849836, 116.39775550083061) < 2.0


def test_pyxis_examples():
    assert close(wgs84_to_gcj02(*PYXIS_WGS84), PYXIS_GCJ02)
    assert close(wgs84_to_bd09(*PYXIS_WGS84), PYXIS_BD09)
    assert close(gcj02_to_bd09(*PYXIS_GCJ02), PYXIS_BD09)
    assert close(bd09_to_gcj02(*PYXIS_BD09), PYXIS_GCJ02)
    assert close(gcj02_to_wgs84(*PYXIS_GCJ02), PYXIS_WGS84)


in_china = st.tuples(st.floats(18.0, 53.0), st.floats(74.0, 134.0))


@settings(max_examples=300, deadline=None)
@given(in_china)
def test_wgs_gcj_round_trip_is_within_half_a_metre(point):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert haversine_m(*point, *back) < 0.5


@settings(max_examples=300, deadline=None)
@given(in_china)
def test_gcj_really_moves_points_inside_china(point):
    shifted = wgs84_to_gcj02(*point)
    assert 1.0 < haversine_m(*point, *shifted) < 1_500.0


@settings(max_examples=300, deadline=None)
@given(in_china)
def test_bd_gcj_round_trip_is_within_half_a_metre(point):
    # bd09_to_gcj02 is Baidu's closed-form approximate inverse: about 0.2 m at worst in China.
    back = bd09_to_gcj02(*gcj02_to_bd09(*point))
    assert haversine_m(*point, *back) < 0.5


@pytest.mark.parametrize(
    "lat, lng",
    [
        (51.5074, -0.1278),  # London
        (35.6762, 139.6503),  # Tokyo, east of 137.8347°
        (-33.8688, 151.2093),  # Sydney
        (0.5, 100.0),  # south of 0.8293°N
        (56.0, 100.0),  # north of 55.8271°N
        (30.0, 72.0),  # west of 72.004°E
    ],
)
def test_gcj_offset_is_not_applied_outside_china(lat, lng):
    assert wgs84_to_gcj02(lat, lng) == (lat, lng)
    assert gcj02_to_wgs84(lat, lng) == (lat, lng)


@settings(max_examples=300)
@given(a=st.tuples(st.floats(-90, 90), st.floats(-180, 180)), b=st.tuples(st.floats(-90, 90), st.floats(-180, 180)))
def test_distances_from_is_bitwise_haversine(a, b):
    from portal.core.geo import distances_from

    assert distances_from(*a)(*b) == haversine_m(*a, *b)
