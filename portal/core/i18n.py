"""Language choice and the way dates, money and distances read in each language.

The language is chosen, in order, by ``?lang=`` (which also sets a cookie so the
choice sticks), the ``lang`` cookie, the browser's ``Accept-Language``, and
finally Simplified Chinese.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.lists import format_list
from flask import current_app, g, request
from flask.globals import _cv_app
from flask_babel import (
    format_currency,
    format_date,
    format_decimal,
    format_time,
    format_timedelta,
    get_locale,
    get_translations,
)
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup

LANG_COOKIE = "lang"
DEFAULT_LANGUAGE = "zh_CN"

# What people (and browsers) write → the locale we serve.
_ALIASES = {
    "zh": "zh_CN",
    "zh_cn": "zh_CN",
    "zh-cn": "zh_CN",
    "zh_hans": "zh_CN",
    "zh-hans": "zh_CN",
    "zh_hans_cn": "zh_CN",
    "zh-hans-cn": "zh_CN",
    "en": "en",
    "en_us": "en",
    "en-us": "en",
    "en_gb": "en",
    "en-gb": "en",
}


def normalise_language(value: str | None) -> str | None:
    if not value:
        return None
    return _ALIASES.get(value.strip().lower())


def _from_accept_language() -> str | None:
    for tag, _quality in request.accept_languages:
        tag = tag.lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return None


# Parsing a locale name costs Babel a scan of its locale list (~0.3 ms) on every request;
# there are two languages, so each is parsed once.
_LOCALES: dict[str, Locale] = {}


def _locale(code: str) -> Locale:
    locale = _LOCALES.get(code)
    if locale is None:
        locale = _LOCALES[code] = Locale.parse(code)
    return locale


def select_locale() -> Locale:
    if not request:
        return _locale(DEFAULT_LANGUAGE)
    chosen = normalise_language(request.args.get("lang"))
    if chosen:
        g.new_language = chosen
        return _locale(chosen)
    return _locale(
        normalise_language(request.cookies.get(LANG_COOKIE))
        or _from_accept_language()
        or current_app.config.get("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    )


def remember_language(response):
    """after_request: a ``?lang=`` choice sticks for a year."""
    language = g.get("new_language")
    if language:
        response.set_cookie(
            LANG_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
        )
    return response


def current_language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def html_lang() -> str:
    return "en" if current_language() == "en" else "zh-CN"


# --- Formatting filters -------------------------------------------------------------


# Babel builds each date and time from its pattern on every call (30–70 µs): a list of twenty rows
# spent a millisecond on it. The text depends only on the language and the local day (or the
# local hour and minute), so it is kept once made. Times are shown in Asia/Shanghai (the app's
# BABEL_DEFAULT_TIMEZONE); a naive datetime is UTC, as Flask-Babel takes it.
_SHOWN_ZONE = ZoneInfo("Asia/Shanghai")
_formatted: dict[tuple, str] = {}
_FORMATTED_MAX = 20_000


def _local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(_SHOWN_ZONE)


def _remember(key: tuple, make) -> str:
    text = _formatted.get(key)
    if text is None:
        if len(_formatted) >= _FORMATTED_MAX:
            _formatted.clear()
        text = _formatted[key] = make()
    return text


def fmt_date(value) -> str:
    if value is None:
        return ""
    language = current_language()
    day = _local(value).date() if isinstance(value, datetime) else value
    return _remember(("date", language, day), lambda: format_date(day, "long" if language == "zh_CN" else "medium"))


def fmt_time(value) -> str:
    if value is None:
        return ""
    local = _local(value)
    return _remember(("time", current_language(), local.hour, local.minute), lambda: format_time(value, "short"))


def fmt_datetime(value) -> str:
    """Nov 25, 2026 3:40 PM / 2026年11月25日 15:40 — in Asia/Shanghai."""
    if value is None:
        return ""
    return f"{fmt_date(value)} {fmt_time(value)}"


def fmt_ago(value: datetime | None, now: datetime | None = None) -> str:
    """3 minutes ago / 3分钟前; falls back to the date after a week."""
    if value is None:
        return ""
    delta = value - (now or datetime.now(UTC))
    if -delta > timedelta(days=7):
        return fmt_date(value)
    if -delta < timedelta(minutes=1):
        return _("just now")
    return format_timedelta(delta, add_direction=True, threshold=1.1)


def fmt_number(value) -> str:
    """1,000 — grouped in the reader's locale."""
    if value is None:
        return ""
    return format_decimal(value)


def fmt_amount(amount) -> str:
    """7,500.00 — an amount in yuan with its fen, grouped, without the currency sign (a calculation
    line: "超过起付线部分 7,500.00 × 50% = 3,750.00")."""
    if amount is None:
        return ""
    # Both languages group with "," and mark the fen with ".": Python's own formatting, which is
    # ten times quicker than Babel's pattern (five of these make an estimate's lines).
    return f"{Decimal(str(amount)):,.2f}"


