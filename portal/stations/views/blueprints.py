"""The two station blueprints — the worker's finder (``stations``) and the staff's pages
(``stations_staff``) — and what both sides' pages share."""

from __future__ import annotations

from flask import Blueprint, current_app

from portal.core.scope import require_role
from portal.core.validators import decimal_or_none

bp = Blueprint("stations", __name__)
staff_bp = Blueprint("stations_staff", __name__, url_prefix="/staff/stations")
staff_only = require_role("staff", "admin")


def parse_point(lat_raw, lng_raw) -> tuple[float, float] | None:
    """A position from the query; anything but ASCII decimals in range (float() would take "١٢",
    "nan" or "1e308") is no position at all."""
    lat = decimal_or_none(lat_raw, low=-90, high=90)
    lng = decimal_or_none(lng_raw, low=-180, high=180)
    return None if lat is None or lng is None else (lat, lng)


def map_config() -> dict:
    """The map's tile settings, for the finder's map and the staff form's pin picker."""
    return {
        "tiles": current_app.config.get("STATION_MAP_TILES") or "",
        "label_tiles": current_app.config.get("STATION_MAP_LABEL_TILES") or "",
        "tile_crs": current_app.config.get("STATION_MAP_TILE_CRS", "wgs84"),
        "tile_subdomains": current_app.config.get("STATION_MAP_TILE_SUBDOMAINS", "abc"),
        "attribution": current_app.config.get("STATION_MAP_ATTRIBUTION") or "",
    }
