"""The flagship flow: a rider joins through a poster's link, county staff approve at the desk,
the rider gets the message and the card, and a merchant's scan of the card's QR says 有效会员."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.support import assert_no_serious_axe_problems, label, shot, sign_in
from tests.helpers import PASSWORD, unique_phone, valid_id_number


def _decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code could be read from the card"
    return found[0].text


def test_rider_joins_through_a_poster_and_gets_a_verifiable_card(page, desk_page, new_context, make_user, tree):
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    phone = unique_phone()

    # 1. The rider scans the poster of the rider federation: sign-in comes first.
    page.goto("/membership/join/GA1")
    expect(page.get_by_role("status")).to_contain_text("加入香坊区快递外卖配送行业工会联合会前，请先登录或注册账号")
    page.get_by_role("link", name="注册账号").last.click()
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
