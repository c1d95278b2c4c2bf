"""Opening hours of rest stations and worker libraries, as staff type them and the import CSV gives them.

Accepted forms (case, extra spaces and full-width characters do not matter;
``~``, ``–`` and ``—`` work as a dash, ``、`` as a comma):

* ``24h`` (or ``24小时``, ``00:00-24:00``): always open;
* ``08:00-20:00``: every day;
* ``Mon-Fri 08:00-20:00; Sat 09:00-17:00``: parts separated by ``;``, each a
  set of days (a range ``Mon-Fri``, which may wrap like ``Fri-Mon``, a single day
  ``Sat`` or a list ``Mon,Wed,Fri``) and a time range. Days not mentioned are closed.

A closing time before the opening time means overnight: ``Sun 22:00-02:00`` is
open Sunday from 22:00 and Monday until 02:00. Closing times are exclusive, and
``24:00`` may close a range. Times are Beijing time (Asia/Shanghai).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from portal.core.i18n import lazy_gettext as _l

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60
ALWAYS_OPEN = "24h"

# After NFKC (which already folds full-width ～ and －): other dashes and the Chinese list comma.
_SEPARATORS = str.maketrans(dict.fromkeys("~〜–—−‐", "-") | {"、": ","})
_PART = re.compile(r"(?P<days>[^0-9]*?)\s*(?P<start>[0-9]{1,2}:[0-9]{2})\s*-\s*(?P<end>[0-9]{1,2}:[0-9]{2})")
_FULL_WEEK = frozenset(range(7))


class OpenHoursError(ValueError):
    """Opening hours that cannot be understood; ``message`` says what to fix."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class Schedule:
    """When a station is open.

    ``intervals`` are ``(weekday, start_minute, end_minute)`` with Monday = 0 and
    the end exclusive; overnight ranges are already split at midnight, and
    touching or overlapping ranges merged. ``source`` is the canonical text.
    """

    always_open: bool
    intervals: tuple[tuple[int, int, int], ...]
    source: str


@dataclass(frozen=True)
class _Part:
    days: frozenset[int]
    start: int
    end: int


def _format_error() -> OpenHoursError:
    return OpenHoursError(_l("Opening hours must look like 24h, 08:00-20:00 or Mon-Fri 08:00-20:00; Sat 09:00-17:00."))


def _minutes(hhmm: str) -> int:
    hours, minutes = (int(n) for n in hhmm.split(":"))
    if minutes > 59 or hours * 60 + minutes > MINUTES_PER_DAY:
        raise OpenHoursError(_l("A time must be between 00:00 and 24:00."))
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day(word: str) -> int:
    """Mon, mon, MONDAY, thur, thurs → weekday number; at least three letters of the English name."""
    key = word.strip().lower()
    for number, name in enumerate(_FULL_DAY_NAMES):
        if len(key) >= 3 and name.startswith(key):
            return number
    raise OpenHoursError(_l("Unknown day “%(day)s”: use Mon, Tue, Wed, Thu, Fri, Sat or Sun.", day=word.strip()))


def _days(text: str) -> frozenset[int]:
    """``Mon-Fri``, ``Fri-Mon`` (wrapping), ``Sat`` or ``Mon,Wed,Fri``; empty text means every day."""
    if not text.strip():
        return _FULL_WEEK
    days: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        if not first.strip() or (dash and not last.strip()):
            raise _format_error()
        start = _day(first)
        stop = _day(last) if dash else start
        days.update((start + k) % 7 for k in range((stop - start) % 7 + 1))
    return frozenset(days)


def _days_text(days: frozenset[int]) -> str:
    """Canonical spelling of a set of days: runs become ranges (``Fri-Mon`` wraps), the whole week is omitted."""
    if days == _FULL_WEEK:
        return ""
    # Start just after a closed day so that a run across Sunday→Monday stays in one piece.
    first = next(d for d in range(7) if (d - 1) % 7 not in days and d in days)
    runs: list[list[int]] = []
    for step in range(7):
        day = (first + step) % 7
        if day not in days:
            continue
        if runs and (runs[-1][-1] + 1) % 7 == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs)


_CHINESE_DAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_CHINESE_DAY_NUMBER = "一二三四五六日"


def _chinese_days(text: str) -> str:
    """周一至周五 08:00-20:00 → Mon-Fri 08:00-20:00, as staff often type it; 每天 means every day."""
    text = _CHINESE_DAY.sub(lambda m: " " + DAY_NAMES[_CHINESE_DAY_NUMBER.index(m.group(1).replace("天", "日"))], text)
    return re.sub(r"\s*[至到]\s*", "-", text.replace("每天", " ").replace("每日", " "))


