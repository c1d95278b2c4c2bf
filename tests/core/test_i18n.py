"""Chinese by default, English on request; the choice sticks; dates and money read naturally."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from portal.core import i18n

CATALOGUE = Path(__file__).resolve().parents[2] / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_default_is_simplified_chinese(client):
    r = client.get("/")
    assert html_lang(r) == "zh-CN"
    assert "职工服务门户" in r.get_data(as_text=True)
    assert "<title>首页 · 职工服务门户</title>" in r.get_data(as_text=True)


def test_lang_parameter_switches_and_sticks(client):
    r = client.get("/?lang=en")
    assert html_lang(r) == "en"
    assert "Workers&#39; Service Portal" in r.get_data(as_text=True)
    cookie = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("lang=")][0]
    assert "lang=en" in cookie and "Max-Age" in cookie
    assert html_lang(client.get("/services")) == "en"  # sticks without the parameter
    assert html_lang(client.get("/services?lang=zh_CN")) == "zh-CN"
    assert html_lang(client.get("/")) == "zh-CN"


def test_switch_link_keeps_the_page_and_its_query(client):
    html = client.get("/privacy?x=1").get_data(as_text=True)
    assert 'href="/privacy?x=1&amp;lang=en"' in html


@pytest.mark.parametrize(
    "header, expected",
    [
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("fr-FR,fr;q=0.9", "zh-CN"),
        ("fr-FR,en;q=0.5", "en"),
    ],
)
def test_accept_language_is_honoured_when_nothing_was_chosen(client, header, expected):
    assert html_lang(client.get("/", headers={"Accept-Language": header})) == expected


def test_cookie_choice_beats_accept_language(client):
    client.set_cookie("lang", "zh_CN")
    assert html_lang(client.get("/", headers={"Accept-Language": "en-US"})) == "zh-CN"


def test_unknown_lang_values_are_ignored(client):
    r = client.get("/?lang=<script>")
    assert html_lang(r) == "zh-CN"
    assert not [c for c in r.headers.getlist("Set-Cookie") if c.startswith("lang=")]


def test_zh_catalogue_is_complete():
    """No entry of the Simplified Chinese catalogue may be missing or fuzzy."""
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh)
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == []
    assert len(catalogue) > 150


def test_catalogue_covers_every_message_in_the_code(tmp_path):
    """Extracting again finds no message that the catalogue lacks (someone forgot `make translations`)."""
    from babel.messages.frontend import CommandLineInterface

    root = Path(__file__).resolve().parents[2]
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(root / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "-o",
            str(pot),
            str(root),  # babel.cfg's patterns are relative to the project: portal/**.py
        ]
    )
    with pot.open("rb") as fh:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with CATALOGUE.open("rb") as fh:
        translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    assert len(extracted) > 1000  # the extraction really read the code (it once found none at all)
    assert sorted(extracted - translated) == []


def test_dates_times_and_money_read_naturally(app):
    moment = datetime(2026, 11, 25, 7, 40, tzinfo=UTC)  # 15:40 in Shanghai
    with app.test_request_context("/?lang=zh_CN"):
        with force_locale("zh_CN"):
            assert i18n.fmt_date(moment) == "2026年11月25日"
            assert i18n.fmt_datetime(moment) == "2026年11月25日 15:40"
            assert i18n.fmt_money(Decimal("1234.5")) == "¥1,234.50"
            assert i18n.fmt_distance(350) == "350米"
            assert i18n.fmt_distance(1234) == "1.2公里"
            assert i18n.fmt_ago(moment, now=datetime(2026, 11, 25, 7, 43, tzinfo=UTC)) == "3分钟前"
        with force_locale("en"):
            assert i18n.fmt_date(moment) == "Nov 25, 2026"
            assert i18n.fmt_datetime(moment) == "Nov 25, 2026 3:40\u202fPM"
            assert i18n.fmt_money(Decimal("1234.5")) == "CN¥1,234.50"
            assert i18n.fmt_distance(1234) == "1.2 km"
