"""Registering with a mobile number: what a worker sees when they get something wrong."""

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


def test_typed_values_are_kept_except_passwords(client):
    r = register(client, phone="138 1234 567", name="王小明", id_number="230110199003151230")
    html = page_text(r)
    assert 'value="138 1234 567"' in html
    assert 'value="王小明"' in html
    assert 'value="230110199003151230"' in html
    assert PASSWORD not in html


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
