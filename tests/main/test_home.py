"""Home knows who is looking (issue 7, UX9): members, applicants, newcomers; only live services promised."""

from __future__ import annotations

import re

import pytest

from portal.core import workflow
from portal.extensions import db
from tests.helpers import login_as, page_text, statements_of, valid_id_number


def _hero(html: str) -> str:
    return re.search(r'<section class="hero">(.*?)</section>', html, re.S).group(1)


def _tiles(html: str) -> str:
    return re.search(r'<ul class="tiles".*?</ul>', html, re.S).group(0)


@pytest.fixture
def member(app, make_user, make_application, tree):
    user = make_user(name="赵磊", id_number=valid_id_number(birth="19950412"))
    staff = make_user("staff", union=tree["county_a1"])
    application = make_application(user, tree["grassroots_a1"])
    with app.app_context():
        from portal.accounts.models import User

        workflow.decide(db.session.get(workflow.Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
    return user


def test_the_hero_promises_only_services_that_work_today(client):
    hero = _hero(page_text(client.get("/")))
    # the live modules, by their tile names
    assert "申请入会" in hero and "找驿站" in hero and "困难帮扶" in hero and "互助保障" in hero and "职工书屋" in hero
    for not_yet in ("志愿",):
        assert not_yet not in hero


def test_the_home_page_names_the_union_that_runs_the_portal(app, client):
    assert "黑龙江省总工会" in _hero(page_text(client.get("/")))
    app.config["PORTAL_OPERATOR_NAME"] = "哈尔滨市总工会"
    try:
        hero = _hero(page_text(client.get("/")))
        english = _hero(page_text(client.get("/?lang=en")))
    finally:
        app.config["PORTAL_OPERATOR_NAME"] = "黑龙江省总工会"
    assert "主办单位：哈尔滨市总工会" in hero and "黑龙江省总工会" not in hero
    assert "Run by 哈尔滨市总工会" in english  # a name, shown as written


def test_a_member_sees_the_card_shortcut_and_no_join_tile(client, member):
    login_as(client, member)
    html = page_text(client.get("/"))
    shortcut = re.search(r'<a class="card card-link home-card"[^>]*href="/me/card".*?</a>', html, re.S)
    assert shortcut, "no member card shortcut"
    assert "出示电子会员证" in shortcut.group(0) and "香坊区快递外卖配送行业工会联合会" in shortcut.group(0)
    assert "申请入会" not in _tiles(html)
    assert 'href="/membership"' not in _tiles(html)


def test_an_applicant_sees_the_open_application_and_its_state(client, make_user, make_application, tree):
    user = make_user(id_number=valid_id_number())
    application = make_application(user, tree["grassroots_a1"])
    login_as(client, user)
    html = page_text(client.get("/"))
    mine = re.search(r'<section class="card home-applications".*?</section>', html, re.S)
    assert mine, "no open applications on the home page"
    assert f'href="/membership/applications/{application.public_id}"' in mine.group(0)
    assert "已提交" in mine.group(0) and "香坊区快递外卖配送行业工会联合会" in mine.group(0)


def test_a_worker_with_nothing_yet_is_offered_to_join(client, make_user):
    login_as(client, make_user())
    html = page_text(client.get("/"))
    assert "申请入会" in _tiles(html)
    assert "home-applications" not in html and "home-card" not in html


def test_a_closed_application_is_not_shown_as_open(client, member):
    login_as(client, member)
    assert "home-applications" not in page_text(client.get("/"))  # approved: the card replaces it


def test_the_home_page_asks_the_database_a_few_questions_only(app, client, member):
    login_as(client, member)
    statements = statements_of(app, client, "/")
    # the signed-in user with their union and unread count; the card with its union; open applications
    assert len(statements) <= 4, statements
