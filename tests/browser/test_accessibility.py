"""Accessibility at phone size: axe-core, tap-target sizes, text sizes, no sideways scrolling."""

from __future__ import annotations

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.support import SCREENSHOTS, label, sign_in
from tests.helpers import valid_id_number

BLOCKING = ("critical", "serious")
_axe = Axe()


def _open_home(page, make_user):
    page.goto("/")


def _open_register(page, make_user):
    page.goto("/auth/register")


def _open_register_errors(page, make_user):
    page.goto("/auth/register")
    page.get_by_label(label("手机号")).fill("1380000")
    page.get_by_label(label("身份证号（选填）")).fill("230110199003150000")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.wait_for_load_state()


def _open_login(page, make_user):
    page.goto("/auth/login")


def _open_login_error(page, make_user):
    page.goto("/auth/login")
    page.get_by_label(label("手机号")).fill("13800000000")
    page.get_by_label(label("密码")).fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.wait_for_load_state()


def _open_profile(page, make_user):
    sign_in(page, make_user(name="张三", id_number=valid_id_number()))
    page.goto("/me")
    expect(page.get_by_role("heading", level=1)).to_have_text("张三")


PAGES = {
    "home": _open_home,
    "register": _open_register,
    "register-errors": _open_register_errors,
    "login": _open_login,
    "login-error": _open_login_error,
    "profile": _open_profile,
}


def _describe(violations) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            target = " ".join(json.dumps(t, ensure_ascii=False) for t in node["target"])
            fix = " / ".join(line.strip() for line in node.get("failureSummary", "").splitlines()[1:])
            lines.append(f"    at {target}: {fix}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_serious_problems(page, make_user, name):
    PAGES[name](page, make_user)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    results = _axe.run(page)
    violations = results.response["violations"]
    # Kept for whoever fixes the pages (the folder is git-ignored).
    (SCREENSHOTS / f"axe-{name}.json").write_text(
        json.dumps(violations, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    if violations:
        print(f"axe on {name} (all impacts):\n{_describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe found serious/critical problems on {name}:\n{_describe(blocking)}"


_TAP_TARGETS = """
() => [...document.querySelectorAll('.topbar a, .topbar button, .tabbar a')].map(e => {
  const r = e.getBoundingClientRect();
  return {what: e.outerHTML.slice(0, 80), text: e.innerText.trim(), width: r.width, height: r.height};
})
"""


@pytest.mark.parametrize("path", ["/", "/auth/register"])
def test_header_and_tab_bar_tap_targets_are_at_least_44px(page, path):
    page.goto(path)
    targets = page.evaluate(_TAP_TARGETS)
    assert len(targets) >= 7  # brand, language, text size; four tabs
    small = [t for t in targets if t["width"] < 44 or t["height"] < 44]
    assert not small, f"tap targets under 44×44 CSS px on {path}: {small}"
    # And through Playwright's own geometry, for the tab bar.
    for link in page.locator(".tabbar a").all():
        box = link.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, box


_TEXT_SIZES = """
(selector) => [...document.querySelectorAll(selector)]
  .filter(e => e.offsetParent !== null && e.innerText !== undefined)
  .map(e => ({what: e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''),
              text: (e.innerText || e.value || '').trim().slice(0, 30),
              px: parseFloat(getComputedStyle(e).fontSize)}))
"""
# Reading text, what people type, and what they press. Deliberately secondary text
# (hints, tile summaries, tags, tab labels) is allowed to be smaller.
_BODY_TEXT = (
    "body, main p:not(.hint):not(.small):not(.error):not(.error-code), main label, main input:not([type=checkbox]):not([type=radio]), main select, "
    "main textarea, main button, main .button, main dd, main dt, main h1, main h2"
)


@pytest.mark.parametrize("name", ["home", "register", "register-errors", "login", "profile"])
def test_body_text_is_at_least_16px(page, make_user, name):
    PAGES[name](page, make_user)
    sizes = page.evaluate(_TEXT_SIZES, _BODY_TEXT)
    assert sizes
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    small = [s for s in sizes if s["px"] < 16]
    assert not small, f"body text under 16px on {name}: {small}"


# --- No sideways scrolling at 390 px (WCAG 1.4.10 reflow) ------------------------------------------


@pytest.mark.parametrize(
    ("lang", "large"),
    [
        ("zh_CN", False),
        ("zh_CN", True),
        ("en", False),
        ("en", True),
    ],
    ids=["zh", "zh-large", "en", "en-large"],
)
def test_no_sideways_scrolling_at_phone_width(page, make_user, lang, large):
    page.goto(f"/?lang={lang}")
    if large:
        page.locator(".topbar button.chip").click()
        expect(page.locator(".topbar button.chip")).to_have_attribute("aria-pressed", "true")
    too_wide = {}
    for path in ("/", "/auth/register", "/auth/login"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    sign_in(page, make_user(name="张三"), lang="en" if lang == "en" else "zh")
    page.goto("/me")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 390:
        too_wide["/me"] = width
    assert not too_wide, f"pages wider than the 390 px phone: {too_wide}"


def test_register_fields_are_named_by_chinese_labels(page):
    """The form speaks Chinese to a screen reader too: labels, not placeholders, name the fields."""
    page.goto("/auth/register")
    for text in ("手机号", "真实姓名", "密码", "确认密码", "身份证号（选填）"):
        expect(page.get_by_label(label(text))).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("我已阅读并同意"))).to_be_visible()
