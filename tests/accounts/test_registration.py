"""Registering with a mobile number: what a worker sees when they get something wrong."""

import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core import crypto
from portal.extensions import db
from tests.helpers import PASSWORD, csrf_token, page_text, valid_id_number

GOOD = {
    "phone": "13812345678",
    "name": "王小明",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "id_number": "",
    "agree": "y",
}


def _user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def register(client, **changes):
    data = {**GOOD, **changes}
    data.setdefault("csrf_token", csrf_token(client, "/auth/register"))
    return client.post("/auth/register", data=data)


def test_worker_registers_and_is_signed_in(client, app):
    r = register(client, id_number=valid_id_number(birth="19880808", seq="124"))
    assert r.status_code == 303 and r.headers["Location"] == "/"
    profile = client.get("/me")
    assert profile.status_code == 200
    html = page_text(profile)
    assert "王小明" in html
    assert "2301**********" in html  # masked ID number
    assert "1988年生" in html and "8月8日" not in html  # birth year (and age) read from the ID number
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.role == "worker"
        assert user.password_hash.startswith("$argon2id$")
        assert user.gender == "female"
        assert valid_id_number(birth="19880808", seq="124") not in (user.id_number_encrypted or "")
        assert crypto.decrypt(user.id_number_encrypted).startswith("23011019880808124")


def test_new_worker_gets_a_welcome_message(client):
    register(client)
    html = page_text(client.get("/messages"))
    assert "欢迎使用职工服务门户" in html
    assert 'class="badge"' in page_text(client.get("/"))


@pytest.mark.parametrize(
    "changes, field_message",
    [
        ({"phone": "1381234567"}, "请输入11位中国大陆手机号"),
        ({"phone": "+1 415 555 0100"}, "请输入11位中国大陆手机号"),
        ({"phone": ""}, "请输入手机号"),
        ({"id_number": "230110199003151230"}, "校验位不符"),
        ({"id_number": "230110199002301236"}, "出生日期不存在"),
        ({"password": "abcdefgh", "confirm": "abcdefgh"}, "字母、数字、符号中的至少两种"),
        ({"password": "Ab1!", "confirm": "Ab1!"}, "至少需要8个字符"),
        ({"confirm": "Different@2026"}, "两次输入的密码不一致"),
        ({"name": "王" * 51}, "姓名最多50个字符"),
        ({"name": ""}, "请输入真实姓名"),
        ({"agree": ""}, "请阅读并同意隐私政策"),
    ],
)
def test_bad_input_is_explained_in_chinese_and_nothing_is_saved(client, app, changes, field_message):
    r = register(client, **changes)
    html = page_text(r)
    assert r.status_code == 422
    assert field_message in html
    assert "请修改标出的内容" in html
    assert _user_count(app) == 0


def _password_values(html) -> dict[str, str | None]:
    """What the two password boxes hold after the page came back."""
    found = {}
    for name in ("password", "confirm"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        value = re.search(r'value="([^"]*)"', tag)
        found[name] = value.group(1) if value and value.group(1) else None
    return found


def test_a_mistake_elsewhere_keeps_everything_typed_passwords_included(client):
    """UX6: a wrong phone number or ID number used to cost both passwords."""
    r = register(client, phone="138 1234 567", name="王小明", id_number="230110199003151230")
    html = page_text(r)
    assert r.status_code == 422
    assert 'value="138 1234 567"' in html
    assert 'value="王小明"' in html
    assert 'value="230110199003151230"' in html
    assert _password_values(html) == {"password": PASSWORD, "confirm": PASSWORD}
    assert 'type="password"' in html  # still masked on the screen
    assert "no-store" in r.headers["Cache-Control"]  # a page holding a password is never cached


def test_a_refused_password_is_cleared_with_its_repetition_and_the_rest_is_kept(client):
    r = register(client, password="12345678", confirm="12345678", name="王小明")
    html = page_text(r)
    assert "该密码太容易被猜到" in html or "字母、数字、符号中的至少两种" in html
    assert _password_values(html) == {"password": None, "confirm": None}
    assert 'value="王小明"' in html and 'value="13812345678"' in html


def test_a_mistyped_repetition_is_cleared_and_the_password_kept(client):
    r = register(client, confirm="Different@2026")
    html = page_text(r)
    assert "两次输入的密码不一致" in html
    assert _password_values(html) == {"password": PASSWORD, "confirm": None}


def test_the_password_rule_is_stated_before_submitting(client):
    html = page_text(client.get("/auth/register"))
    hint = re.search(r'<p class="hint" id="password-hint">(.*?)</p>', html).group(1)
    for rule in ("至少8位", "字母、数字、符号中的至少两种", "常见密码", "手机号"):
        assert rule in hint
    assert 'aria-describedby="password-hint"' in html


def test_duplicate_phone_is_refused(client, app, make_user):
    make_user(phone="13812345678")
    r = register(client)
    assert r.status_code == 422
    assert "该手机号已注册" in page_text(r)
    assert _user_count(app) == 1


def test_id_number_already_bound_to_another_account_is_refused(client, app, make_user):
    id_number = valid_id_number()
    make_user(id_number=id_number)
    r = register(client, id_number=id_number)
    assert r.status_code == 422
    assert "该身份证号已绑定其他账号" in page_text(r)
    assert _user_count(app) == 1


def test_lowercase_x_is_the_same_id_number(client, make_user):
    id_number = "11010519491231002X"
    make_user(id_number=id_number)
    r = register(client, id_number=id_number.lower())
    assert "该身份证号已绑定其他账号" in page_text(r)


def test_overlong_input_is_refused_not_crashed(client, app):
    r = register(client, phone="1" * 5000, name="张" * 5000, id_number="2" * 5000, password="a1" * 5000)
    assert r.status_code == 422
    assert _user_count(app) == 0


def test_missing_csrf_token_keeps_the_form(client, app):
    r = client.post("/auth/register", data=GOOD)
    html = page_text(r)
    assert r.status_code == 400
    assert "页面已过期" in html
    assert 'value="王小明"' in html
    assert _user_count(app) == 0


def test_wrong_csrf_token_is_refused(client, app):
    r = client.post("/auth/register", data={**GOOD, "csrf_token": "forged"})
    assert r.status_code == 400
    assert _user_count(app) == 0


def test_signed_in_people_are_sent_to_their_profile(client, make_user):
    from tests.helpers import login_as

    login_as(client, make_user())
    r = client.get("/auth/register")
    assert r.status_code == 302 and r.headers["Location"].endswith("/me")
