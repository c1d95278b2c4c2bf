"""Validation of the identifiers people type on a phone.

Each function normalises what it can (full-width digits, spaces, a +86 prefix,
a lower-case x) and raises ``InvalidInput`` with a message that says what to fix.
Forms wrap them with ``portal.core.forms.checked``; services call them directly,
so a rule holds whichever way the data arrives.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.core.errors import DomainError
from portal.core.i18n import lazy_gettext as _l


class InvalidInput(DomainError):
    status_code = 422


# --- Text as people type it ----------------------------------------------------
#
# Chinese keyboards type full-width digits and letters (０-９, Ａ-Ｚ); identifiers fold them
# to ASCII and then accept only 0-9. Prose is never NFKC-folded: NFKC turns the Chinese
# punctuation ，。！？：；（） into ASCII. ``str.isdigit()`` and ``int()`` accept ², ١ and
# other digits, so they are never used on input.

_FULLWIDTH = {
    cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for cp in range(r[0], r[1] + 1)
}
_FULLWIDTH[0x3000] = 0x20  # ideographic space

# Control and format characters (NUL, escape codes, bidi overrides, zero-width joiners
# outside emoji are rare in this input) — never part of what someone meant to type.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")  # 18 digits always fit in 64 bits


def fold_fullwidth(value: str | None) -> str:
    """Full-width digits, Latin letters and the ideographic space as ASCII; nothing else."""
    return (value or "").translate(_FULLWIDTH)


def _drop_controls(value: str, keep: str = "") -> str:
    return "".join(c for c in value if c in keep or unicodedata.category(c) not in _CONTROL_CATEGORIES)


def _check_length(value: str, max_length: int | None, field: str | None) -> str:
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(
            _l("This can have at most %(count)d characters.", count=max_length),
            field=field,
        )
    return value


def clean_line(value: str | None, *, max_length: int | None = None, field: str | None = None) -> str:
    """One line of text (a name, an address, a title, a search box): punctuation kept as typed.

    NFC only (it composes, never changes punctuation); control characters dropped; runs of
    whitespace, line breaks included, become one space.
    """
    text = unicodedata.normalize("NFC", value or "")
    text = re.sub(r"\s+", " ", _drop_controls(text, keep="\t\n\r")).strip()
    return _check_length(text, max_length, field)


def clean_prose(value: str | None, *, max_length: int | None = None, field: str | None = None) -> str:
    """Free text of several lines (notes, replies, reasons): punctuation and line breaks kept."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _drop_controls(text, keep="\n\t")
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return _check_length(text, max_length, field)


def parse_int(
    raw: str | int | None,
    *,
    low: int | None = None,
    high: int | None = None,
    field: str | None = None,
    label: str | None = None,
) -> int:
    """A whole number typed or sent as ASCII digits (full-width folded); range-checked."""
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else fold_fullwidth(str(raw or "")).strip()
    name = label or field or ""
    if not _WHOLE_NUMBER.fullmatch(text):
        raise InvalidInput(_l("%(name)s must be a whole number written with the digits 0-9.", name=name), field=field)
    value = int(text)
    if low is not None and value < low or high is not None and value > high:
        if high is None:
            message = _l("%(name)s must be at least %(low)d.", name=name, low=low)
        elif low is None:
            message = _l("%(name)s must be at most %(high)d.", name=name, high=high)
        else:
            message = _l("%(name)s must be a whole number from %(low)d to %(high)d.", name=name, low=low, high=high)
        raise InvalidInput(message, field=field)
    return value


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def decimal_or_none(raw: str | float | None, *, low: float, high: float, places: int | None = None) -> float | None:
    """A number written with ASCII digits and a point (full-width folded) within [low, high], else None.

    ``float()`` alone would take "١٢", "nan", "infinity" and "1e-320" (a subnormal that PostgreSQL's
    geometric index cannot even store). ``places`` rounds to that many decimals (7 ≈ 1 cm on Earth).
    """
    text = fold_fullwidth(str(raw) if isinstance(raw, float | int) else raw or "").strip()
    if len(text) > 32 or not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    if places is not None:
        value = round(value, places) + 0.0  # + 0.0: no "-0.0"
    return value if math.isfinite(value) and low <= value <= high else None


# --- Money ------------------------------------------------------------------------

_MONEY = re.compile(r"[0-9]{1,12}(?:\.[0-9]{0,2})?")
MONEY_MAX = Decimal("100000000")  # ¥100 million: beyond any household's figures


def parse_coordinate(value, field: str) -> float:
    """A latitude (``field="lat"``) or longitude in range, stored to 7 decimals (about 1 cm: what a
    phone's GPS can tell, and never a subnormal float)."""
    low, high = (-90, 90) if field == "lat" else (-180, 180)
    number = decimal_or_none(value, low=low, high=high, places=7)
    if number is None:
        message = (
            _l("Latitude must be a number between -90 and 90.")
            if field == "lat"
            else _l("Longitude must be a number between -180 and 180.")
        )
        raise InvalidInput(message, field=field)
    return number


def parse_money(
    raw: str | int | Decimal | None,
    *,
    field: str | None = None,
    label: str | None = None,
    blank_is_zero: bool = False,
    high: Decimal = MONEY_MAX,
) -> Decimal:
    """An amount in yuan as typed: ASCII digits (full-width folded), at most two decimals, thousands
    separators and a leading ¥ or trailing 元 allowed — "36,000", "１２００.５", "¥800元"."""
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = fold_fullwidth(str(raw or "")).strip()
        text = text.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
        text = text.replace(",", "").replace("，", "").replace(" ", "")
    name = label or field or ""
    if not text:
        if blank_is_zero:
            return Decimal(0)
        raise InvalidInput(_l("Please enter %(name)s.", name=name), field=field)
    if not _MONEY.fullmatch(text):
        raise InvalidInput(
            _l("%(name)s must be an amount in yuan written with the digits 0-9, such as 36000 or 1200.50.", name=name),
            field=field,
        )
    value = Decimal(text)
    if value > high:
        raise InvalidInput(_l("%(name)s is too large.", name=name), field=field)
    return value


