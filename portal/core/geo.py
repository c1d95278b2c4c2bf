"""Distances on the Earth and the coordinate systems of Chinese map apps.

Every function takes and returns coordinates as ``(lat, lng)`` in degrees, in
that order, whatever order the map app's own API uses.

Three systems are in use in China:

* WGS-84: what GPS receivers, iOS location and OpenStreetMap use;
* GCJ-02 ("Mars coordinates"): the state-mandated offset used by Amap (高德),
  Tencent Maps and WeChat; inside China it differs from WGS-84 by a few hundred
  metres, outside China the offset is not applied;
* BD-09: Baidu's further offset on top of GCJ-02.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6371008.8  # mean Earth radius (IUGG)

# A box is widened by this much on every side so that points exactly on the
# circle stay inside despite floating-point rounding (about 0.1 mm).
_BOX_MARGIN_DEG = 1e-9


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two points on a sphere of radius EARTH_RADIUS_M.

    The haversine form stays accurate for short distances; the asin argument is
    clamped to 1 so that rounding near the antipode cannot raise.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distances_from(lat: float, lng: float):
    """``haversine_m`` from one fixed point, with that point's terms worked out once.

    The arithmetic is the same, step for step, so the results are identical to
    ``haversine_m(lat, lng, …)`` — the nearest-station search relies on that to rank exactly.
    """
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    phi1 = radians(lat)
    cos_phi1 = cos(phi1)
    diameter = 2 * EARTH_RADIUS_M

    def distance(lat2: float, lng2: float) -> float:
        phi2 = radians(lat2)
        h = sin((phi2 - phi1) / 2) ** 2 + cos_phi1 * cos(phi2) * sin(radians(lng2 - lng) / 2) ** 2
        return diameter * asin(min(1.0, sqrt(h)))

    return distance


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle, in degrees; west <= east (it never crosses ±180°)."""

    south: float
    north: float
    west: float
    east: float

    def contains(self, lat: float, lng: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lng <= self.east


def bounding_box(lat: float, lng: float, radius_m: float) -> Box:
    """A box holding every point within ``radius_m`` (haversine distance) of (lat, lng).

    Exact method of J. P. Matuschek, "Finding Points Within a Distance of a
    Latitude/Longitude Using Bounding Coordinates": the circle spans
    Δlat = r/R; if that reaches a pole, every longitude is inside; otherwise the
    widest longitude span is Δlng = asin(sin(r/R) / cos(lat)). A circle that
    crosses the antimeridian gets the full longitude range: a larger box is fine,
    since callers filter by the true distance afterwards.
    """
    if radius_m < 0:
        raise ValueError("radius_m must not be negative")
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    south = lat - dlat - _BOX_MARGIN_DEG
    north = lat + dlat + _BOX_MARGIN_DEG
    if south <= -90.0 or north >= 90.0:
        return Box(max(south, -90.0), min(north, 90.0), -180.0, 180.0)
    ratio = min(1.0, math.sin(angular) / math.cos(math.radians(lat)))
    dlng = math.degrees(math.asin(ratio))
    west = lng - dlng - _BOX_MARGIN_DEG
    east = lng + dlng + _BOX_MARGIN_DEG
    if west < -180.0 or east > 180.0:
        west, east = -180.0, 180.0
    return Box(south, north, west, east)


# --- WGS-84 / GCJ-02 / BD-09 ------------------------------------------------------
# The published GCJ-02 algorithm: Krasovsky 1940 ellipsoid and two fixed
# polynomial-plus-sine offsets, applied only inside a rectangle around China.

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def _out_of_china(lat: float, lng: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lat: float, lng: float) -> tuple[float, float]:
    """The GCJ-02 shift (Δlat, Δlng) in degrees at a WGS-84 point, ignoring the China test."""
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = math.radians(lat)
    magic = 1 - _KRASOVSKY_EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_KRASOVSKY_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """GPS (WGS-84) → Amap/Tencent (GCJ-02); unchanged outside China."""
    if _out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _gcj_offset(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Amap/Tencent (GCJ-02) → GPS (WGS-84), to well under 0.5 m; unchanged outside China.

    GCJ-02 has no closed-form inverse, so this refines a guess until applying the
    forward offset to it lands on the given point (the offset changes slowly, so
    a handful of steps reach 1e-10°).
    """
    if _out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(20):
        dlat, dlng = _gcj_offset(wlat, wlng)
        err_lat, err_lng = wlat + dlat - lat, wlng + dlng - lng
        wlat, wlng = wlat - err_lat, wlng - err_lng
        if abs(err_lat) < 1e-10 and abs(err_lng) < 1e-10:
            break
    return wlat, wlng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    """Amap/Tencent (GCJ-02) → Baidu (BD-09)."""
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """Baidu (BD-09) → Amap/Tencent (GCJ-02), by Baidu's published approximate inverse."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def wgs84_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    """GPS (WGS-84) → Baidu (BD-09), through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))
