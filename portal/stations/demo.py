"""Demo rest stations around Harbin's districts and Tonghe county, so the demo rider finds some nearby.

Positions are scattered (deterministically) around each district's centre; names follow the
kinds of places that run stations in China: street 职工驿站, banks' 劳动者港湾, post offices,
petrol stations, community centres.
"""

from __future__ import annotations

import math
import random

from sqlalchemy import func, select

from portal.extensions import db
from portal.stations import services
from portal.stations.models import Station
from portal.unions import services as unions

# district union code → (streets, number of stations)
DISTRICTS = {
    "230110": (["通天街", "和平路", "香坊大街", "红旗大街", "哈平路", "大庆路", "进乡街", "新成街"], 14),
    "230102": (["中央大街", "经纬街", "安静街", "友谊路", "新阳路", "尚志大街"], 8),
    "230103": (["西大直街", "果戈里大街", "学府路", "红军街", "和兴路"], 8),
    "230104": (["靖宇街", "南勋街", "太古街", "北十四道街"], 5),
    "230108": (["友协大街", "新疆大街"], 3),
    "230109": (["世茂大道", "创新路", "中源大道"], 3),
    "230128": (["中央街", "新华路", "祥顺路", "凤山路"], 6),
}
HOSTS = [
    ("{street}街道职工驿站", ["water", "microwave", "charging", "toilet", "rest", "aircon", "books"]),
    ("建设银行{street}支行劳动者港湾", ["water", "charging", "toilet", "rest", "aircon", "wifi", "first_aid"]),
    ("工商银行{street}支行工行驿站", ["water", "charging", "rest", "aircon", "wifi"]),
    ("中国邮政{street}营业所户外劳动者服务站", ["water", "charging", "rest"]),
    ("中石化{street}加油站爱心驿站", ["water", "microwave", "charging", "toilet", "rest", "ebike_charging"]),
    ("{street}社区服务中心户外劳动者之家", ["water", "microwave", "charging", "toilet", "rest", "first_aid", "books"]),
    ("{street}快递外卖骑手暖心驿站", ["water", "microwave", "charging", "toilet", "rest", "ebike_charging", "wifi"]),
]
HOURS = [
    "24h",
    "08:00-20:00",
    "07:00-22:00",
    "Mon-Fri 08:30-17:30",
    "Mon-Sat 08:00-18:00; Sun 09:00-16:00",
    "06:00-23:00",
    "20:00-08:00",
    "09:00-21:00",
]


def _offset(lat: float, lng: float, rng: random.Random) -> tuple[float, float]:
    """A point 200 m – 4 km from the centre, in a random direction."""
    distance = rng.uniform(200, 4000)
    bearing = rng.uniform(0, 2 * math.pi)
    d_lat = distance * math.cos(bearing) / 111_320
    d_lng = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + d_lat, 6), round(lng + d_lng, 6)


def seed() -> None:
    if db.session.scalar(select(func.count(Station.id))):
        return  # stations exist (demo or real): leave them alone
    rng = random.Random(2026)
    for code, (streets, count) in DISTRICTS.items():
        district = unions.find_by_code(code)
        if district is None or district.lat is None:
            continue
        district_name = district.name.removesuffix("总工会")
        for i in range(count):
            street = streets[i % len(streets)]
            template, amenities = HOSTS[(i + len(code)) % len(HOSTS)]
            lat, lng = _offset(district.lat, district.lng, rng)
            services.create_station(
                None,
                {
                    "name": template.format(street=street),
                    "address": f"黑龙江省哈尔滨市{district_name}{street}{rng.randint(1, 300)}号",
                    "lat": lat,
                    "lng": lng,
                    "amenities": [a for a in amenities if rng.random() > 0.15],
                    "open_hours": HOURS[rng.randrange(len(HOURS))],
                    "phone": f"0451-{rng.randint(8200_0000, 8899_9999)}",
                    "union_code": code,
                },
            )
    db.session.flush()