# --- Mainland mobile numbers ---------------------------------------------------

_BANK_ACCOUNT = re.compile(r"[0-9]{12,30}")


def parse_bank_account(value: str | None, *, field: str | None = "bank_account") -> str:
    """A bank card or account number: 12 to 30 digits 0-9 (full-width folded; spaces and hyphens
    as people group them are dropped)."""
    digits = fold_fullwidth(value).replace(" ", "").replace("-", "")
    if not digits:
        raise InvalidInput(_l("Please enter the bank account for the payment."), field=field)
    if not _BANK_ACCOUNT.fullmatch(digits):
        raise InvalidInput(_l("A bank account number has 12 to 30 digits."), field=field)
    return digits


_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalise_mobile(value: str | None) -> str:
    raw = re.sub(r"[\s\-()]", "", fold_fullwidth(value).replace("＋", "+").replace("－", "-"))
    if not raw:
        raise InvalidInput(_l("Please enter your mobile number."), field="phone")
    for prefix in ("+86", "0086"):
        if raw.startswith(prefix):
            raw = raw[len(prefix) :]
            break
    else:
        if raw.startswith("86") and len(raw) == 13:
            raw = raw[2:]
    if not _MOBILE.fullmatch(raw):
        raise InvalidInput(
            _l("Please enter an 11-digit mainland China mobile number, for example 13812345678."),
            field="phone",
        )
    return raw


# --- Resident identity card numbers (GB 11643-1999) ----------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CODES = "10X98765432"
_PROVINCE_CODES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46]
    + [50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]
)
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


GENDER_LABELS = {"male": _l("Male"), "female": _l("Female")}


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # "male" or "female"
    region_code: str

    @property
    def gender_label(self) -> str:
        return str(GENDER_LABELS[self.gender])

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CODES[total % 11]


def parse_id_number(value: str | None, *, today: date | None = None) -> IdNumber:
    """Validate an 18-character resident ID number and derive birth date and gender."""
    raw = re.sub(r"\s", "", fold_fullwidth(value)).upper()
    if not raw:
        raise InvalidInput(_l("Please enter your ID number."), field="id_number")
    if not _ID_SHAPE.fullmatch(raw):
        raise InvalidInput(
            _l("An ID number has 18 characters: 17 digits and a final digit or X."),
            field="id_number",
        )
    if int(raw[:2]) not in _PROVINCE_CODES:
        raise InvalidInput(_l("The first two digits of this ID number are not a valid region."), field="id_number")
    try:
        birth = date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise InvalidInput(
            _l("The birth date in this ID number does not exist; please check digits 7 to 14."),
            field="id_number",
        ) from None
    from portal.core.time import local_today  # here: core.time needs the database, validators do not

    today = today or local_today()
    if birth < EARLIEST_BIRTH_DATE or birth > today:
        raise InvalidInput(
            _l("The birth date in this ID number is not possible; please check digits 7 to 14."),
            field="id_number",
        )
    if id_check_digit(raw[:17]) != raw[17]:
        raise InvalidInput(
            _l("This ID number is not valid (the check digit does not match); please check it."),
            field="id_number",
        )
    gender = "male" if int(raw[16]) % 2 == 1 else "female"
    return IdNumber(value=raw, birth_date=birth, gender=gender, region_code=raw[:6])


# --- Names and passwords --------------------------------------------------------

_NAME = re.compile(r"[^\W\d_]+(?:[ ·•.\-][^\W\d_]+)*")
NAME_MAX = 50


def normalise_name(value: str | None) -> str:
    name = fold_fullwidth(clean_line(value))
    if not name:
        raise InvalidInput(_l("Please enter your real name."), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(_l("A name can have at most 50 characters."), field="name")
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            _l("A name may contain letters and Chinese characters, with · between parts."),
            field="name",
        )
    return name


PASSWORD_MIN = 8
PASSWORD_MAX = 64
_COMMON_PASSWORDS = frozenset(
    [
        "password",
        "password1",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "abc12345",
        "abcd1234",
        "a1234567",
        "a12345678",
        "qwerty123",
        "qwertyui",
        "1qaz2wsx",
        "qazwsx123",
        "iloveyou",
        "woaini1314",
        "admin123",
        "admin1234",
        "aa123456",
        "zxcvbnm1",
        "1q2w3e4r",
        "asdf1234",
        "asd12345",
        "abc123456",
        "111111aa",
        "5201314a",
    ]
)


def check_password_strength(password: str | None, *, phone: str | None = None) -> str:
    password = password or ""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(_l("The password must have at least 8 characters."), field="password")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(_l("The password can have at most 64 characters."), field="password")
    classes = sum(
        [
            any(c.isascii() and c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not (c.isascii() and c.isalnum()) for c in password),
        ]
    )
    if classes < 2:
        raise InvalidInput(
            _l("Use at least two of: letters, digits, symbols."),
            field="password",
        )
    if password.lower() in _COMMON_PASSWORDS or len(set(password)) <= 2:
        raise InvalidInput(_l("This password is too easy to guess; please choose another."), field="password")
    if phone and phone[-8:] in password:
        raise InvalidInput(_l("The password must not contain your mobile number."), field="password")
    return password
