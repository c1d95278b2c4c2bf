from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.hours import (
    LOCAL_ZONE,
    OpenHoursError,
    Schedule,
    is_open_at,
    is_overnight,
    next_opening,
    normalise_open_hours,
    parse_open_hours,
    weekly_table,
)

BEIJING = timezone(timedelta(hours=8))  # China has kept UTC+8 all year since 1991
WEEK = tuple((day, 0, 1440) for day in range(7))


def at(day: int, hhmm: str) -> datetime:
    """A moment in Beijing time on a weekday (0 = Monday) of the week of Monday 2026-11-23."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, 23, tzinfo=BEIJING) + timedelta(days=day, hours=hours, minutes=minutes)


# --- accepted forms ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["24h", "24H", " 24 h ", "24小时", "２４ｈ", "00:00-24:00", "0:00 - 24:00", "Mon-Sun 00:00-24:00"]
)
def test_always_open_forms(typed):
    schedule = parse_open_hours(typed)
    assert schedule == Schedule(always_open=True, intervals=WEEK, source="24h")
    assert is_open_at(schedule, at(2, "03:17"))


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("08:00-20:00", "08:00-20:00"),
        ("8:00-20:00", "08:00-20:00"),
        (" 08:00  -  20:00 ", "08:00-20:00"),
        ("08:00~20:00", "08:00-20:00"),
        ("08:00〜20:00", "08:00-20:00"),
        ("08:00–20:00", "08:00-20:00"),
        ("08:00—20:00", "08:00-20:00"),
        ("０８：００－２０：００", "08:00-20:00"),  # typed with a Chinese IME
        ("０８：００～２０：００", "08:00-20:00"),
        ("Mon-Sun 08:00-20:00", "08:00-20:00"),
        ("08:00-24:00", "08:00-24:00"),
        ("22:00-06:00", "22:00-06:00"),
        ("Mon-Fri 08:00-20:00; Sat 09:00-17:00", "Mon-Fri 08:00-20:00; Sat 09:00-17:00"),
        ("mon-fri 08:00-20:00;sat 09:00-17:00;", "Mon-Fri 08:00-20:00; Sat 09:00-17:00"),
        ("MON - FRI 08:00 - 20:00 ; SAT 09:00 - 17:00", "Mon-Fri 08:00-20:00; Sat 09:00-17:00"),
        (
            "ｍｏｎ－ｆｒｉ　０８：００～２０：００；ｓａｔ　０９：００—１７：００",
            "Mon-Fri 08:00-20:00; Sat 09:00-17:00",
        ),
        ("Monday-Friday 08:00-20:00", "Mon-Fri 08:00-20:00"),
        ("Tues,Thurs 08:00-20:00", "Tue,Thu 08:00-20:00"),
        ("Mon,Wed,Fri 08:00-12:00", "Mon,Wed,Fri 08:00-12:00"),
        ("Mon, Wed, Fri 08:00-12:00", "Mon,Wed,Fri 08:00-12:00"),
        ("Mon、Wed、Fri 08:00-12:00", "Mon,Wed,Fri 08:00-12:00"),
        ("Mon,Tue,Wed 08:00-12:00", "Mon-Wed 08:00-12:00"),
        ("Sat,Sun,Mon 08:00-12:00", "Sat-Mon 08:00-12:00"),
        ("Fri-Mon 10:00-16:00", "Fri-Mon 10:00-16:00"),
        ("Sun 22:00-02:00", "Sun 22:00-02:00"),
        ("Mon-Fri08:00-20:00", "Mon-Fri 08:00-20:00"),
        ("Mon-Fri 08:00-12:00; Mon-Fri 14:00-18:00", "Mon-Fri 08:00-12:00; Mon-Fri 14:00-18:00"),
    ],
)
def test_accepted_forms_and_their_canonical_spelling(typed, canonical):
    assert normalise_open_hours(typed) == canonical
    assert parse_open_hours(typed).source == canonical
    assert normalise_open_hours(canonical) == canonical


def test_daily_hours_give_one_interval_a_day():
    assert parse_open_hours("08:00-20:00").intervals == tuple((day, 480, 1200) for day in range(7))


def test_days_not_mentioned_are_closed():
    schedule = parse_open_hours("Mon-Fri 08:00-20:00; Sat 09:00-17:00")
    assert schedule.intervals == tuple((day, 480, 1200) for day in range(5)) + ((5, 540, 1020),)
    assert not is_open_at(schedule, at(6, "12:00"))
    assert is_open_at(schedule, at(5, "12:00"))
    assert not is_open_at(schedule, at(5, "18:00"))


def test_lunch_break_with_two_parts():
    schedule = parse_open_hours("Mon-Fri 08:00-12:00; Mon-Fri 14:00-18:00")
    assert is_open_at(schedule, at(0, "11:59"))
    assert not is_open_at(schedule, at(0, "13:00"))
    assert is_open_at(schedule, at(0, "14:00"))


def test_touching_and_overlapping_parts_are_merged():
    schedule = parse_open_hours("Mon 08:00-12:00; Mon 12:00-14:00; Mon 10:00-13:00")
    assert schedule.intervals == ((0, 480, 840),)


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Please enter the opening hours."),
        ("   ", "Please enter the opening hours."),
        (None, "Please enter the opening hours."),
        (";", "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00."),
        ("always", "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00."),
        ("08:00", "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00."),
        ("0800-2000", "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00."),
        (
            "08:00-20:00 Mon-Fri",
            "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00.",
        ),
        ("Mon- 08:00-20:00", "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00."),
        (
            "Mon,,Tue 08:00-20:00",
            "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00.",
        ),
        ("48h", "Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00."),
        ("25:00-26:00", "A time must be between 00:00 and 24:00."),
        ("08:00-24:30", "A time must be between 00:00 and 24:00."),
        ("08:60-20:00", "A time must be between 00:00 and 24:00."),
        ("24:00-08:00", "The opening time must be before 24:00."),
        ("Mo-Fr 08:00-20:00", "Unknown day “Mo”: use Mon, Tue, Wed, Thu, Fri, Sat or Sun."),
        ("Mon-Fry 08:00-20:00", "Unknown day “Fry”: use Mon, Tue, Wed, Thu, Fri, Sat or Sun."),
        ("周八 08:00-20:00", "Unknown day “周八”: use Mon, Tue, Wed, Thu, Fri, Sat or Sun."),
        ("08:00-08:00", "Opening and closing time are the same."),
        ("Sat 00:00-00:00", "Opening and closing time are the same."),
    ],
)
def test_errors_say_what_is_wrong(typed, message):
    with pytest.raises(OpenHoursError) as exc:
        parse_open_hours(typed)
    assert str(exc.value.message) == message
    assert isinstance(exc.value, ValueError)


def test_error_messages_render_in_a_request_and_name_the_day(app):
    with app.test_request_context("/?lang=zh_CN"):
        with pytest.raises(OpenHoursError) as exc:
            parse_open_hours("Mon-Fry 08:00-20:00")
        shown = str(exc.value.message)
    assert "Fry" in shown
    assert not shown.startswith("Unknown day")  # the Chinese catalogue has it


# --- overnight and wrap-around ------------------------------------------------------------


def test_overnight_every_day():
    schedule = parse_open_hours("22:00-06:00")
    assert (0, 0, 360) in schedule.intervals and (0, 1320, 1440) in schedule.intervals
    assert is_open_at(schedule, at(2, "23:30"))
    assert is_open_at(schedule, at(3, "05:59"))
    assert not is_open_at(schedule, at(3, "06:00"))
    assert not is_open_at(schedule, at(3, "21:59"))
    assert is_open_at(schedule, at(3, "22:00"))


def test_overnight_on_sunday_runs_into_monday():
    schedule = parse_open_hours("Sun 22:00-02:00")
    assert schedule.intervals == ((0, 0, 120), (6, 1320, 1440))
    assert is_open_at(schedule, at(6, "23:00"))
    assert is_open_at(schedule, at(0, "01:59"))
    assert not is_open_at(schedule, at(0, "02:00"))
    assert not is_open_at(schedule, at(6, "01:00"))  # Sunday early morning belongs to Saturday night


def test_overnight_weekly_friday_and_saturday_nights():
    schedule = parse_open_hours("Fri-Sat 20:00-03:00")
    assert schedule.intervals == ((4, 1200, 1440), (5, 0, 180), (5, 1200, 1440), (6, 0, 180))
    assert is_open_at(schedule, at(6, "02:30"))
    assert not is_open_at(schedule, at(4, "02:30"))


def test_closing_at_midnight_written_as_00_00():
    schedule = parse_open_hours("Sat 20:00-00:00")
    assert schedule.intervals == ((5, 1200, 1440),)
    assert is_overnight("20:00", "00:00")


def test_wrapping_day_range():
    schedule = parse_open_hours("Fri-Mon 10:00-16:00")
    assert [d for d, _, _ in schedule.intervals] == [0, 4, 5, 6]
    assert is_open_at(schedule, at(0, "10:00"))
    assert not is_open_at(schedule, at(1, "10:00"))


def test_a_day_range_of_one_day_and_the_whole_week_round_the_end():
    assert [d for d, _, _ in parse_open_hours("Wed-Wed 10:00-16:00").intervals] == [2]
    assert parse_open_hours("Tue-Mon 10:00-16:00") == parse_open_hours("10:00-16:00")


# --- the clock: Beijing time and exclusive ends ---------------------------------------------


def test_utc_moments_are_judged_in_shanghai_time():
    moment = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)  # Wednesday in UTC, Thursday 00:30 in Shanghai
    assert moment.weekday() == 2
    assert is_open_at(parse_open_hours("Thu 00:00-01:00"), moment)
    assert not is_open_at(parse_open_hours("Wed 16:00-17:00"), moment)
    assert is_open_at(parse_open_hours("Wed 22:00-01:00"), moment)


def test_moments_in_other_zones_are_converted():
    new_york = timezone(timedelta(hours=-5))
    moment = datetime(2026, 11, 25, 11, 30, tzinfo=new_york)  # 16:30 UTC, Thursday 00:30 in Shanghai
    assert is_open_at(parse_open_hours("Thu 00:00-01:00"), moment)


def test_naive_moments_are_refused():
    with pytest.raises(TypeError):
        is_open_at(parse_open_hours("08:00-20:00"), datetime(2026, 11, 25, 12, 0))


def test_opening_is_inclusive_and_closing_exclusive():
    schedule = parse_open_hours("08:00-20:00")
    assert not is_open_at(schedule, at(0, "07:59") + timedelta(seconds=59))
    assert is_open_at(schedule, at(0, "08:00"))
    assert is_open_at(schedule, at(0, "19:59") + timedelta(seconds=59, microseconds=999_999))
    assert not is_open_at(schedule, at(0, "20:00"))
    late = parse_open_hours("08:00-24:00")
    assert is_open_at(late, at(0, "23:59") + timedelta(seconds=59))
    assert not is_open_at(late, at(1, "00:00"))


# --- display --------------------------------------------------------------------------------


def test_weekly_table_shows_ranges_as_written():
    table = weekly_table(parse_open_hours("Mon-Fri 08:00-20:00; Sat 09:00-17:00; Sun 22:00-02:00"))
    assert table == [
        (0, [("08:00", "20:00")]),
        (1, [("08:00", "20:00")]),
        (2, [("08:00", "20:00")]),
        (3, [("08:00", "20:00")]),
        (4, [("08:00", "20:00")]),
        (5, [("09:00", "17:00")]),
        (6, [("22:00", "02:00")]),
    ]


def test_weekly_table_for_always_open_lunch_breaks_and_closed_days():
    assert weekly_table(parse_open_hours("24h")) == [(day, [("00:00", "24:00")]) for day in range(7)]
    table = dict(weekly_table(parse_open_hours("Mon 14:00-18:00; Mon 8:00-12:00")))
    assert table[0] == [("08:00", "12:00"), ("14:00", "18:00")]
    assert table[1] == []


def test_is_overnight():
    assert is_overnight("22:00", "02:00")
    assert not is_overnight("08:00", "20:00")
    assert not is_overnight("08:00", "24:00")


def test_parsing_is_cached():
    assert parse_open_hours("Mon-Fri 07:00-19:00") is parse_open_hours("Mon-Fri 07:00-19:00")


# --- properties -----------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})
DAY_WORDS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

days_spec = st.one_of(
    st.none(),  # every day
    st.tuples(st.just("day"), st.integers(0, 6)),
    st.tuples(st.just("range"), st.integers(0, 6), st.integers(0, 6)),
    st.tuples(st.just("list"), st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)),
)
times = st.tuples(st.integers(0, 1439), st.integers(0, 1440)).filter(lambda t: t[0] != t[1])
parts = st.lists(st.tuples(days_spec, times), min_size=1, max_size=4)


def spec_days(spec) -> set[int]:
    if spec is None:
        return set(range(7))
    if spec[0] == "day":
        return {spec[1]}
    if spec[0] == "range":
        first, last = spec[1], spec[2]
        return {(first + k) % 7 for k in range((last - first) % 7 + 1)}
    return set(spec[1])


def spec_text(spec) -> str:
    if spec is None:
        return ""
    if spec[0] == "day":
        return DAY_WORDS[spec[1]]
    if spec[0] == "range":
        return f"{DAY_WORDS[spec[1]]}-{DAY_WORDS[spec[2]]}"
    return ",".join(DAY_WORDS[d] for d in spec[1])


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def typed_hours(draw):
    """Random valid opening hours, as structure and as a person might type them."""
    chosen = draw(parts)
    dash = draw(st.sampled_from(["-", " - ", "~", "–", "—"]))
    pieces = []
    for spec, (start, end) in chosen:
        days = spec_text(spec)
        days = draw(st.sampled_from([days, days.lower(), days.upper()]))
        pieces.append(f"{days} {clock(start)}{dash}{clock(end)}".strip())
    text = draw(st.sampled_from([";", "; ", " ; "])).join(pieces)
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return chosen, text


def brute_force_open_minutes(chosen) -> set[int]:
    """Minutes of the week (Monday 00:00 = 0) when open, found one minute at a time."""
    week = 7 * 1440
    open_minutes = set()
    for spec, (start, end) in chosen:
        length = (end - start) % 1440 or 1440
        for day in spec_days(spec):
            for k in range(length):
                open_minutes.add((day * 1440 + start + k) % week)
    return open_minutes


@settings(max_examples=40, deadline=None)
@given(typed_hours())
def test_is_open_at_agrees_with_a_minute_by_minute_expansion(case):
    chosen, text = case
    schedule = parse_open_hours(text)
    expected = brute_force_open_minutes(chosen)
    monday_utc = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Monday 2026-11-23 00:00 in Beijing
    for minute in range(7 * 1440):
        moment = monday_utc + timedelta(minutes=minute, seconds=minute % 60)
        assert is_open_at(schedule, moment) == (minute in expected), (text, minute)
    assert schedule.always_open == (len(expected) == 7 * 1440)


@settings(max_examples=300, deadline=None)
@given(
    typed_hours(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(-12 * 60, 14 * 60),
)
def test_is_open_at_any_instant_in_any_zone(case, local, offset_minutes):
    chosen, text = case
    moment = local.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    beijing = moment.astimezone(BEIJING)
    minute_of_week = beijing.weekday() * 1440 + beijing.hour * 60 + beijing.minute
    assert is_open_at(parse_open_hours(text), moment) == (minute_of_week in brute_force_open_minutes(chosen))


@settings(max_examples=500, deadline=None)
@given(typed_hours())
def test_normalising_is_idempotent(case):
    _, text = case
    canonical = normalise_open_hours(text)
    assert parse_open_hours(canonical) == parse_open_hours(text)
    assert normalise_open_hours(canonical) == canonical
    assert canonical.isascii()


@settings(max_examples=200, deadline=None)
@given(typed_hours())
def test_weekly_table_lists_what_was_written(case):
    chosen, text = case
    schedule = parse_open_hours(text)
    if schedule.always_open:
        return
    table = dict(weekly_table(schedule))
    for spec, (start, end) in chosen:
        for day in spec_days(spec):
            assert (clock(start), clock(end)) in table[day]


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("周一至周五 08:00-20:00；周六 09:00-17:00", "Mon-Fri 08:00-20:00; Sat 09:00-17:00"),
        ("每天 08:00至20:00", "08:00-20:00"),
        ("星期六、星期日 10:00-16:00", "Sat-Sun 10:00-16:00"),
        ("周日 22:00-02:00", "Sun 22:00-02:00"),
        ("周一到周五 8:00-17:30", "Mon-Fri 08:00-17:30"),
    ],
)
def test_chinese_day_names_as_staff_type_them(typed, canonical):
    assert normalise_open_hours(typed) == canonical


# --- the next opening ("休息中 · 明天 08:00 开放") ------------------------------------------------


def local(day: int, hhmm: str) -> datetime:
    return at(day, hhmm).astimezone(LOCAL_ZONE)


@pytest.mark.parametrize(
    "hours, now, expected",
    [
        ("08:00-20:00", (0, "06:30"), (0, "08:00")),  # later today
        ("08:00-20:00", (0, "20:00"), (1, "08:00")),  # closing is exclusive: tomorrow
        ("08:00-20:00", (0, "12:00"), (0, "12:00")),  # open now: now
        ("Mon-Fri 08:30-17:30", (4, "18:00"), (7, "08:30")),  # Friday evening: next Monday
        ("Mon-Fri 08:30-17:30", (5, "10:00"), (7, "08:30")),  # Saturday: Monday
        ("Mon 09:00-12:00", (0, "13:00"), (7, "09:00")),  # a week on, same weekday
        ("Mon-Sat 08:00-12:00; Mon-Sat 14:00-18:00", (2, "12:30"), (2, "14:00")),  # lunch break
        ("20:00-08:00", (1, "10:00"), (1, "20:00")),  # overnight hours, daytime
        ("20:00-08:00", (1, "07:59"), (1, "07:59")),  # still open from the night before
        ("Sun 22:00-02:00", (0, "01:00"), (0, "01:00")),  # Sunday night into Monday
        ("Sun 22:00-02:00", (0, "02:00"), (6, "22:00")),
    ],
)
def test_next_opening(hours, now, expected):
    assert next_opening(parse_open_hours(hours), at(*now)) == local(*expected)


def test_next_opening_is_none_when_always_open_and_judged_in_shanghai():
    assert next_opening(parse_open_hours("24h"), at(0, "03:00")) is None
    # 23:30 UTC on Sunday is 07:30 Monday in Beijing: opens at 08:00 that Monday.
    sunday_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert next_opening(parse_open_hours("Mon 08:00-09:00"), sunday_utc) == local(7, "08:00")
    with pytest.raises(TypeError):
        next_opening(parse_open_hours("08:00-20:00"), datetime(2026, 11, 23, 8))


@settings(max_examples=200, deadline=None)
@given(
    case=st.sampled_from(["08:00-20:00", "Mon-Fri 08:30-17:30", "20:00-08:00", "Sat 22:00-02:00; Tue 09:00-10:00"]),
    minute=st.integers(0, 7 * 1440 - 1),
)
def test_next_opening_is_open_and_nothing_before_it_is(case, minute):
    schedule = parse_open_hours(case)
    now = at(0, "00:00") + timedelta(minutes=minute)
    opening = next_opening(schedule, now)
    assert is_open_at(schedule, opening)
    step = now
    while step < opening - timedelta(minutes=1):
        assert not is_open_at(schedule, step)
        step += timedelta(minutes=7)


@pytest.mark.parametrize(
    "text, zh",
    [
        ("24h", "全天24小时开放"),
        ("08:00-20:00", "每天 08:00-20:00"),
        ("Mon-Fri 08:30-17:30; Sat 09:00-17:00", "周一至周五 08:30-17:30；周六 09:00-17:00"),
        ("Mon-Fri 08:00-12:00; Mon-Fri 14:00-18:00", "周一至周五 08:00-12:00, 14:00-18:00"),
        ("22:00-06:00", "每天 22:00-次日06:00"),
        ("Mon,Wed 08:00-20:00", "周一 08:00-20:00；周三 08:00-20:00"),
    ],
)
def test_staff_read_opening_hours_in_chinese_not_the_stored_code(app, text, zh):
    from portal.stations.views import hours_text

    with app.test_request_context("/?lang=zh_CN"):
        assert hours_text(normalise_open_hours(text)) == zh
