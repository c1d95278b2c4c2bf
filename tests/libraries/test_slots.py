"""Visit slots come from a library's opening hours: whole slots inside each opening range (an
overnight range included), closed on the library's closure days and on public holidays, with their
places read from the capacity pools; the list page's free places today in a fixed few queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from portal.core import capacity
from portal.core.time import CalendarDay
from portal.extensions import db
from portal.libraries.models import Library, LibraryClosure
from portal.libraries.services import slots

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2027, 3, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Beijing-time moment, as the aware UTC datetime the services use."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def local_clock(moments) -> list[str]:
    return [m.astimezone(SHANGHAI).strftime("%a %H:%M") for m in moments]


def early(day: date) -> datetime:
    return at(day, 0, 1) - timedelta(days=1)


@pytest.fixture
def library(ctx, make_library):
    def make(**fields):
        library_id = make_library(**fields)
        db.session.commit()  # end this session's reading transaction: the library was made in another
        return db.session.get(Library, library_id)

    return make


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (60, ["08:30", "09:30", "10:30", "13:00", "14:00", "15:00", "16:00"]),
        (90, ["08:30", "10:00", "13:00", "14:30"]),
        (
            30,
            ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
            + ["13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"],
        ),
    ],
)
def test_slots_are_whole_pieces_of_each_opening_range(library, minutes, expected):
    lib = library(open_hours="Mon-Fri 08:30-12:00; Mon-Fri 13:00-17:00", slot_minutes=minutes)
    found = slots.slots_for_day(lib, MONDAY, early(MONDAY))
    assert [s.start.astimezone(SHANGHAI).strftime("%H:%M") for s in found] == expected
    assert all(s.end - s.start == timedelta(minutes=minutes) for s in found)
    assert all(s.end.astimezone(SHANGHAI).strftime("%H:%M") <= "17:00" for s in found)
    assert slots.slots_for_day(lib, MONDAY + timedelta(days=5), early(MONDAY)) == []  # Saturday: closed


def test_slot_times_are_utc_and_shown_in_beijing_time(library):
    lib = library(open_hours="09:00-10:00")
    (slot,) = slots.slots_for_day(lib, MONDAY, early(MONDAY))
    assert slot.start == datetime(2027, 3, 8, 1, 0, tzinfo=UTC)
    assert slot.key == f"visit:{lib.id}:2027-03-08T01:00Z"


def test_an_overnight_range_runs_on_past_midnight_and_each_slot_belongs_to_the_day_it_starts(library):
    friday, saturday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=5)
    lib = library(open_hours="Fri 20:00-02:00", slot_minutes=90)
    friday_slots = slots.slots_for_day(lib, friday, early(friday))
    # 23:00-00:30 crosses midnight inside the range: a whole slot, on Friday.
    assert local_clock(s.start for s in friday_slots) == ["Fri 20:00", "Fri 21:30", "Fri 23:00"]
    assert local_clock([friday_slots[-1].end]) == ["Sat 00:30"]
    saturday_slots = slots.slots_for_day(lib, saturday, early(friday))
    assert local_clock(s.start for s in saturday_slots) == ["Sat 00:30"]  # 02:00-03:30 is past closing
    assert slots.slots_for_day(lib, MONDAY, early(MONDAY)) == []


def test_always_open_gives_every_hour_of_the_day(library):
    lib = library(open_hours="24h")
    found = slots.slots_for_day(lib, MONDAY, early(MONDAY))
    assert len(found) == 24 and local_clock([found[0].start, found[-1].end]) == ["Mon 00:00", "Tue 00:00"]


def test_a_closure_day_closes_every_slot(library):
    lib = library()
    db.session.add(LibraryClosure(library_id=lib.id, day=MONDAY, reason="盘点"))
    db.session.commit()
    found = slots.slots_for_day(lib, MONDAY, early(MONDAY))
    assert found and {s.state for s in found} == {"closed"}
    assert slots.closure_reason(lib.id, MONDAY) == "盘点"
    assert {s.state for s in slots.slots_for_day(lib, MONDAY + timedelta(days=1), early(MONDAY))} == {"bookable"}


def test_a_public_holiday_closes_every_library(library):
    lib = library()
    db.session.add(CalendarDay(day=MONDAY, kind="holiday", name="测试节"))
    db.session.add(CalendarDay(day=MONDAY + timedelta(days=5), kind="workday", name="调休"))
    db.session.commit()
    assert {s.state for s in slots.slots_for_day(lib, MONDAY, early(MONDAY))} == {"closed"}
    assert slots.closure_reason(lib.id, MONDAY) is not None
    assert slots.closure_reason(lib.id, MONDAY + timedelta(days=1)) is None


def test_states_follow_the_clock_and_the_pool(library):
    lib = library(open_hours="09:00-12:00", places_per_slot=2)
    nine, ten, eleven = at(MONDAY, 9), at(MONDAY, 10), at(MONDAY, 11)
    pool = capacity.ensure_pool(slots.pool_key(lib.id, ten), 2)
    capacity.take(pool, "user:1")
    capacity.take(pool, "user:2")
    capacity.take(pool, "user:3")  # in line
    other = capacity.ensure_pool(slots.pool_key(lib.id, eleven), 2)
    capacity.take(other, "user:1")
    db.session.commit()
    found = {s.start: s for s in slots.slots_for_day(lib, MONDAY, at(MONDAY, 9, 5))}
    assert found[nine].state == "started"
    assert (found[ten].state, found[ten].taken, found[ten].waiting, found[ten].free) == ("full", 2, 1, 0)
    assert (found[eleven].state, found[eleven].free) == ("bookable", 1)


def test_a_slot_nobody_booked_has_the_librarys_current_places(library):
    lib = library(places_per_slot=7)
    assert {s.free for s in slots.slots_for_day(lib, MONDAY, early(MONDAY))} == {7}


def test_bookable_days_are_today_and_the_days_ahead_in_beijing_time(app, ctx):
    # 17:30 UTC on Sunday is 01:30 on Monday in Beijing.
    days = slots.bookable_days(datetime(2027, 3, 7, 17, 30, tzinfo=UTC))
    assert days[0] == MONDAY
    assert len(days) == app.config["LIBRARY_BOOK_DAYS_AHEAD"] + 1
    assert days[-1] == MONDAY + timedelta(days=app.config["LIBRARY_BOOK_DAYS_AHEAD"])


def test_free_places_today_counts_slots_not_yet_begun(library):
    open_all_day = library(open_hours="09:00-12:00", places_per_slot=5)
    closed = library(open_hours="09:00-12:00", places_per_slot=5)
    evening = library(open_hours="18:00-20:00", places_per_slot=3)
    db.session.add(LibraryClosure(library_id=closed.id, day=MONDAY, reason=""))
    pool = capacity.ensure_pool(slots.pool_key(open_all_day.id, at(MONDAY, 11)), 5)
    capacity.take(pool, "user:9")
    db.session.commit()
    free = slots.free_places_today([open_all_day.id, closed.id, evening.id], at(MONDAY, 9, 30))
    # 10:00 and 11:00 are still to come (9:00 has begun); one place of 11:00 is taken.
    assert free == {open_all_day.id: 9, closed.id: 0, evening.id: 6}


def test_free_places_today_reads_twenty_libraries_in_a_few_queries(app, library):
    ids = [library(open_hours="08:00-20:00").id for _ in range(20)]
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        free = slots.free_places_today(ids, at(MONDAY, 7))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert free == dict.fromkeys(ids, 120)
    assert len(statements) <= 4, statements
