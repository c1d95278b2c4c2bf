"""Demo union tree: Heilongjiang, its 13 prefecture-level divisions and their counties.

Administrative divisions and centre coordinates come from ``data/heilongjiang_adcodes.csv``,
extracted from the MIT-licensed ``cpca`` package (see ``data/LICENSE-cpca.txt``) and corrected
where a division has changed status since (``RENAMED``). Grassroots unions are invented for the demo.
"""

from __future__ import annotations

import csv
from pathlib import Path

from portal.unions import services
from portal.unions.models import Union

DATA = Path(__file__).parent / "data" / "heilongjiang_adcodes.csv"

ROOT = {"code": "ACFTU", "name": "中华全国总工会", "lat": 39.9042, "lng": 116.4074}

# (code, name, parent county/city code, kind, serves, lat, lng)
GRASSROOTS = [
    (
        "230110-001",
        "哈尔滨市香坊区快递外卖配送行业工会联合会",
        "230110",
        "industry_federation",
        "delivery_rider,courier",
        45.7122,
        126.6681,
    ),
    ("230110-002", "香坊区通天街道社区工会联合会", "230110", "community_federation", None, 45.7351, 126.6745),
    ("230110-003", "哈尔滨松江机械制造有限公司工会", "230110", "enterprise", None, 45.6968, 126.6893),
    ("230128-001", "通河县通河镇社区工会联合会", "230128", "community_federation", None, 45.9701, 128.7478),
    (
        "230128-002",
        "通河县快递物流行业工会联合会",
        "230128",
        "industry_federation",
        "courier,delivery_rider,truck_driver",
        45.9915,
        128.7402,
    ),
    ("230128-003", "通河县兴通农业机械有限公司工会", "230128", "enterprise", None, 45.9822, 128.7601),
    ("230100-001", "哈尔滨市快递行业工会联合会", "230100", "industry_federation", "courier", 45.7590, 126.6420),
    (
        "230100-002",
        "哈尔滨市网约车司机工会联合会",
        "230100",
        "industry_federation",
        "ride_hailing_driver,truck_driver",
        45.7733,
        126.6298,
    ),
]


# Divisions whose status (and so adcode and name) changed after the cpca data was taken:
# old adcode → new adcode. 嫩江县 became the county-level city 嫩江市 in 2019, 漠河县 became
# 漠河市 in 2018. A database seeded before the correction gets its union renamed in place.
RENAMED = {"231121": "231183", "232723": "232701"}


def _apply_renames(names: dict[str, str]) -> None:
    for old, new in RENAMED.items():
        union = services.find_by_code(old)
        if union is not None and services.find_by_code(new) is None:
            union.code = union.region_code = new
            union.name = f"{names[new]}总工会"


def _divisions() -> list[dict]:
    with DATA.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _get_or_create(code: str, **fields) -> Union:
    return services.find_by_code(code) or services.create_union(code=code, **fields)


def seed() -> None:
    root = _get_or_create(
        ROOT["code"], name=ROOT["name"], level="national", parent=None, lat=ROOT["lat"], lng=ROOT["lng"]
    )
    rows = _divisions()
    _apply_renames({row["adcode"][:6]: row["name"] for row in rows})
    by_level: dict[str, Union] = {}
    # Sorted by adcode, so each province/city comes before what lies under it.
    for row in sorted(rows, key=lambda r: r["adcode"]):
        adcode = row["adcode"][:6]
        lat, lng = float(row["latitude"]), float(row["longitude"])
        if adcode.endswith("0000"):
            level, parent = "province", root
        elif adcode.endswith("00"):
            level, parent = "city", by_level[adcode[:2] + "0000"]
        else:
            level, parent = "county", by_level[adcode[:4] + "00"]
        union = _get_or_create(
            adcode,
            name=f"{row['name']}总工会",
            level=level,
            parent=parent,
            region_code=adcode,
            lat=lat,
            lng=lng,
        )
        by_level[adcode] = union
    for code, name, parent_code, kind, serves, lat, lng in GRASSROOTS:
        parent = by_level[parent_code]
        union = _get_or_create(
            code,
            name=name,
            level="grassroots",
            parent=parent,
            kind=kind,
            region_code=parent.region_code,
            lat=lat,
            lng=lng,
            serves=serves,
        )
        if union.serves is None and serves:  # a tree loaded before unions had `serves`
            union.serves = serves
