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


def test_claim_with_papers_and_a_live_estimate_then_two_stage_approval(app, new_context, insured, monkeypatch):  # noqa: F811
    """A covered rider claims for a hospital stay: the estimate follows the figures as they are
    typed (JavaScript asking the estimate API), photos of the papers, sending; the grassroots union
    checks the documents, the county union approves the payout; the rider reads the calculation."""
    import io
    from datetime import date

    from PIL import Image

    from portal.accounts.models import User
    from portal.extensions import db
    from portal.insurance import claims, services
    from portal.insurance.views import claims as claim_views

    day = date(2026, 6, 30)
    monkeypatch.setattr(claims, "local_today", lambda moment=None: day)
    monkeypatch.setattr(claim_views, "local_today", lambda moment=None: day)
    with app.app_context():
        plan = next(p for p in services.plans() if p.code == "HOSP-2026")
        enrolment = services.enrol_self(db.session.get(User, insured["rider"].id), plan, date(2025, 12, 10))
        services.confirm_payment(enrolment, db.session.get(User, insured["county"].id), today=date(2025, 12, 20))
        db.session.commit()

    page = new_context().new_page()
    sign_in(page, insured["rider"])
    page.goto("/insurance")
    page.get_by_role("link", name=re.compile("申请理赔：在职职工住院医疗互助保障（2026年度）")).click()

    # 1. The details; the estimate appears as the amounts are typed.
    page.get_by_label(label("入院日期")).fill("2026-05-01")
    page.get_by_label(label("出院日期")).fill("2026-05-08")
    page.get_by_label(label("医院")).fill("哈尔滨医科大学附属第一医院")
    page.get_by_label(label("诊断")).fill("急性阑尾炎")
    page.get_by_label(label("医疗总费用（元）")).fill("20000")
    page.get_by_label(label("基本医保统筹支付（元）")).fill("9000")
    page.get_by_label(label("大病保险支付（元）")).fill("2000")
    page.get_by_label(label("目录外自费（元）")).fill("1000")
    page.get_by_label(label("发票号码")).fill("HX20260501 HX20260502")
    expect(page.locator("#claim-estimate .calc-lines")).to_contain_text("超过起付线部分 7,500.00 × 50% = 3,750.00")
    expect(page.locator("#claim-estimate .estimate-total")).to_contain_text("¥3,750.00")
    shot(page, "insurance-6-claim-form")
    assert_no_serious_axe_problems(page, "insurance claim form")
    page.get_by_role("button", name="保存，下一步上传材料").click()

    # 2. Photos of the papers, then send.
    image = io.BytesIO()
    Image.new("RGB", (900, 1200), (240, 240, 230)).save(image, "JPEG", quality=85)
    page.locator('input[type="file"][name="files"]').set_input_files(
        [{"name": "发票.jpg", "mimeType": "image/jpeg", "buffer": image.getvalue()}]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(".file-list .file-item")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交理赔申请").click()
    expect(page.locator(".status-big")).to_have_text("基层工会审核材料")
    shot(page, "insurance-7-claim-sent")

    # 3. The grassroots union checks the documents.
    staff_page = new_context().new_page()
    sign_in(staff_page, insured["grassroots"])
    staff_page.goto("/staff/reviews?mine=1")
    staff_page.get_by_role("link", name=re.compile("王骑手")).first.click()
    staff_page.get_by_role("button", name="通过，转县级工会核定互助金").click()
    expect(staff_page.locator(".flash-success")).to_be_visible()

    # 4. The county union approves the payout worked out now, and records the payment.
    county_page = new_context().new_page()
    sign_in(county_page, insured["county"])
    county_page.goto("/staff/reviews?mine=1")
    county_page.get_by_role("link", name=re.compile("王骑手")).first.click()
    expect(county_page.locator(".estimate-total")).to_contain_text("¥3,750.00")
    county_page.get_by_label(label("发放日期")).fill("2026-06-30")
    county_page.get_by_label(label("凭证号（转账或凭单号）")).fill("HX-PAY-1")
    shot(county_page, "insurance-8-county-approval")
    assert_no_serious_axe_problems(county_page, "insurance county approval")
    county_page.once("dialog", lambda dialog: dialog.accept())
    county_page.get_by_role("button", name="核定互助金并登记支付").click()
    expect(county_page.locator(".flash-success")).to_contain_text("¥3,750.00")

    # 5. The rider reads the payout and how it was worked out.
    page.reload()
    expect(page.locator(".status-big")).to_have_text("已支付")
    expect(page.locator("#payout .calc-lines")).to_contain_text("超过起付线部分 7,500.00 × 50% = 3,750.00")
    expect(page.locator("#payout .estimate-total")).to_contain_text("¥3,750.00")
    shot(page, "insurance-9-paid")
    assert_no_serious_axe_problems(page, "insurance claim paid")


def test_the_staff_roster_and_the_admin_plan_form_at_390(new_context, insured, today):  # noqa: F811
    """Ticking members from the roster, and the admin's plan form: usable at 390 px, no sideways
    scrolling, no serious axe findings."""
    staff_page = new_context().new_page()
    sign_in(staff_page, insured["county"])
    staff_page.goto("/staff")
    staff_page.get_by_role("link", name=re.compile("互助保障会员参保")).click()
    expect(staff_page.locator(".review-row")).to_have_count(2)
    staff_page.get_by_label("选择王骑手").check()
    shot(staff_page, "insurance-10-roster")
    assert_no_serious_axe_problems(staff_page, "insurance roster")
    assert staff_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    staff_page.once("dialog", lambda dialog: dialog.accept())
    staff_page.get_by_role("button", name="为勾选的会员参保").click()
    expect(staff_page.locator(".flash-success")).to_contain_text("已参保1人")

    admin_page = new_context().new_page()
    sign_in(admin_page, insured["admin"])
    admin_page.goto("/insurance/admin/plans")
    admin_page.locator(".list-item", has_text="HOSP-2026").get_by_role("link", name="新建下一年度版本").click()
    expect(admin_page.get_by_label(label("项目编号"))).to_have_value("HOSP-2027")
    shot(admin_page, "insurance-11-admin-plan-form")
    assert_no_serious_axe_problems(admin_page, "insurance admin plan form")
    assert admin_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
