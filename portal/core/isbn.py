"""ISBNs as people type them (hyphens, spaces, full-width digits, an "ISBN:" label, ISBN-10) read
as their 13 digits, the check digit verified; and shown again as 978-….

Split from ``validators`` (one subject a module): ``InvalidInput`` and ``fold_fullwidth`` are
theirs."""

from __future__ import annotations

import re

from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, fold_fullwidth

_ISBN_SEPARATORS = str.maketrans("", "", " \t\u00a0-‐‑‒–—−－")  # no-break space: from a web page; －: full-width
# "ISBN", "ISBN:", "ISBN-13:", "ISBN-10 …" in front (separators already gone): the 13 or 10 is the
# label's only when an ISBN of that shape follows it.
_ISBN_LABEL = re.compile(r"ISBN(?:1[03](?=[:：]|97[89][0-9]{10}$|[0-9]{9}[0-9X]$))?[:：]?")


def isbn13_check_digit(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def parse_isbn(value: str | None, *, field: str | None = "isbn") -> str:
    """An ISBN as its 13 digits: hyphens and spaces dropped, full-width digits folded, the check
    digit verified; an ISBN-10 (its last character may be X) is converted to ISBN-13 (978…)."""
    text = fold_fullwidth(value or "").translate(_ISBN_SEPARATORS).strip().upper()
    label = _ISBN_LABEL.match(text)
    if label:
        text = text[label.end() :]
    if re.fullmatch(r"[0-9]{13}", text):
        if not text.startswith(("978", "979")):
            raise InvalidInput(_l("An ISBN-13 starts with 978 or 979."), field=field)
        if isbn13_check_digit(text[:12]) != text[12]:
            raise InvalidInput(_l("This ISBN's last digit does not match: please check it."), field=field)
        return text
    if re.fullmatch(r"[0-9]{9}[0-9X]", text):
        total = sum((10 - i) * int(d) for i, d in enumerate(text[:9])) + (10 if text[9] == "X" else int(text[9]))
        if total % 11:
            raise InvalidInput(_l("This ISBN's last digit does not match: please check it."), field=field)
        body = "978" + text[:9]
        return body + isbn13_check_digit(body)
    raise InvalidInput(_l("An ISBN has 13 digits (or 10, the last of which may be X)."), field=field)


def format_isbn13(isbn: str) -> str:
    """978-7-… is read more easily than 13 digits in a row; only the prefix is split off."""
    return f"{isbn[:3]}-{isbn[3:]}" if len(isbn) == 13 else isbn
