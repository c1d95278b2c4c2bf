"""The nearest stations to a point: exact, and fast at national scale.

The rule: the answer is exactly the ``limit`` stations nearest to the point by
great-circle distance (ties broken by id) that pass the filters — never a station
further away while a nearer one is left out, however dense or sparse the map.

How: take the stations inside a bounding box that contains the circle of radius r
(an index range: SQLite's R*Tree, PostgreSQL's btree on lat/lng), measure each with
haversine and keep those within r. Any station outside the box is further than r,
so once ``limit`` stations lie within r they are the true nearest. Otherwise grow r
(guided by the density seen so far) and ask again; at worst the box is the world.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from portal.core.db import utcnow
from portal.core.geo import EARTH_RADIUS_M, bounding_box, haversine_m
from portal.extensions import db
from portal.stations.hours import is_open_at, parse_open_hours

MAX_LIMIT = 50
DEFAULT_LIMIT = 20
HALF_CIRCUMFERENCE_M = math.pi * EARTH_RADIUS_M
FIRST_RADIUS_M = 2_000.0

_SQLITE = text(
    "SELECT s.id, s.lat, s.lng, s.open_hours FROM station_rtree AS r JOIN stations AS s ON s.id = r.id "
    "WHERE r.max_lat >= :south AND r.min_lat <= :north AND r.max_lng >= :west AND r.min_lng <= :east "
    "AND s.is_active AND (s.amenity_mask & :mask) = :mask"
)
_PORTABLE = text(
    "SELECT id, lat, lng, open_hours FROM stations "
    "WHERE lat BETWEEN :south AND :north AND lng BETWEEN :west AND :east "
    "AND is_active AND (amenity_mask & :mask) = :mask"
)


@dataclass(frozen=True)
class Hit:
    station_id: int
    distance_m: float
    open_now: bool


def _candidates(box, mask: int):
    query = _SQLITE if db.session.get_bind().dialect.name == "sqlite" else _PORTABLE
    params = {"south": box.south, "north": box.north, "west": box.west, "east": box.east, "mask": mask}
    return db.session.execute(query, params).all()


def _open(open_hours: str, now: datetime) -> bool:
    try:
        return is_open_at(parse_open_hours(open_hours), now)
    except ValueError:  # stored hours are validated on the way in; never fail a search on one
        return False


def nearest(
    lat: float,
    lng: float,
    *,
    limit: int = DEFAULT_LIMIT,
    mask: int = 0,
    open_now: bool = False,
    radius_m: float | None = None,
    now: datetime | None = None,
) -> list[Hit]:
    """The ``limit`` nearest active stations that have every amenity in ``mask``
    (and are open at ``now`` when ``open_now``), within ``radius_m`` when given."""
    now = now or utcnow()
    limit = max(1, min(int(limit), MAX_LIMIT))
    cap = min(radius_m, HALF_CIRCUMFERENCE_M) if radius_m else HALF_CIRCUMFERENCE_M
    radius = min(FIRST_RADIUS_M, cap)
    while True:
        hits = []
        for station_id, s_lat, s_lng, hours in _candidates(bounding_box(lat, lng, radius), mask):
            distance = haversine_m(lat, lng, s_lat, s_lng)
            if distance <= radius:
                is_open = _open(hours, now)
                if is_open or not open_now:
                    hits.append(Hit(station_id, distance, is_open))
        if len(hits) >= limit or radius >= cap:
            hits.sort(key=lambda h: (h.distance_m, h.station_id))
            return hits[:limit]
        # Grow the circle so that, at the density seen so far, it should hold `limit` stations.
        growth = math.sqrt(limit / len(hits)) * 1.5 if hits else 4.0
        radius = min(cap, radius * max(2.0, growth))
