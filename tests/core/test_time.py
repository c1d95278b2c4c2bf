"""Dates people live by: Asia/Shanghai, working days with holidays and make-up days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.core import time as local_time
from portal.core.time import CalendarDay
from portal.extensions import db


@pytest.fixture
def national_day_2026(ctx):
    """国庆 2026 as the demo calendar has it: 1–7 October off, Sunday 27 September and Saturday
    10 October worked (调休)."""
    for d in range(1, 8):
        db.session.add(CalendarDay(day=date(2026, 10, d), kind="holiday", name="国庆节"))
    db.session.add(CalendarDay(day=date(2026, 9, 27), kind="workday", name="国庆节调休"))
    db.session.add(CalendarDay(day=date(2026, 10, 10), kind="workday", name="国庆节调休"))
    db.session.flush()


def test_today_is_chinas_date_not_the_servers():
    # 17:00 UTC on 5 December is 01:00 on 6 December in Beijing.
    assert local_time.local_today(datetime(2026, 12, 5, 17, 0, tzinfo=UTC)) == date(2026, 12, 6)
    assert local_time.local_today(datetime(2026, 12, 5, 15, 59, tzinfo=UTC)) == date(2026, 12, 5)


def test_start_of_a_local_day_is_four_pm_utc_the_day_before():
    assert local_time.start_of_local_day(date(2026, 12, 6)) == datetime(2026, 12, 5, 16, 0, tzinfo=UTC)


def test_a_moment_without_offset_is_read_as_beijing_time():
    assert local_time.parse_moment("2026-12-10T09:00") == datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    assert local_time.parse_moment("2026-12-10T09:00+00:00") == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        local_time.parse_moment("10/12/2026")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 5), 12, date(2027, 12, 5)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_months_later_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert local_time.add_months(day, months) == expected


def test_five_working_days_after_a_friday_end_on_the_next_friday(ctx):
    assert local_time.nth_working_day_after(date(2026, 12, 4), 5) == date(2026, 12, 11)


def test_working_days_skip_the_holiday_and_count_the_make_up_saturday(national_day_2026):
    # Published Wednesday 30 September: 1–7 October are off, Thursday 8 October is the first
    # working day, Friday 9 the second, Saturday 10 (调休) the third, Monday 12 the fourth …
    assert local_time.nth_working_day_after(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert local_time.nth_working_day_after(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert local_time.nth_working_day_after(date(2026, 9, 30), 5) == date(2026, 10, 13)
    # … and a Sunday made a working day counts before the holiday.
    assert local_time.nth_working_day_after(date(2026, 9, 26), 1) == date(2026, 9, 27)
    assert not local_time.is_working_day(date(2026, 10, 5))
    assert local_time.is_working_day(date(2026, 10, 10))


def test_a_period_ends_at_midnight_after_its_last_working_day(national_day_2026):
    published = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    assert local_time.working_days_end(published, 5) == local_time.start_of_local_day(date(2026, 10, 14))
