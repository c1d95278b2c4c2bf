"""Links that open a place (a rest station, a library) in the map apps people in China use."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from portal.core.geo import wgs84_to_bd09, wgs84_to_gcj02
from portal.core.i18n import lazy_gettext as _l

NAV_SOURCE = "gonghui.portal"  # the "src"/"referer" the map apps ask callers to name themselves with


@dataclass(frozen=True)
class NavLink:
    app: str  # "amap", "baidu", "tencent"
    label: object
    url: str
    lat: float  # the coordinates in the app's own datum, as put in the URL
    lng: float


def navigation_links(station) -> list[NavLink]:
    """Links that open 高德地图 / 百度地图 / 腾讯地图 at a place (anything with name, address, lat and lng).

    Stored coordinates are WGS-84; AMap and Tencent draw in GCJ-02, Baidu in BD-09,
    so each link carries the coordinates converted for its app (documented URI APIs:
    uri.amap.com/marker, api.map.baidu.com/marker, apis.map.qq.com/uri/v1/marker).
    """
    name, address = quote(station.name), quote(station.address)
    g_lat, g_lng = wgs84_to_gcj02(station.lat, station.lng)
    b_lat, b_lng = wgs84_to_bd09(station.lat, station.lng)
    return [
        NavLink(
            "amap",
            _l("AMap (Gaode)"),
            f"https://uri.amap.com/marker?position={g_lng:.6f},{g_lat:.6f}&name={name}&src={NAV_SOURCE}"
            "&coordinate=gaode&callnative=1",
            g_lat,
            g_lng,
        ),
        NavLink(
            "baidu",
            _l("Baidu Maps"),
            f"https://api.map.baidu.com/marker?location={b_lat:.6f},{b_lng:.6f}&title={name}&content={address}"
            f"&output=html&coord_type=bd09ll&src={NAV_SOURCE}",
            b_lat,
            b_lng,
        ),
        NavLink(
            "tencent",
            _l("Tencent Maps"),
            f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{g_lat:.6f},{g_lng:.6f};title:{name};"
            f"addr:{address}&referer={NAV_SOURCE}",
            g_lat,
            g_lng,
        ),
    ]
