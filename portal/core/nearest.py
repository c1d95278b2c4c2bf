"""The nearest places to a point — rest stations, libraries — exact, and fast at national scale.

The rule: the answer is exactly the ``limit`` places nearest to the point by great-circle distance
(ties broken by id) that pass the filters — never a place further away while a nearer one is left
out, however dense or sparse the map.

How: take the places inside a bounding box that contains the circle of radius r (an index range:
SQLite's R*Tree, PostgreSQL's GiST on point(lng, lat)), measure each with haversine and keep those
within r. Any place outside the box is further than r, so once ``limit`` places lie within r they
are the true nearest. Otherwise grow r (guided by the density seen so far) and ask again; at worst
the box is the world.

A kind of place describes its index with a ``PlaceIndex``: the box query for each database, whose
first three columns are id, lat, lng; the rest of each row is whatever its pages show, so a search
is one index query per widening of the circle and nothing after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from portal.core.geo import EARTH_RADIUS_M, Box, bounding_box, distances_from
from portal.extensions import db

HALF_CIRCUMFERENCE_M = math.pi * EARTH_RADIUS_M
FIRST_RADIUS_M = 2_000.0
# How far past the radius that the density seen so far suggests the next circle goes: larger
# wastes rows on the last round, smaller risks one more round.
GROWTH_MARGIN = 1.5


@dataclass(frozen=True)
class PlaceIndex:
    """How to read the places of one kind inside a box: SQL for SQLite (``:south`` … named
    parameters) and for PostgreSQL (``%(south)s`` …), each selecting ``id, lat, lng, …``."""

    sqlite_box: str
    postgres_box: str


def candidates(index: PlaceIndex, box: Box, params: dict | None = None) -> list[tuple]:
    # The DB-API cursor of the session's connection (same transaction): SQLAlchemy's statement
    # machinery cost more than these index lookups themselves (docs/performance.md).
    connection = db.session.connection()
    query = index.sqlite_box if connection.dialect.name == "sqlite" else index.postgres_box
    values = {"south": box.south, "north": box.north, "west": box.west, "east": box.east, **(params or {})}
    cursor = connection.connection.cursor()
    try:
        cursor.execute(query, values)
        return cursor.fetchall()
    finally:
        cursor.close()


def nearest(
    index: PlaceIndex,
    lat: float,
    lng: float,
    *,
    limit: int,
    keep: Callable[[tuple], bool] | None = None,
    radius_m: float | None = None,
    params: dict | None = None,
) -> list[tuple[float, tuple]]:
    """``(distance_m, row)`` of the ``limit`` nearest places whose rows pass ``keep`` (all when
    None), within ``radius_m`` when given; nearest first, ties by id."""
    cap = min(radius_m, HALF_CIRCUMFERENCE_M) if radius_m else HALF_CIRCUMFERENCE_M
    radius = min(FIRST_RADIUS_M, cap)
    distance_to = distances_from(lat, lng)
    while True:
        hits = []  # (distance, id, row) of the places inside the circle
        for row in candidates(index, bounding_box(lat, lng, radius), params):
            distance = distance_to(row[1], row[2])
            if distance <= radius and (keep is None or keep(row)):
                hits.append((distance, row[0], row))
        if len(hits) >= limit or radius >= cap:
            hits.sort(key=lambda h: (h[0], h[1]))
            return [(d, tuple(row)) for d, _id, row in hits[:limit]]
        # Grow the circle so that, at the density seen so far, it should hold `limit` places.
        growth = math.sqrt(limit / len(hits)) * GROWTH_MARGIN if hits else 4.0
        radius = min(cap, radius * max(2.0, growth))
