"""Only the digits 0-9 make a phone or ID number (issue 7, S4).

Chinese keyboards type full-width digits (１３８…): they are the same number and are stored as
ASCII, so "one ID number, one account" and "one phone, one account" still hold. Other digits
(Arabic-Indic ١٣٨, superscript ², Devanagari १) are refused with a clear message: before, they
passed ``str.isdigit()`` and were stored as a different value, a second account for the same
person. Checked end to end on every form that takes a phone or an ID number.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core import crypto
from portal.extensions import db
from portal.membership.models import MembershipApplication
from tests.conftest import MEMBERSHIP_FORM
from tests.helpers import PASSWORD, login_as, page_text, post_form, valid_id_number

FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
OTHER_DIGITS = {"٣": "3", "۳": "3", "३": "3", "³": "3", "𝟑": "3", "➂": "3"}

PHONE = "13800000001"
BAD_PHONES = [
    PHONE.translate(ARABIC_INDIC),  # ١٣٨٠٠٠٠٠٠٠١
    "1" + "٣" + PHONE[2:],  # one Arabic-Indic digit among ASCII ones
    PHONE[:-1] + "¹",  # a superscript
    PHONE[:5] + "१" + PHONE[6:],  # Devanagari
]
PHONE_MESSAGE = "请输入11位中国大陆手机号"
ID_MESSAGE = "身份证号为18位"


def _with_other_digit(id_number: str, digit: str) -> str:
    """The same ID number with its 8th character written as another script's digit."""
    ascii_equivalent = OTHER_DIGITS[digit]
    position = id_number.index(ascii_equivalent, 2)
    return id_number[:position] + digit + id_number[position + 1 :]


def _users(app, **where):
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)).filter_by(**where))


def _register(client, **changes):
    data = {"phone": PHONE, "name": "王小明", "password": PASSWORD, "confirm": PASSWORD, "agree": "y", **changes}
    return post_form(client, "/auth/register", data)


ID_NUMBER = valid_id_number(region="230103", birth="19930317", seq="331")  # has a 3 after the region


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_registering_with_a_phone_in_other_digits_is_refused(app, client, phone):
    r = _register(client, phone=phone)
    assert r.status_code == 422
    assert PHONE_MESSAGE in page_text(r)
    assert _users(app) == 0


@pytest.mark.parametrize("digit", sorted(OTHER_DIGITS))
def test_registering_with_an_id_number_in_other_digits_is_refused(app, client, digit):
    r = _register(client, id_number=_with_other_digit(ID_NUMBER, digit))
    assert r.status_code == 422
    assert ID_MESSAGE in page_text(r)
    assert _users(app) == 0


def test_full_width_digits_are_the_same_phone_and_id_number_stored_as_ascii(app, client):
    r = _register(client, phone=PHONE.translate(FULLWIDTH), id_number=ID_NUMBER.translate(FULLWIDTH))
    assert r.status_code == 303
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.phone == PHONE
        assert crypto.decrypt(user.id_number_encrypted) == ID_NUMBER
    # The same phone and the same ID number, typed in ASCII or full width, are one account.
    again = _register(app.test_client(), phone=PHONE)
    assert "该手机号已注册" in page_text(again)
    twin = _register(app.test_client(), phone="13800000002", id_number=ID_NUMBER)
    assert "该身份证号已绑定其他账号" in page_text(twin)


def test_a_second_account_with_the_full_width_form_of_an_existing_id_is_refused(app, client, make_user):
    make_user(id_number=ID_NUMBER)
    r = _register(client, id_number=ID_NUMBER.translate(FULLWIDTH))
    assert r.status_code == 422
    assert "该身份证号已绑定其他账号" in page_text(r)
    assert _users(app) == 1


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_signing_in_with_a_phone_in_other_digits_fails_plainly(app, client, make_user, phone):
    make_user(phone=PHONE)
    r = post_form(client, "/auth/login", {"phone": phone, "password": PASSWORD})
    assert r.status_code == 422
    assert "手机号或密码不正确" in page_text(r)
    assert client.get("/me").status_code == 302


def test_signing_in_with_a_full_width_phone_works(client, make_user):
    make_user(phone=PHONE)
    r = post_form(client, "/auth/login", {"phone": PHONE.translate(FULLWIDTH), "password": PASSWORD})
    assert r.status_code == 303


@pytest.mark.parametrize("digit", ["٣", "³"])
def test_the_profile_refuses_an_id_number_in_other_digits_and_takes_full_width(app, client, make_user, digit):
    user = make_user(name="李强")
    login_as(client, user)
    r = post_form(client, "/me/edit", {"name": "李强", "id_number": _with_other_digit(ID_NUMBER, digit)})
    assert r.status_code == 422 and ID_MESSAGE in page_text(r)
    with app.app_context():
        assert db.session.get(User, user.id).id_number_hash is None
    r = post_form(client, "/me/edit", {"name": "李强", "id_number": ID_NUMBER.translate(FULLWIDTH)})
    assert r.status_code == 303
    with app.app_context():
        assert crypto.decrypt(db.session.get(User, user.id).id_number_encrypted) == ID_NUMBER


def test_the_profile_refuses_the_full_width_form_of_someone_elses_id(client, make_user):
    make_user(id_number=ID_NUMBER)
    login_as(client, make_user(name="王五"))
    r = post_form(client, "/me/edit", {"name": "王五", "id_number": ID_NUMBER.translate(FULLWIDTH)})
    assert r.status_code == 422 and "该身份证号已绑定其他账号" in page_text(r)


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_an_admin_cannot_create_an_account_with_a_phone_in_other_digits(app, client, make_user, tree, phone):
    login_as(client, make_user("admin"))
    form = {"phone": phone, "name": "刘洋", "role": "staff", "union_code": "CA1", "password": PASSWORD}
    r = post_form(client, "/admin/users/new", form)
    assert r.status_code == 422 and PHONE_MESSAGE in page_text(r)
    assert _users(app, role="staff") == 0
    r = post_form(client, "/admin/users/new", {**form, "phone": PHONE.translate(FULLWIDTH)})
    assert r.status_code == 303
    assert _users(app, phone=PHONE) == 1


@pytest.mark.parametrize("digit", ["٣", "३"])
def test_the_membership_form_refuses_an_id_number_in_other_digits_and_takes_full_width(
    app, client, make_user, tree, digit
):
    user = make_user(name="骑手甲")
    login_as(client, user)
    url = "/membership/apply/form?union=GA1"
    form = {**MEMBERSHIP_FORM, "union_code": "GA1", "consent": "y"}
    r = post_form(client, url, {**form, "id_number": _with_other_digit(ID_NUMBER, digit)})
    assert r.status_code == 422 and ID_MESSAGE in page_text(r)
    with app.app_context():
        assert db.session.scalar(select(func.count(MembershipApplication.id))) == 0
    r = post_form(client, url, {**form, "id_number": ID_NUMBER.translate(FULLWIDTH)})
    assert r.status_code == 303
    with app.app_context():
        assert crypto.decrypt(db.session.get(User, user.id).id_number_encrypted) == ID_NUMBER
