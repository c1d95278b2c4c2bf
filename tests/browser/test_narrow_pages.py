"""Pages at 360 px (the narrowest phones in use): no sideways scrolling, tap targets ≥ 44 px (issue 7).

Home as a member and as an applicant (UX9), the admin's account list and union picker (UX10).
Screenshots: home-member-360.png, home-applicant-360.png, admin-users-360.png, admin-union-filter-360.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.core import workflow
from portal.extensions import db
from tests.browser.support import assert_no_serious_axe_problems, label, shot, sign_in
from tests.helpers import valid_id_number

NARROW = {"width": 360, "height": 780}


def _fits(page) -> None:
    # Against the width we set: a phone browser widens its layout viewport (and innerWidth) to
    # fit an overflowing page, so scrollWidth <= innerWidth would hold even at 744 px.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide on a {NARROW['width']} px phone"


def _small_tap_targets(page, selector: str) -> list[str]:
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44 || r.width < 44)
            .map(([t, r]) => `${t}: ${Math.round(r.width)}×${Math.round(r.height)}`)""",
        selector,
    )


@pytest.fixture
def narrow(context):
    """The phone context (touch, WeChat), 360 px wide."""
    page = context.new_page()
    page.set_viewport_size(NARROW)
    return page


def test_home_of_a_member_at_360(narrow, app, make_user, make_application, tree):
    user = make_user(name="赵磊", id_number=valid_id_number(birth="19950412"))
    staff = make_user("staff", union=tree["county_a1"])
    application = make_application(user, tree["grassroots_a1"])
    with app.app_context():
        from portal.accounts.models import User

        workflow.decide(db.session.get(workflow.Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
    page = narrow
    sign_in(page, user)
    card = page.get_by_role("link", name=re.compile("出示电子会员证"))
    expect(card).to_be_visible()
    expect(page.locator(".tiles")).not_to_contain_text("申请入会")
    expect(page.locator(".hero")).to_contain_text("主办单位：黑龙江省总工会")
    _fits(page)
    assert card.bounding_box()["height"] >= 44
    assert_no_serious_axe_problems(page, "home as a member")
    shot(page, "home-member-360")
    card.click()
    expect(page).to_have_url(re.compile(r"/me/card$"))


def test_home_of_an_applicant_at_360(narrow, make_user, make_application, tree):
    user = make_user(name="李强", id_number=valid_id_number())
    make_application(user, tree["grassroots_a1"])
    page = narrow
    sign_in(page, user)
    mine = page.locator(".home-applications")
    expect(mine).to_contain_text("已提交")
    expect(mine).to_contain_text("香坊区快递外卖配送行业工会联合会")
    _fits(page)
    assert not _small_tap_targets(page, ".home-applications a")
    assert_no_serious_axe_problems(page, "home as an applicant")
    shot(page, "home-applicant-360")
    mine.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/membership/applications/"))


def test_admin_accounts_fit_360_with_big_tap_targets(narrow, make_user, tree):
    admin = make_user("admin", name="陈静")
    make_user("staff", union=tree["grassroots_a1"], name="快递行业工会干部")
    make_user("staff", union=tree["county_a1"], name="欧阳娜娜")
    make_user(name="李秀英", active=False)
    page = narrow
    sign_in(page, admin)
    page.goto("/admin/users")
    expect(page.get_by_role("heading", level=1)).to_have_text("账号管理")
    listing = page.locator("main")
    expect(listing).to_contain_text("香坊区快递外卖配送行业工会联合会")
    expect(listing).to_contain_text("已停用")
    _fits(page)
    edits = page.get_by_role("link", name=re.compile("^编辑"))
    expect(edits.first).to_be_visible()
    assert edits.count() == 4
    assert not _small_tap_targets(page, "main table a")
    assert_no_serious_axe_problems(page, "admin accounts at 360")
    shot(page, "admin-users-360")


def test_the_admin_union_picker_is_in_tree_order_and_can_be_narrowed(narrow, make_user, make_union, tree):
    # A union made later gets a larger id; "/…/12/" sorts before "/…/8/" as text, so ordering by the
    # stored path alone put it above its elder sibling (the "odd order" of issue 7).
    make_union("GA1C", parent=tree["county_a1"], name="香坊区环卫工人工会")
    page = narrow
    sign_in(page, make_user("admin"))
    page.goto("/admin/users/new")
    picker = page.get_by_label(label("工会"))
    names = [t.strip() for t in picker.locator("option").all_inner_texts()]
    # Each union right after its parent, siblings by code: a tree read top to bottom.
    assert names[1:5] == ["中华全国总工会", "黑龙江省总工会", "哈尔滨市总工会", "香坊区总工会"]
    assert (
        names.index("哈尔滨松江机械制造有限公司工会") < names.index("香坊区环卫工人工会") < names.index("通河县总工会")
    )
    assert names.index("齐齐哈尔市总工会") > names.index("通河县通河镇社区工会联合会")
    search = page.get_by_role("searchbox", name=re.compile("筛选工会"))
    search.fill("通河")
    visible = [t.strip() for t in picker.locator("option").all_inner_texts()]
    assert "通河县总工会" in visible and "通河县通河镇社区工会联合会" in visible
    assert "龙沙区总工会" not in visible and "香坊区总工会" not in visible
    _fits(page)
    shot(page, "admin-union-filter-360")
    picker.select_option("GA2")  # 通河县通河镇社区工会联合会
    page.get_by_label(label("手机号")).fill("13900007777")
    page.get_by_label(label("真实姓名")).fill("周敏")
    page.get_by_label(label("初始密码")).fill("Init@2026pw")
    page.get_by_role("button", name="注册").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.locator("main")).to_contain_text("通河县通河镇社区工会联合会")


def test_english_times_stay_on_one_line_at_360(narrow, make_user, make_application, tree):
    """UX14: "8:54 AM" never breaks across lines, wherever the page puts it."""
    user = make_user(name="李强", id_number=valid_id_number())
    application = make_application(user, tree["grassroots_a1"])
    page = narrow
    sign_in(page, user)
    page.goto(f"/membership/applications/{application.public_id}?lang=en")
    times = page.locator(".nowrap")
    expect(times.first).to_be_visible()
    lines = page.evaluate(
        "[...document.querySelectorAll('.nowrap')].map(e => [e.textContent, e.getClientRects().length])"
    )
    assert lines and all(count == 1 for _, count in lines), lines
    assert all(re.search(r"\d:\d\d\u202f[AP]M", text) for text, _ in lines), lines
    _fits(page)


def test_the_review_queue_filters_on_a_page_of_their_own_at_360(narrow, make_user, make_application, tree):
    """The queue keeps a search box and the filters in force (removable chips); every filter is on
    its own page, which sends them back to the queue. Screenshots: reviews-360.png,
    reviews-filter-360.png, reviews-filtered-360.png."""
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    make_application(make_user(name="欧阳娜娜", id_number=valid_id_number()), tree["grassroots_a1b"])
    make_application(make_user(name="赵磊", id_number=valid_id_number()), tree["grassroots_a1"])
    page = narrow
    sign_in(page, staff)
    page.goto("/staff/reviews")
    expect(page.get_by_role("searchbox", name="姓名或手机号")).to_be_visible()
    expect(page.locator(".review-row")).to_have_count(2)
    expect(page.get_by_role("checkbox", name=re.compile("选择"))).to_have_count(2)  # bulk approve's ticks
    _fits(page)
    assert not _small_tap_targets(page, ".pill, .queue-search .button, .header-action, .select-box")
    shot(page, "reviews-360")
    assert_no_serious_axe_problems(page, "review queue")

    page.get_by_role("link", name="筛选").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("筛选申请")
    _fits(page)
    page.get_by_label(label("状态")).select_option("all")
    page.get_by_label(label("工会")).select_option(tree["grassroots_a1b"].code)
    shot(page, "reviews-filter-360")
    assert_no_serious_axe_problems(page, "review filter")
    page.get_by_role("button", name="查看申请").click()

    expect(page.locator(".review-row")).to_have_count(1)
    expect(page.locator(".review-row")).to_contain_text("欧阳娜娜")
    chips = page.get_by_role("list", name="当前筛选条件")
    expect(chips).to_contain_text("状态：全部")
    expect(chips).to_contain_text(f"工会：{tree['grassroots_a1b'].name}")
    expect(page.get_by_role("link", name=re.compile(r"筛选（2）"))).to_be_visible()
    _fits(page)
    assert not _small_tap_targets(page, ".filter-chip, .filter-clear")
    shot(page, "reviews-filtered-360")
    assert_no_serious_axe_problems(page, "review queue with filters")

    # searching keeps the filters; removing the union chip keeps the rest
    page.get_by_role("searchbox", name="姓名或手机号").fill("赵")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator(".empty")).to_contain_text("没有符合条件的申请")
    page.get_by_role("link", name=re.compile("工会：")).click()
    expect(page.locator(".review-row")).to_have_count(1)
    expect(page.locator(".review-row")).to_contain_text("赵磊")
    expect(chips).to_contain_text("状态：全部")
    expect(chips).to_contain_text("搜索：赵")
