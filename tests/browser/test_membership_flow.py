"""The flagship flow: a rider joins through a poster's link, county staff approve at the desk,
the rider gets the message and the card, and a merchant's scan of the card's QR says 有效会员.
Also at 360 px: the join landing, the reject confirmation (without JavaScript and with it), the
needs-info reply seen from both sides, and the live member card."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.support import PHONE, assert_no_serious_axe_problems, label, shot, sign_in
from tests.helpers import PASSWORD, unique_phone, valid_id_number


def _decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code could be read from the card"
    return found[0].text


def test_rider_joins_through_a_poster_and_gets_a_verifiable_card(page, desk_page, new_context, make_user, tree):
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    phone = unique_phone()

    # 1. The rider scans the poster of the rider federation: the union's join page, then register.
    page.goto("/membership/join/GA1")
    expect(page.get_by_role("heading", level=1)).to_have_text("香坊区快递外卖配送行业工会联合会")
    page.get_by_role("link", name="注册并申请入会").click()
    page.get_by_label(label("手机号")).fill(phone)
    page.get_by_label(label("真实姓名")).fill("李强")
    page.get_by_label(label("密码")).fill(PASSWORD)
    page.get_by_label(label("确认密码")).fill(PASSWORD)
    page.get_by_label(re.compile("我已阅读并同意")).check()
    page.get_by_role("button", name="注册", exact=True).click()

    # 2. Back on the form, with the federation chosen and the name filled in.
    expect(page).to_have_url(re.compile(r"/membership/apply/form\?union=GA1"))
    expect(page.locator(".chosen-name")).to_have_text("香坊区快递外卖配送行业工会联合会")
    expect(page.get_by_label(label("真实姓名"))).to_have_value("李强")
    page.get_by_label(label("身份证号")).fill(valid_id_number(birth="19950412", seq="131"))
    page.get_by_label(label("学历")).select_option(label="高中、中专或技校")
    page.get_by_label("外卖骑手").check()
    page.get_by_label(re.compile("所在平台或公司")).select_option(label="美团")
    page.get_by_label(re.compile("工作单位、站点或团队")).fill("香坊站")
    page.get_by_label(re.compile("我同意工会为办理入会处理我的个人信息")).check()
    shot(page, "membership-form-zh")
    assert_no_serious_axe_problems(page, "membership form")
    page.get_by_role("button", name="提交申请").click()

    # 3. The status page with its timeline.
    expect(page).to_have_url(re.compile(r"/membership/applications/[\w-]+$"))
    expect(page.locator(".status-big")).to_have_text("已提交")
    expect(page.locator(".timeline")).to_contain_text("已提交")
    shot(page, "membership-status-zh")
    assert_no_serious_axe_problems(page, "membership status")

    # 4. The county union's staff approve it at the desk.
    sign_in(desk_page, staff)
    desk_page.goto("/staff/reviews")
    expect(desk_page.get_by_role("link", name=re.compile("李强"))).to_be_visible()
    shot(desk_page, "staff-queue-desk")
    assert_no_serious_axe_problems(desk_page, "staff queue")
    desk_page.get_by_role("link", name=re.compile("李强")).click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("李强的申请")
    expect(desk_page.locator(".facts")).to_contain_text("2301**********")
    shot(desk_page, "staff-review-detail-desk")
    desk_page.get_by_role("button", name="通过", exact=True).click()
    expect(desk_page.get_by_role("status")).to_contain_text("已通过，已通知申请人")

    # 5. The rider sees the message (with its unread count) and the card.
    page.goto("/")
    expect(page.locator(".tabbar .badge")).to_be_visible()
    page.locator(".tabbar").get_by_role("link", name=re.compile("消息")).click()
    expect(page.get_by_text("欢迎加入工会！")).to_be_visible()
    page.goto("/me/card")
    card = page.locator("img.member-card")
    expect(card).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.member-card').naturalWidth > 0")
    expect(page.locator(".card-caption")).to_contain_text("每分钟自动刷新")
    expect(page.locator(".card-caption")).not_to_contain_text("长按")
    shot(page, "member-card-zh")
    assert_no_serious_axe_problems(page, "member card")
    url = _decode_qr(card.screenshot())
    assert re.search(r"/verify/[\w.\-]+$", url), url

    # 6. A merchant (not signed in) scans it.
    merchant = new_context().new_page()
    merchant.goto(url)
    expect(merchant.get_by_role("heading", level=1)).to_have_text("有效会员")
    expect(merchant.locator(".verify")).to_contain_text("李*")
    expect(merchant.locator(".verify")).to_contain_text("香坊区快递外卖配送行业工会联合会")
    expect(merchant.locator(".verify")).to_contain_text("核验时间")
    shot(merchant, "verify-valid-zh")
    merchant.goto(url[:-2] + "xx")
    expect(merchant.get_by_role("heading", level=1)).to_have_text("无效")


def test_chooser_and_transfer_pages_at_phone_size(page, make_user, make_application, tree):
    worker = make_user(name="周杰", id_number=valid_id_number())
    sign_in(page, worker)
    page.goto("/membership/apply?employment_type=courier&q=工会")
    expect(page.get_by_role("heading", name="可加入的工会")).to_be_visible()
    shot(page, "membership-choose-zh")
    assert_no_serious_axe_problems(page, "union chooser")
    page.get_by_role("link", name=re.compile("选择 香坊区快递外卖配送行业工会联合会")).click()
    expect(page.locator(".chosen-name")).to_have_text("香坊区快递外卖配送行业工会联合会")


def test_staff_print_the_join_poster_of_their_union(desk_page, make_user, tree):
    sign_in(desk_page, make_user("staff", union=tree["county_a1"]))
    desk_page.goto("/staff/posters")
    desk_page.get_by_role("link", name=re.compile("香坊区快递外卖配送行业工会联合会")).click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("扫码加入工会")
    qr = desk_page.get_by_role("img", name=re.compile("加入香坊区快递外卖配送行业工会联合会的二维码"))
    url = _decode_qr(qr.screenshot())
    assert url.endswith("/membership/join/GA1"), url
    shot(desk_page, "staff-poster-desk")


# --- At 360 px, the narrowest phones in use --------------------------------------------------------


def _narrow(browser, live_server, page_guard, *, javascript: bool = True):
    """A 360 px phone (touch, WeChat, zh-CN), with or without JavaScript, watched for page problems."""
    context = browser.new_context(
        **{**PHONE, "viewport": {"width": 360, "height": 780}},
        base_url=live_server,
        java_script_enabled=javascript,
    )
    return page_guard.watch(context)


def _fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name} scrolls sideways: {width}px"


def test_join_landing_at_360(browser, live_server, page_guard, tree):
    page = _narrow(browser, live_server, page_guard).new_page()
    page.goto("/membership/join/GA1")
    expect(page.get_by_role("heading", level=1)).to_have_text("香坊区快递外卖配送行业工会联合会")
    expect(page.locator(".join-steps li")).to_have_count(3)
    button = page.get_by_role("link", name="注册并申请入会")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    login = page.get_by_role("link", name="已有账号？登录")
    assert login.bounding_box()["height"] >= 44
    _fits(page, "join landing")
    shot(page, "join-landing-360")
    assert_no_serious_axe_problems(page, "join landing")
    login.click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next=.*union%3DGA1"))


def _decide_page(browser, live_server, page_guard, staff, application, *, javascript: bool):
    context = _narrow(browser, live_server, page_guard, javascript=javascript)
    page = context.new_page()
    sign_in(page, staff)
    page.goto(f"/staff/reviews/{application.public_id}")
    return context, page


def test_reject_asks_first_without_javascript_at_360(
    browser, live_server, page_guard, make_user, make_application, tree
):
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    application = make_application(make_user(name="赵磊", id_number=valid_id_number()), tree["grassroots_a1"])
    context, page = _decide_page(browser, live_server, page_guard, staff, application, javascript=False)
    # The two decision buttons keep their words on one line each.
    ask = page.get_by_role("button", name="请申请人补充材料")
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    assert ask.bounding_box()["height"] < 2 * line + 20, "请申请人补充材料 wraps"
    _fits(page, "review page")
    shot(page, "review-360")
    page.get_by_label(label("给申请人的留言")).fill("工作单位与身份证信息不符，请核对后重新申请。")
    page.get_by_role("button", name="不予通过", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确定不予通过该申请？")
    expect(page.locator(".confirm-card")).to_contain_text("工作单位与身份证信息不符，请核对后重新申请。")
    _fits(page, "reject confirmation")
    shot(page, "review-reject-confirm-360")  # (axe needs JavaScript: see the next test)
    page.get_by_role("button", name="确认不予通过").click()
    expect(page.get_by_role("status")).to_contain_text("已不予通过")
    context.close()


def test_reject_with_javascript_confirms_in_a_dialog(
    browser, live_server, page_guard, make_user, make_application, tree
):
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    application = make_application(make_user(name="钱芳", id_number=valid_id_number()), tree["grassroots_a1"])
    context, page = _decide_page(browser, live_server, page_guard, staff, application, javascript=True)
    page.get_by_label(label("给申请人的留言")).fill("材料不全。")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="不予通过", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/reviews/[\w-]+$"))  # dismissed: nothing sent
    assert dialogs and "确定不予通过" in dialogs[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="不予通过", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已不予通过")  # no second, server-side question
    context.close()


def test_reject_confirmation_page_passes_axe(browser, live_server, page_guard, make_user, make_application, tree):
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    application = make_application(make_user(name="李强", id_number=valid_id_number()), tree["grassroots_a1"])
    context, page = _decide_page(browser, live_server, page_guard, staff, application, javascript=True)
    assert_no_serious_axe_problems(page, "review page")
    # The page a browser without JavaScript gets: drop the dialog to reach it here, where axe can run.
    page.evaluate("document.querySelector('button[value=reject]').removeAttribute('data-confirm')")
    page.get_by_label(label("给申请人的留言")).fill("材料不全。")
    page.get_by_role("button", name="不予通过", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确定不予通过该申请？")
    assert_no_serious_axe_problems(page, "reject confirmation")
    context.close()


def test_needs_info_reply_seen_by_both_at_360(app, browser, live_server, page_guard, make_user, make_application, tree):
    from portal.accounts.models import User
    from portal.core import workflow
    from portal.core.workflow import Application
    from portal.extensions import db

    applicant = make_user(name="孙涛", id_number=valid_id_number())
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    application = make_application(applicant, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(
            db.session.get(Application, application.id),
            db.session.get(User, staff.id),
            "request_info",
            "请补充：配送站点全称（含区名）、入职时间。",
        )
        db.session.commit()
    page = _narrow(browser, live_server, page_guard).new_page()
    sign_in(page, applicant)
    page.goto(f"/membership/applications/{application.public_id}")
    expect(page.locator(".callout")).to_contain_text("请补充：配送站点全称（含区名）、入职时间。")
    reply = "站点：美团香坊区通天街站；\n入职时间：2024年3月。"
    page.get_by_label(label("您的回复")).fill(reply)
    _fits(page, "needs-info page")
    shot(page, "needs-info-reply-360")
    assert_no_serious_axe_problems(page, "needs-info reply")
    page.get_by_role("button", name="发送回复").click()
    expect(page.get_by_role("status")).to_contain_text("您的回复已发送给工会")
    expect(page.locator(".timeline")).to_contain_text("美团香坊区通天街站")

    context, desk = _decide_page(browser, live_server, page_guard, staff, application, javascript=True)
    expect(desk.locator(".reply-callout")).to_contain_text("站点：美团香坊区通天街站；")
    expect(desk.locator(".reply-callout")).to_contain_text("入职时间：2024年3月。")
    _fits(desk, "review page with a reply")
    shot(desk, "review-reply-360")
    desk.get_by_role("button", name="通过", exact=True).click()
    expect(desk.get_by_role("status")).to_contain_text("已通过")
    context.close()


def test_member_card_at_360_refreshes_its_code_while_open(
    app, browser, live_server, page_guard, make_user, make_application, tree
):
    from portal.accounts.models import User
    from portal.core import workflow
    from portal.core.workflow import Application
    from portal.extensions import db

    member = make_user(name="周杰", id_number=valid_id_number(birth="19920618"))
    staff = make_user("staff", union=tree["county_a1"])
    application = make_application(member, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
    app.config["MEMBER_CARD_REFRESH_SECONDS"] = 2
    try:
        page = _narrow(browser, live_server, page_guard).new_page()
        sign_in(page, member)
        page.goto("/me/card")
        page.wait_for_function("() => document.querySelector('img.member-card').naturalWidth > 0")
        first = page.locator("img.member-card").get_attribute("src")
        expect(page.locator(".card-caption")).to_contain_text("每分钟自动刷新")
        _fits(page, "member card")
        shot(page, "card-360")
        assert_no_serious_axe_problems(page, "member card at 360")
        # While the page stays open, the image (and so its QR code) is fetched again.
        page.wait_for_function(
            "(first) => document.querySelector('img.member-card').getAttribute('src') !== first",
            arg=first,
            timeout=8000,
        )
        assert "1992-06-18" not in page.content() and "6月18日" not in page.content()
    finally:
        app.config.pop("MEMBER_CARD_REFRESH_SECONDS", None)
