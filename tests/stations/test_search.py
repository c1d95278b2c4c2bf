"""The nearest-station search is exact: it returns precisely what a brute-force scan would."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.core.geo import haversine_m
from portal.core.hours import is_open_at, parse_open_hours
from portal.core.nearest import FIRST_RADIUS_M
from portal.extensions import db
from portal.stations import search
from portal.stations.models import AMENITIES, Station, amenity_mask

HARBIN = (45.7077, 126.6626)


def brute_force(lat, lng, *, limit=20, mask=0, open_now=False, radius=None, now=None):
    rows = db.session.execute(
        select(Station.id, Station.lat, Station.lng, Station.amenity_mask, Station.open_hours).where(
            Station.is_active.is_(True)
        )
    ).all()
    hits = []
    for sid, s_lat, s_lng, s_mask, hours in rows:
        if s_mask & mask != mask:
            continue
        if open_now and not is_open_at(parse_open_hours(hours), now):
            continue
        d = haversine_m(lat, lng, s_lat, s_lng)
        if radius is None or d <= radius:
            hits.append((d, sid))
    hits.sort()
    return [sid for _, sid in hits[:limit]]


def nearest_ids(lat, lng, **kw):
    return [h.station_id for h in search.nearest(lat, lng, **kw)]


def test_nearest_first_with_metre_distances(app, add_stations):
    near, far, middle = add_stations([(45.7100, 126.6626), (45.8000, 126.6626), (45.7300, 126.6626)])
    with app.app_context():
        hits = search.nearest(*HARBIN, limit=3)
        assert [h.station_id for h in hits] == [near, middle, far]
        assert round(hits[0].distance_m) == round(haversine_m(*HARBIN, 45.7100, 126.6626))
        assert 250 < hits[0].distance_m < 260


def test_a_point_far_from_every_station_still_finds_the_nearest(app, add_stations):
    add_stations([(45.7 + i * 0.01, 126.6) for i in range(5)])
    with app.app_context():
        for lat, lng in [(0.0, 0.0), (-45.0, -170.0), (89.9, 179.9), (-89.9, -179.9)]:
            assert nearest_ids(lat, lng, limit=3) == brute_force(lat, lng, limit=3)


def test_equal_distances_are_ordered_by_id(app, add_stations):
    d = 0.01
    ids = add_stations(
        [(HARBIN[0] + d, HARBIN[1]), (HARBIN[0] - d, HARBIN[1]), (HARBIN[0] + d, HARBIN[1]), (HARBIN[0] - d, HARBIN[1])]
    )
    with app.app_context():
        assert nearest_ids(*HARBIN, limit=4) == brute_force(*HARBIN, limit=4)
        assert nearest_ids(*HARBIN, limit=2) == brute_force(*HARBIN, limit=2)
        assert set(ids) == set(nearest_ids(*HARBIN, limit=4))


def test_amenity_filter_needs_every_amenity(app, add_stations):
    both, water_only, _ = add_stations(
        [
            (45.72, 126.66, ("water", "charging")),
            (45.7078, 126.6626, ("water",)),
            (45.7079, 126.6626, ()),
        ]
    )
    with app.app_context():
        assert nearest_ids(*HARBIN, mask=amenity_mask(["water", "charging"])) == [both]
        assert nearest_ids(*HARBIN, mask=amenity_mask(["water"])) == [water_only, both]


def test_radius_limits_the_answer(app, add_stations):
    inside, _outside = add_stations([(45.7100, 126.6626), (45.7300, 126.6626)])
    with app.app_context():
        assert nearest_ids(*HARBIN, radius_m=1_000) == [inside]
        assert nearest_ids(*HARBIN, radius_m=10) == []


def test_open_now_uses_shanghai_time(app, add_stations):
    day, night, always = add_stations(
        [
            (45.7080, 126.6626, (), "08:00-20:00"),
            (45.7090, 126.6626, (), "20:00-08:00"),
            (45.7200, 126.6626, (), "24h"),
        ]
    )
    noon_shanghai = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    midnight_shanghai = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    with app.app_context():
        assert nearest_ids(*HARBIN, open_now=True, now=noon_shanghai) == [day, always]
        assert nearest_ids(*HARBIN, open_now=True, now=midnight_shanghai) == [night, always]


def test_inactive_stations_are_never_found(app, add_stations):
    hidden, shown = add_stations([(45.7078, 126.6626), (45.72, 126.66)])
    with app.app_context():
        db.session.get(Station, hidden).is_active = False
        db.session.commit()
        assert nearest_ids(*HARBIN) == [shown]


def test_limit_is_between_1_and_50(app, add_stations):
    add_stations([(45.70 + i * 0.001, 126.66) for i in range(60)])
    with app.app_context():
        assert len(nearest_ids(*HARBIN, limit=500)) == 50
        assert len(nearest_ids(*HARBIN, limit=0)) == 1


# --- Exactness against brute force on random maps -------------------------------------------------------

# Coordinates as the app stores them: 7 decimals (services round typed and imported ones).
coordinate = st.tuples(
    st.floats(-85, 85).map(lambda v: round(v, 7)), st.floats(-179.9, 179.9).map(lambda v: round(v, 7))
)
cluster = st.builds(
    lambda centre, offsets: [
        (round(min(89.0, max(-89.0, centre[0] + a)), 7), round(min(179.99, max(-179.99, centre[1] + b)), 7))
        for a, b in offsets
    ],
    coordinate,
    st.lists(st.tuples(st.floats(-0.02, 0.02), st.floats(-0.02, 0.02)), min_size=1, max_size=25),
)
stations_strategy = st.lists(
    st.one_of(coordinate.map(lambda p: [p]), cluster),
    min_size=1,
    max_size=6,
).map(lambda groups: [p for g in groups for p in g])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=stations_strategy,
    query=st.one_of(coordinate, st.just(HARBIN)),
    limit=st.integers(1, 50),
    wanted=st.sets(st.sampled_from(AMENITIES[:3]), max_size=2),
    radius=st.one_of(st.none(), st.floats(10, 3_000_000)),
    amenity_sets=st.lists(st.sets(st.sampled_from(AMENITIES[:3])), min_size=1, max_size=5),
)
def test_search_equals_brute_force_on_random_maps(
    app, add_stations, points, query, limit, wanted, radius, amenity_sets
):
    rows = [(lat, lng, tuple(amenity_sets[i % len(amenity_sets)])) for i, (lat, lng) in enumerate(points)]
    add_stations(rows, replace=True)
    mask = amenity_mask(wanted)
    with app.app_context():
        got = search.nearest(*query, limit=limit, mask=mask, radius_m=radius)
        expected = brute_force(*query, limit=limit, mask=mask, radius=radius)
        assert [h.station_id for h in got] == expected
        for hit in got:
            assert math.isclose(hit.distance_m, haversine_m(*query, *_position(hit.station_id)), abs_tol=1e-6)


def _position(station_id):
    station = db.session.get(Station, station_id)
    return station.lat, station.lng


@pytest.mark.parametrize("lat, lng", [(45.7077, 126.6626), (45.75, 126.63), (46.0, 128.75)])
def test_dense_cluster_with_limit_larger_than_the_cluster(app, add_stations, lat, lng):
    # 30 stations within 50 m, 30 more spread over 200 km: the answer must cross from one to the other.
    import random

    rng = random.Random(7)
    points = [(lat + rng.uniform(-0.0004, 0.0004), lng + rng.uniform(-0.0004, 0.0004)) for _ in range(30)]
    points += [(lat + rng.uniform(-1, 1), lng + rng.uniform(-1, 1)) for _ in range(30)]
    add_stations(points)
    with app.app_context():
        for limit in (5, 30, 31, 45, 50):
            assert nearest_ids(lat, lng, limit=limit) == brute_force(lat, lng, limit=limit)


def _destination(lat, lng, bearing_deg, distance_m):
    """The point at ``distance_m`` along ``bearing_deg`` (spherical direct formula)."""
    r = 6371008.8
    phi, lam, theta, delta = math.radians(lat), math.radians(lng), math.radians(bearing_deg), distance_m / r
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lam2)


@pytest.mark.parametrize("first_radius", [FIRST_RADIUS_M])
def test_a_station_in_the_corner_of_the_box_does_not_beat_a_nearer_one_outside_it(app, add_stations, first_radius):
    """The box around the first search circle has corners √2 further out than its sides: a station
    there is inside the box but further than one just beyond the box's northern edge."""
    corner = _destination(*HARBIN, 45, first_radius * 1.35)
    north = _destination(*HARBIN, 0, first_radius * 1.2)
    corner_id, north_id = add_stations([corner, north])
    with app.app_context():
        assert nearest_ids(*HARBIN, limit=1) == [north_id]
        assert nearest_ids(*HARBIN, limit=2) == [north_id, corner_id]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.one_of(coordinate, st.just(HARBIN)),
    ring=st.lists(st.tuples(st.floats(0, 360), st.floats(100, 50_000)), min_size=1, max_size=40),
    limit=st.integers(1, 20),
)
def test_search_equals_brute_force_for_stations_all_around_the_query(app, add_stations, query, ring, limit):
    """Stations at every bearing and at distances across several growth steps of the search circle."""
    points = [_destination(*query, bearing, distance) for bearing, distance in ring]
    points = [(lat, ((lng + 180) % 360) - 180) for lat, lng in points]
    add_stations(points, replace=True)
    with app.app_context():
        assert nearest_ids(*query, limit=limit) == brute_force(*query, limit=limit)


def test_the_box_query_uses_the_spatial_index(ctx):
    """SQLite walks its R*Tree, PostgreSQL its GiST index on point(lng, lat) — never every station."""
    params = {"south": 45.6, "north": 45.8, "west": 126.5, "east": 126.8, "mask": 0}
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = connection.exec_driver_sql("EXPLAIN " + search.STATIONS.postgres_box, params).scalars().all()
        assert any("ix_stations_position" in line for line in plan), plan
    else:
        sql = search.STATIONS.sqlite_box
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
        assert plan[0].startswith("SCAN r VIRTUAL TABLE INDEX") and "USING INTEGER PRIMARY KEY" in plan[1], plan
    db.session.rollback()
