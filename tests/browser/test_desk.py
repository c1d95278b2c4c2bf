"""Desk-size (1280×800) pages for staff and admins, reached through the real login form."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.support import shot, sign_in
from tests.helpers import valid_id_number


def test_admin_accounts_page_at_desk_size(desk_page, make_user, tree):
    admin = make_user("admin", name="管理员")
    make_user("staff", union=tree["county_a1"], name="香坊区工会干部")
    make_user("staff", union=tree["grassroots_a1"], name="快递行业工会干部")
    make_user(name="张建国", id_number=valid_id_number())
    make_user(name="李秀英", active=False)
    make_user(name="欧阳娜娜")

    page = desk_page
    sign_in(page, admin)
    page.goto("/admin/users")
    expect(page.get_by_role("heading", level=1)).to_have_text("账号管理")
    table = page.get_by_role("table")
    for name in ("管理员", "香坊区工会干部", "快递行业工会干部", "张建国", "李秀英", "欧阳娜娜"):
        expect(table).to_contain_text(name)
    expect(table).to_contain_text("香坊区快递外卖配送行业工会联合会")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, "desk-admin-users-zh")


def test_staff_workspace_at_desk_size(desk_page, make_user, tree):
    staff = make_user("staff", union=tree["county_a1"], name="香坊区工会干部")

    page = desk_page
    sign_in(page, staff)
    expect(page.get_by_role("link", name=re.compile("工作台"))).to_be_visible()
    page.get_by_role("link", name=re.compile("工作台")).first.click()
    expect(page).to_have_url(re.compile(r"/staff$"))
    expect(page.get_by_role("heading", level=2, name="香坊区总工会")).to_be_visible()
    expect(page.locator("main")).to_contain_text("哈尔滨松江机械制造有限公司工会")
    expect(page.locator("main")).to_contain_text("香坊区快递外卖配送行业工会联合会")
    expect(page.locator("main")).not_to_contain_text("通河县")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, "desk-staff-zh")


def test_identity_change_review_at_desk_size(app, desk_page, make_user, make_application, tree):
    from portal.accounts.models import User
    from portal.core import workflow
    from portal.core.workflow import Application
    from portal.extensions import db
    from portal.membership import identity
    from tests.browser.support import assert_no_serious_axe_problems

    member = make_user(name="赵磊", id_number=valid_id_number(birth="19950412", seq="131"))
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    application = make_application(member, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        request = identity.request_change(
            db.session.get(User, member.id),
            real_name="赵磊",
            id_number=valid_id_number(birth="19940412", seq="133"),
            reason="身份证号录入时把出生年份填错了（应为1994年），现申请更正。",
        )
        db.session.commit()
        public_id = request.public_id

    page = desk_page
    sign_in(page, staff)
    page.goto("/staff/reviews?kind=identity_change")
    page.get_by_role("link", name=re.compile("赵磊")).click()
    expect(page.locator(".facts").first).to_contain_text("1995年生")
    expect(page.locator(".facts").first).to_contain_text("1994年生")
    expect(page.locator(".facts").first).to_contain_text("现申请更正")
    assert page.url.endswith(public_id)
    shot(page, "desk-identity-change-review")
    assert_no_serious_axe_problems(page, "identity change review")
