"""Hardship aid end to end at 390 px: the self-check, applying with two photos (one carrying GPS
EXIF, gone once stored), the grassroots union's home visit and recommendation, the county union's
approval, the public notice with the masked name, `flask jobs run --as-of` after the notice
period, the case file, a payment, and the member seeing it."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select, update

from portal.aid.models import AidApplication, SubsistenceStandard
from portal.core.time import local_now, local_today
from portal.extensions import db
from portal.unions.models import Union
from tests.aid.conftest import members  # noqa: F401  (the fixture: approved members of grassroots_a1)
from tests.browser.support import assert_no_serious_axe_problems, label, shot, sign_in


def _photo(colour, *, gps: bool) -> bytes:
    image = Image.new("RGB", (1200, 900), colour)
    out = io.BytesIO()
    if gps:
        exif = image.getexif()
        exif[0x010F] = "Apple"
        exif[0x8825] = {1: "N", 2: (45.0, 42.0, 36.0), 3: "E", 4: (126.0, 39.0, 0.0)}
        image.save(out, "JPEG", quality=90, exif=exif)
    else:
        image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _application(app, user) -> AidApplication:
    with app.app_context():
        found = db.session.scalars(select(AidApplication).where(AidApplication.applicant_id == user.id)).first()
        db.session.expunge_all()
        return found


def test_hardship_aid_from_self_check_to_a_payment_on_the_case_file(app, new_context, members, tree, make_user):  # noqa: F811
    with app.app_context():
        db.session.execute(update(Union).where(Union.id == tree["county_a1"].id).values(region_code="230110"))
        db.session.add(
            SubsistenceStandard(
                region_code="230110",
                area="urban",
                monthly_amount=Decimal("800"),
                effective_from=date(2026, 1, 1),
                is_demo=True,
            )
        )
        db.session.commit()
    applicant, grassroots = members["applicant"], members["grassroots"]
    county = make_user("staff", union=tree["county_a1"], name="刘洋")

    page = new_context().new_page()
    sign_in(page, applicant)

    # 1. 能申请吗？ The self-check gives the category and the way to apply.
    page.goto("/aid/check")
    page.get_by_label(label("家庭人口")).fill("3")
    page.get_by_label(label("收入")).fill("14400")
    page.get_by_label(label("近12个月自付医疗费用")).fill("9000")
    page.get_by_label(label("家庭所在地")).select_option("230110")
    page.get_by_role("button", name="开始测算").click()
    expect(page.locator("#outcome")).to_contain_text("深度困难")
    shot(page, "aid-1-check-outcome")
    page.get_by_role("link", name="申请困难帮扶").click()

    # 2. The form: the household (a second person added without JavaScript's help), causes, help, bank.
    expect(page).to_have_url(re.compile(r"/aid/apply$"))
    page.get_by_label(label("家庭所在地")).select_option("230110")
    page.locator('[name="members-0-age"]').fill("45")
    page.locator('[name="members-0-health"]').select_option("serious")
    page.locator('[name="members-0-occupation"]').fill("外卖骑手")
    page.locator('[name="members-0-monthly_income"]').fill("1200")
    page.get_by_role("button", name="再添加一位家庭成员").click()
    page.locator('[name="members-1-relation"]').select_option("spouse")
    page.locator('[name="members-1-name"]').fill("王秀英")
    page.locator('[name="members-1-age"]').fill("43")
    page.get_by_label(label("近12个月自付医疗费用")).fill("9000")
    page.get_by_label(label("主要致困原因")).select_option("illness")
    page.get_by_label(re.compile("家庭遇到的困难")).fill("今年三月确诊肾病，每周透析三次，家里只有我一个人有收入。")
    page.get_by_label(label("申请帮扶类型")).select_option("medical")
    page.get_by_label(label("申请金额（元）")).fill("5000")
    page.get_by_label(label("开户银行")).fill("中国工商银行")
    page.get_by_label(label("本人名下的银行卡号或账号")).fill("6222 0012 3456 7890 123")
    page.get_by_label(re.compile("我同意工会为办理本申请")).check()
    shot(page, "aid-2-apply-form")
    assert_no_serious_axe_problems(page, "aid apply form")
    page.get_by_role("button", name="保存，下一步上传材料").click()

    # 3. Two photos, one straight from an iPhone with its GPS position.
    expect(page).to_have_url(re.compile(r"/aid/applications/[\w-]+#documents$"))
    page.locator('input[type="file"][name="files"]').set_input_files(
        [
            {"name": "收入证明.jpg", "mimeType": "image/jpeg", "buffer": _photo((230, 230, 220), gps=False)},
            {"name": "IMG_0412.jpg", "mimeType": "image/jpeg", "buffer": _photo((200, 60, 60), gps=True)},
        ]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(".file-list .file-item")).to_have_count(2)
    application = _application(app, applicant)
    photo_links = page.locator(".file-list a.file-link")
    for i in range(2):
        body = page.request.get(photo_links.nth(i).get_attribute("href")).body()
        stored = Image.open(io.BytesIO(body))
        assert stored.format == "JPEG" and 0x8825 not in stored.getexif() and 0x010F not in stored.getexif()
    shot(page, "aid-3-documents")
    page.once("dialog", lambda dialog: dialog.accept())  # "现在就把申请提交给工会吗？"
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".status-big")).to_have_text("基层工会初审")
    shot(page, "aid-4-submitted")
    assert_no_serious_axe_problems(page, "aid application page")

    # 4. The grassroots union: the home visit, then its recommendation.
    staff_page = new_context().new_page()
    sign_in(staff_page, grassroots)
    staff_page.goto("/staff/reviews?mine=1")
    staff_page.get_by_role("link", name=re.compile("张三丰")).first.click()
    staff_page.get_by_text("记录入户走访", exact=True).click()
    staff_page.get_by_label(label("走访日期")).fill(str(local_today() - timedelta(days=1)))
    staff_page.get_by_label(label("走访人员")).fill("王芳（工会主席）、李强")
    staff_page.get_by_label(label("走访情况")).fill("两居室，丈夫透析，孩子上初中，家中无存款。")
    staff_page.get_by_role("button", name="保存走访记录").click()
    expect(staff_page.locator("#visits ~ ol.timeline").first).to_contain_text("两居室")
    staff_page.get_by_label(label("困难类别")).select_option("deep")
    staff_page.get_by_label(label("金额（元）")).fill("3000")
    shot(staff_page, "aid-5-first-review")
    assert_no_serious_axe_problems(staff_page, "aid first review")
    staff_page.get_by_role("button", name=re.compile("提出建议，转县级工会审批")).click()
    expect(staff_page.locator(".flash-success")).to_contain_text("已提出建议并转县级工会审批")

    # 5. The county union approves (the figures as recommended) and the case goes on notice.
    county_page = new_context().new_page()
    sign_in(county_page, county)
    county_page.goto(f"/staff/reviews/{application.public_id}")
    expect(county_page.locator(".subtitle")).to_contain_text("县级工会审批")
    county_page.get_by_role("button", name="审批通过并公示").click()
    county_page.goto("/aid/notices/CA1")
    expect(county_page.locator(".notice-entry")).to_contain_text("张**")
    expect(county_page.locator("main")).not_to_contain_text("张三丰")
    shot(county_page, "aid-6-notice")
    assert_no_serious_axe_problems(county_page, "aid notice page")

    # 6. The notice period passes. Days cannot pass in a test: the notice is moved back as if the
    # county had approved two weeks ago, then the jobs command replays the moment it ended.
    from portal.core.workflow import Application

    with app.app_context():
        moved = db.session.get(Application, application.id)
        moved.stage_due_at = moved.stage_due_at - timedelta(days=14)
        db.session.commit()
    due = _application(app, applicant).stage_due_at
    assert (
        app.test_cli_runner()
        .invoke(args=["jobs", "run", "--as-of", local_now(due - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")])
        .exit_code
        == 0
    )
    assert _application(app, applicant).stage == "notice"  # a minute before its end: still on notice
    as_of = local_now(due + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    assert _application(app, applicant).status == "approved"

    # 7. County staff record a payment on the case file.
    county_page.goto("/aid/staff/cases")
    county_page.get_by_role("link", name=re.compile("张三丰")).click()
    county_page.get_by_label(label("发放金额（元）")).fill("1500")
    county_page.get_by_label(label("发放日期")).fill(str(local_today()))
    county_page.get_by_label(label("凭证号（转账或凭单号）")).fill("ZF2026120501")
    county_page.get_by_role("button", name="登记发放").click()
    expect(county_page.locator("#payments")).to_contain_text("1,500.00")
    shot(county_page, "aid-7-case-file-staff")

    # 8. The member sees the case file and the payment, and every step on 我的办理.
    page.goto(f"/aid/applications/{application.public_id}")
    expect(page.locator("#case")).to_contain_text("1,500.00")
    expect(page.locator("#case")).to_contain_text("深度困难")
    shot(page, "aid-8-member-case-file")
    page.goto("/tracker")
    expect(page.locator("main")).to_contain_text("公示期满，无异议")
    shot(page, "aid-9-tracker")
    assert_no_serious_axe_problems(page, "tracker")
