"""Mutual medical insurance at 390 px, as far as it is built: a rider sees the accident cover their
membership gave them, works out what a hospital bill would pay, joins next year's plan, and the
county union confirms the contribution; the rider then sees the cover and its dates."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.support import assert_no_serious_axe_problems, label, shot, sign_in
from tests.insurance.conftest import insured, plans, today  # noqa: F401  (fixtures)


def test_join_a_plan_with_an_estimate_and_the_union_confirms_it(new_context, insured, today):  # noqa: F811
    rider, county = insured["rider"], insured["county"]
    page = new_context().new_page()
    sign_in(page, rider)

    # 1. 互助保障: the accident cover given with membership, next year's plan open to join.
    page.goto("/insurance")
    expect(page.locator("#held-title ~ a.card-link").first).to_contain_text("新就业形态劳动者意外伤害互助")
    shot(page, "insurance-1-index")
    assert_no_serious_axe_problems(page, "insurance index")

    # 2. The plan's terms and what an 8,000 yuan bill would pay, line by line (a plain GET form).
    page.get_by_role("link", name=re.compile("2027年度")).first.click()
    page.get_by_label(label("可报销费用（元）")).fill("8000")
    page.get_by_role("button", name="计算").click()
    expect(page.locator(".calc-lines")).to_contain_text("超过起付线部分 7,500.00 × 50% = 3,750.00")
    expect(page.locator(".estimate-total")).to_contain_text("¥3,750.00")
    shot(page, "insurance-2-estimate")
    assert_no_serious_axe_problems(page, "insurance plan and estimate")

    # 3. Join: the consent box first (the browser holds the form back without it).
    consent = page.get_by_label(re.compile("我已阅读保障条款"))
    page.get_by_role("button", name="参加", exact=True).click()
    assert consent.evaluate("box => box.validity.valueMissing")
    consent.check()
    page.get_by_role("button", name="参加", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("¥60.00")
    expect(page.locator("#held-title ~ a.card-link", has_text="2027年度")).to_contain_text("待缴费")
    shot(page, "insurance-3-enrolled")

    # 4. The county union confirms the contribution.
    staff_page = new_context().new_page()
    sign_in(staff_page, county)
    staff_page.goto("/staff")
    staff_page.get_by_role("link", name=re.compile("互助保障缴费确认")).click()
    staff_page.get_by_role("link", name=re.compile("王骑手")).click()
    staff_page.get_by_label(label("收据号或转账流水号")).fill("HX-2026-0412")
    shot(staff_page, "insurance-4-confirm")
    assert_no_serious_axe_problems(staff_page, "insurance confirm payment")
    staff_page.once("dialog", lambda dialog: dialog.accept())
    staff_page.get_by_role("button", name="已收到互助金").click()
    expect(staff_page.locator(".flash-success")).to_contain_text("王骑手")

    # 5. The rider is covered from 1 January, after the waiting period of a first enrolment.
    page.reload()
    card = page.locator("#held-title ~ a.card-link", has_text="2027年度")
    expect(card).to_contain_text("保障中")
    expect(card).to_contain_text("2027年1月1日")
    expect(card).to_contain_text("等待期至2027年4月1日")
    shot(page, "insurance-5-covered")
