"""Home, services, messages, privacy, settings, health and the friendly error pages."""

import re

import pytest
from flask import abort

from portal import create_app
from tests.helpers import csrf_token, login_as, page_text, post_form


def test_home_shows_the_six_service_tiles_and_the_tab_bar(client):
    html = page_text(client.get("/"))
    for title in ["申请入会", "找驿站", "职工书屋", "困难帮扶", "互助保障", "志愿服务"]:
        assert title in html
    # Live modules are big tiles; modules not installed yet are listed under 即将上线, not linked.
    live = html.count('<a class="tile ')
    soon = html.split("即将上线")[1] if "即将上线" in html else ""
    assert live >= 1 and soon.count("<li>") == 6 - live
    tabbar = html[html.index('class="tabbar"') :]
    for tab in ["首页", "服务", "消息", "我的"]:
        assert tab in tabbar
    assert 'aria-current="page"' in tabbar.split("服务")[0]  # 首页 is the current tab


def test_home_greets_a_signed_in_worker_and_offers_staff_their_workspace(client, make_user, tree):
    login_as(client, make_user(name="张伟"))
    html = page_text(client.get("/"))
    assert "张伟，您好" in html and "工作台" not in html
    login_as(client, make_user("staff", union=tree["county_a1"], name="刘洋"))
    assert "工作台" in page_text(client.get("/"))


def test_services_and_privacy_pages(client):
    assert "志愿服务" in page_text(client.get("/services"))
    privacy = page_text(client.get("/privacy"))
    assert "个人信息保护法" in privacy and "敏感个人信息" in privacy and "2026-11" in privacy


def test_messages_mark_all_read(client, make_user, app):
    from portal.core.notify import notify
    from portal.extensions import db

    user = make_user()
    with app.app_context():
        from portal.accounts.models import User

        notify(db.session.get(User, user.id), "accounts.welcome", name="张伟")
        db.session.commit()
    login_as(client, user)
    assert '<span class="badge"' in page_text(client.get("/messages"))
    r = post_form(client, "/messages/read", {}, token_from="/messages")
    assert r.status_code == 303
    assert '<span class="badge"' not in page_text(client.get("/messages"))


def test_messages_empty_state(client, make_user):
    login_as(client, make_user())
    assert "暂无消息" in page_text(client.get("/messages"))


def test_large_text_mode_is_remembered_per_user(app, client, make_user):
    user = make_user()
    login_as(client, user)
    assert 'class="large-text"' not in page_text(client.get("/"))
    r = post_form(client, "/settings/text-size", {"large": "1", "next": "/services"})
    assert r.status_code == 303 and r.headers["Location"] == "/services"
    assert '<html lang="zh-CN" class="large-text">' in page_text(client.get("/"))
    # On another phone, signed in as the same person, the setting follows the account.
    other = login_as(app.test_client(), user)
    assert 'class="large-text"' in page_text(other.get("/"))


def test_large_text_mode_works_before_signing_in(client):
    post_form(client, "/settings/text-size", {"large": "1"})
    assert 'class="large-text"' in page_text(client.get("/"))
    post_form(client, "/settings/text-size", {"large": "0"})
    assert 'class="large-text"' not in page_text(client.get("/"))


def test_health_check_reports_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok", "database": "ok"}


def test_health_check_is_503_when_the_database_is_unreachable(tmp_path):
    broken = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        },
    )
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503 and r.get_json() == {"status": "error", "database": "error"}


@pytest.mark.parametrize(
    "code, text",
    [
        (400, "请求有误"),
        (403, "没有权限"),
        (404, "页面不存在"),
        (405, "不允许的操作"),
        (413, "内容过大"),
        (429, "尝试次数过多"),
        (500, "出错了"),
    ],
)
def test_error_pages_are_friendly_and_in_chinese(database_url, code, text):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "HANDLE_UNEXPECTED_ERRORS": True})

    @app.route("/boom/<int:status>")
    def boom(status):
        if status == 500:
            raise RuntimeError("unexpected")
        abort(status)

    r = app.test_client().get(f"/boom/{code}")
    html = page_text(r)
    assert r.status_code == code
    assert text in html and "返回首页" in html
    assert '<html lang="zh-CN"' in html and "<title>" in html
    assert "Traceback" not in html and "RuntimeError" not in html


def test_unknown_page_is_a_friendly_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "页面不存在" in page_text(r)


def test_get_on_a_post_only_route_is_405(client):
    assert client.get("/settings/text-size").status_code == 405


def test_oversized_request_is_413(client):
    r = client.post("/auth/login", data={"phone": "1" * (11 * 1024 * 1024)})
    assert r.status_code == 413


def test_pages_have_a_title_of_their_own(client, make_user):
    login_as(client, make_user())
    titles = set()
    for path in ["/", "/services", "/messages", "/privacy", "/me", "/me/edit", "/me/password"]:
        match = re.search(r"<title>(.*?)</title>", page_text(client.get(path)))
        titles.add(match.group(1))
    assert len(titles) == 7


def test_csrf_token_present_on_every_form(client, make_user):
    login_as(client, make_user())
    for path in ["/me/edit", "/me/password", "/messages", "/"]:
        assert csrf_token(client, path)