def fmt_percent(rate) -> str:
    """0.5 → 50%; 0.125 → 12.5% (a share written as a fraction)."""
    if rate is None:
        return ""
    return f"{(Decimal(str(rate)) * 100).normalize():f}%"


def fmt_money(amount) -> str:
    """¥1,234.50 in Chinese, CN¥1,234.50 in English."""
    if amount is None:
        return ""
    return format_currency(Decimal(str(amount)), "CNY")


def fmt_distance(metres) -> str:
    """350米 / 1.2公里 — whole metres below a kilometre, one decimal above."""
    if metres is None:
        return ""
    metres = float(metres)
    if metres < 1000:
        return _("%(n)d m", n=round(metres))
    km = metres / 1000
    return _("%(n)s km", n=f"{km:.1f}" if km < 100 else f"{km:.0f}")


# --- In pages ------------------------------------------------------------------------------
# The fmt_* functions give plain text (exports, messages). Pages get the time of day in a
# no-wrap span: "8:54 AM" must not break across lines — Babel's narrow no-break space does not
# hold inside containers that break anywhere (long IDs in a facts list, narrow table cells).


def _unbroken(text: str) -> Markup:
    return Markup('<span class="nowrap">{}</span>').format(text) if text else Markup("")


def html_time(value) -> Markup:
    return _unbroken(fmt_time(value))


def html_datetime(value) -> Markup:
    """The date and the unbroken time; kept per language and local minute, as the text is (a list
    shows one per row)."""
    if value is None:
        return Markup("")
    local = _local(value)
    key = ("html", current_language(), local.date(), local.hour, local.minute)
    return _remember(key, lambda: Markup("{} {}").format(fmt_date(value), _unbroken(fmt_time(value))))


def weekday_names() -> list[str]:
    """Monday … Sunday in the reader's language (opening hours' tables, "opens on …")."""
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def fmt_list(items) -> str:
    """申请入会、找驿站和职工书屋 / Join the union, Rest stations and Worker libraries."""
    names = [str(item) for item in items]
    return format_list(names, locale=get_locale() or _locale(DEFAULT_LANGUAGE)) if names else ""


FILTERS = {
    "and_list": fmt_list,
    "date": fmt_date,
    "datetime": html_datetime,
    "time": html_time,
    "ago": fmt_ago,
    "money": fmt_money,
    "amount": fmt_amount,
    "percent": fmt_percent,
    "number": fmt_number,
    "distance": fmt_distance,
}


# --- Translations in templates --------------------------------------------------------------
#
# Flask-Babel looks the catalogue up again for every string a template translates (context,
# domain, cache key): a page with a hundred strings spent a third of its time there. The
# catalogue for a locale never changes while the process runs, so templates keep one per
# locale; the locale is still asked for each time, so ``force_locale`` (messages rendered in
# the reader's language) keeps working.

_catalogues: dict = {}
# The last (locale, catalogue) pair: a page asks 80–90 times for the same one. Compared by
# identity (the locales of requests are the same cached objects, see _locale), read in one step.
_last: tuple = (object(), None)


def _catalogue():
    try:  # Flask-Babel keeps the request's locale here (force_locale changes it too); the app
        # context straight from Flask's context variable, not through the ``g`` proxy (a page's
        # 80–90 lookups cost 0.3 ms that way)
        locale = _cv_app.get().g._flask_babel.babel_locale
    except (AttributeError, LookupError):  # not chosen yet, or no app context at all
        locale = get_locale()
    global _last
    last = _last
    if last[0] is locale:
        return last[1]
    catalogue = _catalogues.get(locale)
    if catalogue is None:
        catalogue = get_translations()
        if locale is None:
            return catalogue
        _catalogues[locale] = catalogue
    _last = (locale, catalogue)
    return catalogue


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext`` without its per-call context lookups (same result, same ``%`` rule)."""
    translated = _catalogue().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _catalogue().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """Translated when shown, in the reader's language (labels defined at import time)."""
    return LazyString(gettext, string, **variables)


_ = gettext


def install_template_gettext(app) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # ``_()`` is most of what a page calls: Jinja's newstyle wrapper goes through three
    # ``Context.call``s per string. These do the same in one (the translation is the format
    # string, always formatted, variables escaped where the template autoescapes).
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables) -> str:
    translated = _catalogue().ugettext(string)
    return (Markup(translated) if eval_ctx.autoescape else translated) % variables  # noqa: S704 (the catalogue is ours; variables are escaped)


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    translated = _catalogue().ungettext(singular, plural, num)
    return (Markup(translated) if eval_ctx.autoescape else translated) % variables  # noqa: S704 (the catalogue is ours; variables are escaped)
