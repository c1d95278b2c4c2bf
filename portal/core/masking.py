"""How sensitive values look on screen: enough to recognise, not enough to misuse.

The masked ID number is shown next to other facts about the person (name, gender, birth
year and age); together they must not narrow the number down to a few candidates, or the
logged reveal (``staff.services.reveal_sensitive``) could be bypassed by guessing. The reasoning
is in docs/architecture.md ("Sensitive personal information"): show the region of issue and the
check character only, and of the birth date only the year and the age — never month and day.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from portal.core.i18n import gettext as _

_LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def mask_id_number(value: str | None) -> str:
    """2301*************7 — the first four characters (province and city) and the last one."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 5) + value[-1:]


def mask_phone(value: str | None) -> str:
    """138****0001"""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张* / 欧阳** / J*** — keeps the first character (a surname) only."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    return years - ((today.month, today.day) < (birth_date.month, birth_date.day))


def birth_summary(birth_date: date | None, today: date | None = None) -> str:
    """ "1990年生，36岁" / "born 1990, age 36": the birth year and the age, never the month and day."""
    if birth_date is None:
        return ""
    today = today or datetime.now(_LOCAL_ZONE).date()
    return _("born %(year)d, age %(age)d", year=birth_date.year, age=age_on(birth_date, today))
