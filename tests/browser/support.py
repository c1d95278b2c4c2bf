"""Helpers shared by the browser tests: screenshots, signing in, labels, page checks."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

# A phone as most members will hold it: an iPhone-sized screen inside WeChat.
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN"
)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": PHONE_UA,
    "locale": "zh-CN",
}
DESK = {
    "viewport": {"width": 1280, "height": 800},
    "device_scale_factor": 1,
    "locale": "zh-CN",
}


def label(text: str) -> re.Pattern:
    """A field's label as the page shows it: the text, then " *" when the field is required.

    (A bare ``get_by_label("密码")`` would also match 确认密码.)
    """
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as tests/browser/screenshots/<name>.png.

    ``full_page``: the whole page, as tall as it is. Playwright's own full-page capture of a
    mobile (``is_mobile``) page leaves ``position: fixed`` elements where the phone's screen
    ends, so the tab bar would be drawn across the middle of a long form. Instead the
    viewport is stretched to the page's height for the capture, so the tab bar sits at the
    bottom of the picture, and then put back.
    ``full_page=False``: just what the phone's screen shows now.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_load_state()  # the stylesheet and the icon sprite are in
    size = page.viewport_size
    if not full_page or size is None:
        page.screenshot(path=str(path), animations="disabled")
        return path
    # The body's own height: the document's would grow with the stretched viewport.
    height = page.evaluate("Math.ceil(document.body.getBoundingClientRect().bottom + window.scrollY)")
    try:
        page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
        page.screenshot(path=str(path), animations="disabled")
    finally:
        page.set_viewport_size(size)
    return path


def sign_in(page: Page, user, *, lang: str = "zh") -> None:
    """Sign in through the real login form (Chinese or English labels)."""
    labels = {"zh": ("手机号", "密码", "登录"), "en": ("Mobile number", "Password", "Sign in")}[lang]
    page.goto("/auth/login")
    page.get_by_label(label(labels[0])).fill(user.phone)
    page.get_by_label(label(labels[1])).fill(user.test_password)
    page.get_by_role("button", name=labels[2], exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))


def tab(page: Page, name: str):
    """A link in the bottom tab bar."""
    return page.get_by_role("navigation", name=re.compile("主导航|Main navigation")).get_by_role(
        "link", name=name, exact=True
    )


def assert_no_serious_axe_problems(page: Page, name: str) -> None:
    """axe-core finds nothing serious or critical on the page (impact, rule and targets if it does)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    blocking = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not blocking, f"axe on {name}: {blocking}"
