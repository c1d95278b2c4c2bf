"""Time as people live it: Asia/Shanghai for every date a person sees or a rule counts.

The database stores UTC (``core.db.UTCDateTime``); "today", "the 5th working day" and "valid for
12 months" are all counted in Asia/Shanghai, here and nowhere else — ``date.today()`` would be the
server's zone, which need not be China's.

Working days follow the State Council's calendar: Monday to Friday, less the public holidays, plus
the weekend days declared working days to make up for them (调休). That calendar changes every
year, so it is data (``calendar_days``) that admins maintain; demo rows for 2026 and 2027 ship with
the demo data.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import one_of, utcnow
from portal.extensions import db

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

DAY_KINDS = ("holiday", "workday")  # a weekday off, or a weekend day worked (调休)


class CalendarDay(db.Model):
    """A day that differs from the ordinary week: a public holiday or a make-up working day."""

    __tablename__ = "calendar_days"
    __table_args__ = (db.CheckConstraint(one_of("kind", DAY_KINDS), name="kind_known"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False, default="")


def local_now(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) as a wall-clock time in Asia/Shanghai."""
    return (moment or utcnow()).astimezone(LOCAL_ZONE)


def local_today(moment: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai (or the date of ``moment`` there)."""
    return local_now(moment).date()


def start_of_local_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in Asia/Shanghai, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE).astimezone(UTC)


def parse_moment(text: str) -> datetime:
    """``2026-12-10T09:00`` (Asia/Shanghai unless an offset is given) → an aware datetime.

    For commands that replay a moment (``flask jobs run --as-of``)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return moment


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day (31 Jan + 1 → 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Working days ---------------------------------------------------------------------------------


def _exceptions(start: date, end: date) -> dict[date, str]:
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day >= start, CalendarDay.day <= end)
    )
    return {day: kind for day, kind in rows}


def _is_working(day: date, exceptions: dict[date, str]) -> bool:
    kind = exceptions.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def public_holidays(start: date, end: date) -> set[date]:
    """The public holidays from ``start`` to ``end`` (both included): days places such as the
    worker libraries are closed."""
    return {day for day, kind in _exceptions(start, end).items() if kind == "holiday"}


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day, day)


def is_working_day(day: date) -> bool:
    return _is_working(day, _exceptions(day, day))


def nth_working_day_after(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself not counted; ``n`` ≥ 1).

    A notice published on a Friday for 5 working days runs Monday to Friday of the next week
    (Tuesday to the following Monday when that Monday is a holiday, and so on)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    # Holidays in China last at most 8 days in a row: 2n + 14 days always hold n working days.
    exceptions = _exceptions(day, day + timedelta(days=2 * n + 14))
    found, current = 0, day
    while found < n:
        current += timedelta(days=1)
        if _is_working(current, exceptions):
            found += 1
    return current


def working_days_end(moment: datetime, n: int) -> datetime:
    """When a period of ``n`` working days that starts at ``moment`` is over: midnight (Asia/Shanghai)
    after the ``n``-th working day following the day of ``moment``, as UTC."""
    last = nth_working_day_after(local_today(moment), n)
    return start_of_local_day(last + timedelta(days=1))


# --- The calendar, as admins keep it --------------------------------------------------------------

DAY_NAME_MAX = 40


def calendar_year(year: int) -> list[CalendarDay]:
    stmt = (
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return list(db.session.scalars(stmt))


def set_calendar_day(day: date | None, kind: str | None, name: str | None, *, actor) -> CalendarDay:
    """Mark ``day`` a public holiday or a make-up working day (调休), or change its entry.

    Periods already running keep the end they were given when they began."""
    from portal.core import audit
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.validators import InvalidInput, clean_line

    if day is None:
        raise InvalidInput(_l("Please enter the date."), field="day")
    if kind not in DAY_KINDS:
        raise InvalidInput(_l("Please choose holiday or make-up working day."), field="kind")
    name = clean_line(name, max_length=DAY_NAME_MAX, field="name")
    if not name:
        raise InvalidInput(_l("Please name the holiday (e.g. 国庆节)."), field="name")
    entry = db.session.get(CalendarDay, day) or CalendarDay(day=day)
    entry.kind, entry.name = kind, name
    db.session.add(entry)
    db.session.flush()
    audit.record("calendar.day_set", actor, actor=actor, note=f"{day.isoformat()} {kind} {name}")
    return entry


def remove_calendar_day(day: date, *, actor) -> bool:
    from portal.core import audit

    entry = db.session.get(CalendarDay, day)
    if entry is None:
        return False
    db.session.delete(entry)
    db.session.flush()
    audit.record("calendar.day_removed", actor, actor=actor, note=day.isoformat())
    return True
