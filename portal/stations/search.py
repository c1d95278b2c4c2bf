"""The nearest stations to a point: the shared exact nearest search (``portal.core.nearest``) over
the stations' spatial index, with the finder's filters (amenities, open now).

SQLite keeps an R*Tree of station positions (``station_rtree``, kept in step by triggers); PostgreSQL
a GiST index on point(lng, lat) (migration 0007). Each candidate row carries what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.core.db import utcnow
from portal.core.hours import is_open_at, parse_open_hours
from portal.core.nearest import PlaceIndex
from portal.core.nearest import nearest as nearest_places

MAX_LIMIT = 50
DEFAULT_LIMIT = 20

_COLUMNS = "s.id, s.lat, s.lng, s.open_hours, s.name, s.address, s.amenity_mask, s.is_suspended, s.public_notice"
# The GiST index on point(lng, lat) walks only the stations in the box; a btree on (lat, lng)
# walked every station in the latitude band across the whole country.
STATIONS = PlaceIndex(
    sqlite_box=(
        f"SELECT {_COLUMNS} FROM station_rtree AS r JOIN stations AS s ON s.id = r.id "
        "WHERE r.max_lat >= :south AND r.min_lat <= :north AND r.max_lng >= :west AND r.min_lng <= :east "
        "AND s.is_active AND (s.amenity_mask & :mask) = :mask"
    ),
    postgres_box=(
        f"SELECT {_COLUMNS} FROM stations AS s "
        "WHERE point(s.lng, s.lat) <@ box(point(%(west)s, %(south)s), point(%(east)s, %(north)s)) "
        "AND s.is_active AND (s.amenity_mask & %(mask)s) = %(mask)s"
    ),
)


@dataclass(frozen=True)
class Hit:
    station_id: int
    distance_m: float
    open_now: bool
    row: tuple  # (id, lat, lng, open_hours, name, address, amenity_mask, is_suspended, public_notice)


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
    keep = (lambda row: _open(row[3], now)) if open_now else None
    found = nearest_places(STATIONS, lat, lng, limit=limit, keep=keep, radius_m=radius_m, params={"mask": mask})
    # Opening state is worked out only for the stations returned (all of them are open when the
    # caller asked for open stations only).
    return [Hit(row[0], d, True if open_now else _open(row[3], now), row) for d, row in found]
