"""Sign-up, sign-in and the profile, driven through real pages at phone size."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.support import label, shot, sign_in, tab
from tests.helpers import PASSWORD, unique_phone, valid_id_number

HOME = re.compile(r"/(\?.*)?$")


def _register(page, *, phone, name, id_number=""):
    page.get_by_label(label("手机号")).fill(phone)
    page.get_by_label(label("真实姓名")).fill(name)
    page.get_by_label(label("密码")).fill(PASSWORD)
    page.get_by_label(label("确认密码")).fill(PASSWORD)
    if id_number:
        page.get_by_label(label("身份证号（选填）")).fill(id_number)
    page.get_by_label(re.compile("我已阅读并同意")).check()
    page.get_by_role("button", name="注册", exact=True).click()


def test_register_sign_out_sign_in_and_edit_profile(page):
    phone = unique_phone()
    id_number = valid_id_number(birth="19900315")

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("职工服务，一站办理")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shot(page, "home-zh")

    # Register: the hero's 注册账号 link, the form, and straight in.
    page.get_by_role("link", name="注册账号").first.click()
    expect(page).to_have_url(re.compile(r"/auth/register$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("注册账号")
    shot(page, "register-zh")
    _register(page, phone=phone, name="王小明")
    expect(page).to_have_url(HOME)
    expect(page.get_by_role("status")).to_contain_text("欢迎！您的账号已创建。")
    expect(page.get_by_role("heading", level=1)).to_have_text("王小明，您好")

    # Sign out from 我的.
    tab(page, "我的").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("王小明")
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(HOME)
    expect(page.get_by_role("status")).to_contain_text("您已退出登录。")
    expect(page.get_by_role("heading", level=1)).to_have_text("职工服务，一站办理")

    # Sign in again through the form.
    page.get_by_role("link", name="登录", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    shot(page, "login-zh")
    page.get_by_label(label("手机号")).fill(phone)
    page.get_by_label(label("密码")).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(HOME)
    expect(page.get_by_role("heading", level=1)).to_have_text("王小明，您好")

    # Edit the profile: a new name and an ID number.
    tab(page, "我的").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("王小明")
    page.get_by_role("link", name="编辑资料").click()
    expect(page).to_have_url(re.compile(r"/me/edit$"))
    name_box = page.get_by_label(label("真实姓名"))
    expect(name_box).to_have_value("王小明")
    shot(page, "profile-edit-zh")
    name_box.fill("王晓明")
    page.get_by_label(label("身份证号")).fill(id_number)
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.get_by_role("status")).to_contain_text("已保存")
    expect(page.get_by_role("heading", level=1)).to_have_text("王晓明")
    facts = page.locator("dl.facts")
    masked = id_number[:4] + "*" * 13 + id_number[-1]
    expect(facts.locator("div", has=page.locator("dt", has_text="真实姓名")).locator("dd")).to_have_text("王晓明")
    expect(facts.locator("div", has=page.locator("dt", has_text="身份证号")).locator("dd")).to_have_text(masked)
    # Birth year and age only, beside the masked number (see core/masking.py).
    expect(facts.locator("div", has=page.locator("dt", has_text="出生年份与年龄")).locator("dd")).to_contain_text(
        "1990年生"
    )
    expect(page.locator("body")).not_to_contain_text("3月15日")
    expect(page.locator("body")).not_to_contain_text(id_number)
    shot(page, "profile-zh")


def test_language_switch_sticks_and_english_pages(page, make_user):
    user = make_user(name="李华", id_number=valid_id_number(birth="19851102"))

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"\?lang=en$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Services for workers, in one place")
    shot(page, "home-en")
    shot(page, "home-en-screen", full_page=False)

    # The choice sticks on the next page (no ?lang= in its URL).
    page.get_by_role("link", name="Create an account").first.click()
    expect(page).to_have_url(re.compile(r"/auth/register$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    shot(page, "register-en")

    page.get_by_role("link", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "login-en")

    sign_in(page, user, lang="en")
    # Not a tap on the tab bar's "Me": in English the header is wider than the phone (see
    # test_accessibility.py::test_no_sideways_scrolling), the page zooms out and the fixed tab
    # bar cannot be hit reliably.
    page.goto("/me")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("李华")
    expect(page.locator("dl.facts")).to_contain_text("born 1985, age")
    shot(page, "profile-en")

    # And back to Chinese, which sticks too.
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("dl.facts")).to_contain_text("1985年生")
    tab(page, "首页").click()
    expect(page).to_have_url(HOME)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("李华，您好")


def test_wrong_id_check_digit_is_shown_next_to_the_field(page):
    phone = unique_phone()
    good = valid_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")

    page.goto("/auth/register")
    _register(page, phone=phone, name="赵六", id_number=bad)

    expect(page).to_have_url(re.compile(r"/auth/register$"))
    id_box = page.get_by_label(label("身份证号（选填）"))
    expect(id_box).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_number-error")
    expect(error).to_have_text("身份证号无效（校验位不符），请核对。")
    # The message sits right under its own field and is announced with it.
    field = page.locator(".field", has=id_box)
    expect(field.locator(".error")).to_have_text("身份证号无效（校验位不符），请核对。")
    expect(id_box).to_have_attribute("aria-describedby", re.compile(r"\bid_number-error\b"))
    expect(page.get_by_role("alert")).to_contain_text("请")
    # Everything typed is kept, the passwords too: they were not the problem (issue 7, UX6).
    expect(page.get_by_label(label("手机号"))).to_have_value(phone)
    expect(page.get_by_label(label("真实姓名"))).to_have_value("赵六")
    expect(id_box).to_have_value(bad)
    expect(page.get_by_label(label("密码"))).to_have_value(PASSWORD)
    expect(page.get_by_label(label("确认密码"))).to_have_value(PASSWORD)
    shot(page, "register-error-zh")
    # What the phone's screen shows right after the submit, and once scrolled to the field.
    shot(page, "register-error-zh-screen", full_page=False)
    id_box.evaluate("e => e.scrollIntoView({block: 'center'})")
    shot(page, "register-error-zh-field", full_page=False)
    # Correcting the one field is enough: nothing else has to be typed again.
    id_box.fill(good)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page).to_have_url(HOME)
    expect(page.get_by_role("heading", level=1)).to_have_text("赵六，您好")


def test_large_text_toggle_grows_the_text_and_is_remembered(page):
    page.goto("/")
    expect(page.locator("html")).to_have_css("font-size", "16px")
    button = page.get_by_role("button", name="大字")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()

    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_css("font-size", "20px")
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    shot(page, "home-large-text-zh")

    # Remembered on the next page.
    page.get_by_role("link", name="登录", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.locator("html")).to_have_css("font-size", "20px")
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "true")
    shot(page, "login-large-text-zh")

    # And back, staying on the same page.
    page.get_by_role("button", name="大字").click()
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "false")
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.locator("html")).to_have_css("font-size", "16px")


def test_large_text_chosen_before_sign_in_stays_after_sign_in(page, make_user):
    user = make_user(name="老张")
    page.goto("/auth/login")
    page.get_by_role("button", name="大字").click()
    expect(page.locator("html")).to_have_css("font-size", "20px")
    sign_in(page, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("老张，您好")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_css("font-size", "20px", timeout=1000)


def test_register_and_profile_work_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/auth/register")
    _register(page, phone=unique_phone(), name="钱七")
    expect(page).to_have_url(HOME)
    expect(page.get_by_role("heading", level=1)).to_have_text("钱七，您好")
    tab(page, "我的").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("钱七")
    shot(page, "profile-nojs-zh")
