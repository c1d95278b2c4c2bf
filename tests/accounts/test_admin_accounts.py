"""Admins create staff accounts bound to a union node, from the page and from the command line."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.helpers import PASSWORD, login_as, page_text, post_form, statements_of


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new"])
def test_admin_pages_are_for_admins_only(client, make_user, tree, path):
    assert client.get(path).status_code == 302  # anonymous → sign in
    login_as(client, make_user("worker"))
    assert client.get(path).status_code == 403
    login_as(client, make_user("staff", union=tree["province"]))
    assert client.get(path).status_code == 403
    login_as(client, make_user("admin"))
    assert client.get(path).status_code == 200


def test_admin_creates_a_staff_account_bound_to_a_union(app, client, make_user, tree):
    admin = make_user("admin")
    login_as(client, admin)
    r = post_form(
        client,
        "/admin/users/new",
        {
            "phone": "13900001111",
            "name": "刘洋",
            "role": "staff",
            "union_code": "CA1",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 303
    with app.app_context():
        staff = db.session.scalars(select(User).where(User.phone == "13900001111")).one()
        assert staff.role == "staff" and staff.union.code == "CA1"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.created", AuditEvent.subject_id == str(staff.id))
        ).one()
        assert event.actor_id == admin.id and event.union_id == staff.union_id


def test_staff_account_without_union_is_refused(app, client, make_user, tree):
    login_as(client, make_user("admin"))
    r = post_form(
        client,
        "/admin/users/new",
        {
            "phone": "13900001111",
            "name": "刘洋",
            "role": "staff",
            "union_code": "",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 422
    assert "工作人员账号必须绑定一个工会" in page_text(r)
    r = post_form(
        client,
        "/admin/users/new",
        {
            "phone": "13900001111",
            "name": "刘洋",
            "role": "staff",
            "union_code": "NOPE",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 422
    assert "没有该代码对应的工会" in page_text(r)
    with app.app_context():
        assert db.session.scalars(select(User).where(User.phone == "13900001111")).first() is None


def test_admin_disables_an_account_and_it_is_signed_out(app, client, make_user, tree):
    staff = make_user("staff", union=tree["county_a1"])
    staff_client = login_as(app.test_client(), staff)
    assert staff_client.get("/staff").status_code == 200
    login_as(client, make_user("admin"))
    r = post_form(client, f"/admin/users/{staff.id}", {"role": "staff", "union_code": "CA1", "active": ""})
    assert r.status_code == 303
    assert staff_client.get("/staff").status_code == 302


def test_admin_cannot_remove_their_own_admin_access(app, client, make_user):
    admin = make_user("admin")
    login_as(client, admin)
    r = post_form(client, f"/admin/users/{admin.id}", {"role": "worker", "union_code": "", "active": "y"})
    assert r.status_code == 403
    assert "不能取消自己的管理员权限" in page_text(r)
    with app.app_context():
        assert db.session.get(User, admin.id).role == "admin"


def test_account_list_searches_and_masks_phones(client, make_user):
    make_user(name="赵一", phone="13811110001")
    make_user(name="钱二", phone="13811110002")
    login_as(client, make_user("admin", name="管理员"))
    html = page_text(client.get("/admin/users?q=赵"))
    assert "赵一" in html and "钱二" not in html
    assert "138****0001" in html and "13811110001" not in html
    assert "钱二" in page_text(client.get("/admin/users?q=0002"))


def test_account_list_is_paginated(client, make_user):
    for i in range(25):
        make_user(name="职工", phone=f"1381111{i:04d}")
    login_as(client, make_user("admin", name="管理员"))
    first = page_text(client.get("/admin/users"))
    assert "第1页，共2页" in first
    assert 'rel="next"' in first
    assert client.get("/admin/users?page=2").status_code == 200
    assert client.get("/admin/users?page=abc").status_code == 422  # a clear message, not a silent page 1
    assert client.get("/admin/users?page=999").status_code == 200


def test_cli_creates_staff_and_admin_accounts(app, tree):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--phone",
            "13900002222",
            "--password",
            PASSWORD,
            "--name",
            "孙丽",
            "--role",
            "staff",
            "--union",
            "CA1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "香坊区总工会" in result.output
    result = runner.invoke(
        args=["users", "create", "--phone", "13900003333", "--password", PASSWORD, "--name", "周敏", "--role", "admin"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        roles = dict(db.session.execute(select(User.phone, User.role)).all())
    assert roles == {"13900002222": "staff", "13900003333": "admin"}


def test_cli_explains_bad_input(app, tree):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--phone",
            "12345",
            "--password",
            PASSWORD,
            "--name",
            "孙丽",
            "--role",
            "staff",
            "--union",
            "CA1",
        ]
    )
    assert result.exit_code != 0
    assert "11" in result.output  # the mobile-number message
    result = runner.invoke(
        args=["users", "create", "--phone", "13900002222", "--password", PASSWORD, "--name", "孙丽", "--role", "staff"]
    )
    assert result.exit_code != 0


def test_admin_resets_a_forgotten_password_and_old_sessions_end(app, client, make_user):
    worker = make_user(phone="13811112222")
    old_session = login_as(app.test_client(), worker)
    login_as(client, make_user("admin"))
    r = post_form(
        client, f"/admin/users/{worker.id}", {"role": "worker", "union_code": "", "active": "y", "new_password": "abc"}
    )
    assert r.status_code == 422 and "至少需要8个字符" in page_text(r)
    r = post_form(
        client,
        f"/admin/users/{worker.id}",
        {"role": "worker", "union_code": "", "active": "y", "new_password": "Reset@2026x"},
    )
    assert r.status_code == 303
    assert old_session.get("/me").status_code == 302
    login = post_form(app.test_client(), "/auth/login", {"phone": "13811112222", "password": "Reset@2026x"})
    assert login.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset")).one()


# --- The account list and the union picker on a phone (issue 7, UX10) ------------------------


def test_the_account_list_names_each_row_and_labels_each_cell(client, make_user, tree):
    login_as(client, make_user("admin", name="陈静"))
    make_user("staff", union=tree["grassroots_a1"], name="快递行业工会干部")
    html = page_text(client.get("/admin/users"))
    assert '<th scope="row" role="rowheader" class="row-title">快递行业工会干部</th>' in html
    for column in ("手机号", "角色", "工会", "状态"):
        assert f'data-label="{column}"' in html  # what a stacked card shows before each value
    assert 'class="row-action" href="/admin/users/' in html


def test_the_account_list_loads_unions_with_the_accounts(app, client, make_user, tree):
    """No query per row: six staff of six unions cost the same as one."""

    login_as(client, make_user("admin"))
    for union in ("province", "city_a", "county_a1", "county_a2", "grassroots_a1", "grassroots_b1"):
        make_user("staff", union=tree[union])
    statements = statements_of(app, client, "/admin/users")
    assert len(statements) <= 6, "\n".join(statements)


def test_the_union_picker_lists_the_tree_each_union_under_its_parent(client, make_user, make_union, tree):
    # Made last, so its id is the largest: "/1/2/3/5/12/" sorts before "/1/2/3/5/8/" as text.
    make_union("GA1C", parent=tree["county_a1"], name="香坊区环卫工人工会")
    login_as(client, make_user("admin"))
    html = page_text(client.get("/admin/users/new"))
    select = html[html.index('name="union_code"') :]
    codes = [c for c in re.findall(r'<option[^>]*value="([^"]*)"', select[: select.index("</select>")]) if c]
    assert codes == ["N", "P", "CA", "CA1", "GA1", "GA1B", "GA1C", "CA2", "GA2", "CB", "CB1", "GB1"]
    assert ">\u3000\u3000\u3000香坊区环卫工人工会<" in select  # indented by depth (a grassroots union: 3)
    assert 'data-filter-label="筛选工会"' in html  # js/select-filter.js adds the filter box
