"""Demo data for hardship aid: 低保 standards for Heilongjiang's county-level divisions (demo values,
labelled as such on every page that shows them) and the 2026–2027 working-day calendar."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.aid.models import SubsistenceStandard
from portal.core.time import CalendarDay
from portal.extensions import db
from portal.unions.models import Union

# Demo values (yuan per person per month), of the order of Heilongjiang's published standards;
# a real deployment enters each division's own from the civil affairs bureau.
CITY_DISTRICT = {"urban": Decimal("800.00"), "rural": Decimal("560.00")}
OTHER = {"urban": Decimal("720.00"), "rural": Decimal("500.00")}
EFFECTIVE_FROM = date(2026, 1, 1)


def _holidays(first: date, last: date, name: str) -> list[tuple[date, str, str]]:
    days, day = [], first
    while day <= last:
        days.append((day, "holiday", name))
        day += timedelta(days=1)
    return days


# Public holidays and make-up working days (调休) as the demo calendar has them.
CALENDAR = [
    *_holidays(date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 1, 4), "workday", "元旦调休"),
    *_holidays(date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 2, 14), "workday", "春节调休"),
    (date(2026, 2, 28), "workday", "春节调休"),
    *_holidays(date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    *_holidays(date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 5, 9), "workday", "劳动节调休"),
    *_holidays(date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    *_holidays(date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    *_holidays(date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    (date(2026, 9, 20), "workday", "国庆节调休"),
    (date(2026, 10, 10), "workday", "国庆节调休"),
    *_holidays(date(2027, 1, 1), date(2027, 1, 3), "元旦"),
    *_holidays(date(2027, 2, 6), date(2027, 2, 14), "春节"),
    (date(2027, 2, 20), "workday", "春节调休"),
    *_holidays(date(2027, 4, 3), date(2027, 4, 5), "清明节"),
    *_holidays(date(2027, 5, 1), date(2027, 5, 5), "劳动节"),
    *_holidays(date(2027, 6, 9), date(2027, 6, 11), "端午节"),
    *_holidays(date(2027, 9, 15), date(2027, 9, 17), "中秋节"),
    *_holidays(date(2027, 10, 1), date(2027, 10, 7), "国庆节"),
    (date(2027, 9, 26), "workday", "国庆节调休"),
    (date(2027, 10, 9), "workday", "国庆节调休"),
]


def seed() -> None:
    have = {(r, a) for r, a in db.session.execute(select(SubsistenceStandard.region_code, SubsistenceStandard.area))}
    counties = db.session.scalars(select(Union).where(Union.level == "county", Union.region_code.is_not(None)))
    for county in counties:
        amounts = CITY_DISTRICT if county.name.endswith("区总工会") else OTHER
        for area, amount in amounts.items():
            if (county.region_code, area) not in have:
                db.session.add(
                    SubsistenceStandard(
                        region_code=county.region_code,
                        area=area,
                        monthly_amount=amount,
                        effective_from=EFFECTIVE_FROM,
                        is_demo=True,
                    )
                )
                have.add((county.region_code, area))
    known = set(db.session.scalars(select(CalendarDay.day)))
    for day, kind, name in CALENDAR:
        if day not in known:
            db.session.add(CalendarDay(day=day, kind=kind, name=name))
    db.session.flush()