def _clean(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(_SEPARATORS)
    return " ".join(_chinese_days(text).split())


def _parts(text: str) -> tuple[_Part, ...]:
    parts = []
    for piece in text.split(";"):
        piece = piece.strip()
        if not piece:
            continue
        match = _PART.fullmatch(piece)
        if not match:
            raise _format_error()
        start, end = _minutes(match["start"]), _minutes(match["end"])
        if start == MINUTES_PER_DAY:
            raise OpenHoursError(_l("The opening time must be before 24:00."))
        if start == end:
            raise OpenHoursError(_l("Opening and closing time are the same."))
        parts.append(_Part(_days(match["days"]), start, end))
    if not parts:
        raise _format_error()
    return tuple(parts)


def _intervals(parts: tuple[_Part, ...]) -> tuple[tuple[int, int, int], ...]:
    """Split overnight ranges at midnight, then merge touching or overlapping ranges day by day."""
    pieces = []
    for part in parts:
        for day in part.days:
            if part.start < part.end:
                pieces.append((day, part.start, part.end))
            else:
                pieces.append((day, part.start, MINUTES_PER_DAY))
                if part.end > 0:
                    pieces.append(((day + 1) % 7, 0, part.end))
    merged: list[tuple[int, int, int]] = []
    for day, start, end in sorted(pieces):
        if merged and merged[-1][0] == day and start <= merged[-1][2]:
            merged[-1] = (day, merged[-1][1], max(end, merged[-1][2]))
        else:
            merged.append((day, start, end))
    return tuple(merged)


_WHOLE_WEEK = tuple((day, 0, MINUTES_PER_DAY) for day in range(7))


@lru_cache(maxsize=4096)
def parse_open_hours(text: str | None) -> Schedule:
    """Read opening hours in any accepted form; raise OpenHoursError saying what is wrong.

    Hours that cover the whole week (``00:00-24:00``, ``Mon-Sun 00:00-24:00``) are
    always open and read back as ``24h``. Results are cached: the importer meets
    the same few texts over and over.
    """
    cleaned = _clean(text)
    if not cleaned:
        raise OpenHoursError(_l("Please enter the opening hours."))
    if cleaned.replace(" ", "").lower() in ("24h", "24小时"):
        return Schedule(True, _WHOLE_WEEK, ALWAYS_OPEN)
    parts = _parts(cleaned)
    intervals = _intervals(parts)
    if intervals == _WHOLE_WEEK:
        return Schedule(True, _WHOLE_WEEK, ALWAYS_OPEN)
    source = "; ".join(
        " ".join(filter(None, (_days_text(p.days), f"{_clock(p.start)}-{_clock(p.end)}"))) for p in parts
    )
    return Schedule(False, intervals, source)


def normalise_open_hours(text: str | None) -> str:
    """The canonical spelling: ``24h``, ``08:00-20:00`` or ``Mon-Fri 08:00-20:00; Sat 09:00-17:00``."""
    return parse_open_hours(text).source


def is_open_at(schedule: Schedule, moment: datetime) -> bool:
    """Open at this instant, judged on the Beijing-time clock; closing times are exclusive.

    ``moment`` must be timezone-aware (the database stores UTC).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TypeError("is_open_at needs a timezone-aware datetime")
    if schedule.always_open:
        return True
    local = moment.astimezone(LOCAL_ZONE)
    day, minute = local.weekday(), local.hour * 60 + local.minute
    return any(d == day and start <= minute < end for d, start, end in schedule.intervals)


def next_opening(schedule: Schedule, moment: datetime) -> datetime | None:
    """The first minute at or after ``moment`` at which the station is open, in Beijing time.

    ``moment`` itself (to the minute) when it is open then; ``None`` when the hours never open
    (cannot happen for parsed hours, which always have a range) or are always open and so
    never "open" again. ``moment`` must be timezone-aware.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TypeError("next_opening needs a timezone-aware datetime")
    if schedule.always_open or not schedule.intervals:
        return None
    local = moment.astimezone(LOCAL_ZONE).replace(second=0, microsecond=0)
    midnight = local.replace(hour=0, minute=0)
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    # Eight days: today's later ranges, the six days after, and today's weekday a week on.
    for offset in range(8):
        day = (weekday + offset) % 7
        for d, start, end in schedule.intervals:  # sorted by day, then start
            if d != day:
                continue
            if offset == 0 and end <= minute:
                continue
            if offset == 0 and start <= minute:
                return local
            # Wall-clock arithmetic: Asia/Shanghai has no daylight saving.
            return (midnight + timedelta(days=offset, minutes=start)).replace(tzinfo=LOCAL_ZONE)
    return None


def is_overnight(start: str, end: str) -> bool:
    """True when a range closes the next day (``22:00``–``02:00``); ``24:00`` closes the same day."""
    return _minutes(end) < _minutes(start)


def weekly_table(schedule: Schedule) -> list[tuple[int, list[tuple[str, str]]]]:
    """For Monday (0) to Sunday (6), the ranges as written, e.g. ``[(0, [("08:00", "20:00")]), …]``.

    An overnight range is listed on the day it starts, as ``("22:00", "02:00")``;
    ``is_overnight`` tells the template to mark its end as the next day. A closed
    day has an empty list.
    """
    if schedule.always_open:
        return [(day, [("00:00", "24:00")]) for day in range(7)]
    parts = _parts(schedule.source)
    table = []
    for day in range(7):
        ranges = sorted({(p.start, p.end) for p in parts if day in p.days})
        table.append((day, [(_clock(start), _clock(end)) for start, end in ranges]))
    return table


def week_summary(schedule: Schedule) -> list[tuple[tuple[int, int], list[tuple[str, str]]]]:
    """The week in a few lines: runs of consecutive days with the same ranges, closed days left out.

    ``[((0, 4), [("08:30", "17:30")]), ((5, 5), [("09:00", "17:00")])]`` — Monday to Friday, then
    Saturday. Every day the same is one run ``(0, 6)``.
    """
    runs: list[tuple[tuple[int, int], list[tuple[str, str]]]] = []
    for day, ranges in weekly_table(schedule):
        if not ranges:
            continue
        if runs and runs[-1][1] == ranges and runs[-1][0][1] == day - 1:
            runs[-1] = ((runs[-1][0][0], day), ranges)
        else:
            runs.append(((day, day), ranges))
    return runs
