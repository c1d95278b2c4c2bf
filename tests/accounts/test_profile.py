"""我的: seeing and editing one's own profile; sensitive values stay masked."""

from sqlalchemy import select

from portal.accounts.models import User
from portal.core import crypto
from portal.extensions import db
from tests.helpers import login_as, page_text, post_form, valid_id_number


def test_profile_shows_masked_phone_and_id(client, make_user):
    id_number = valid_id_number(birth="19900315", seq="123")
    user = make_user(phone="13811112222", name="张伟", id_number=id_number)
    html = page_text(login_as(client, user).get("/me"))
    assert "138****2222" in html
    assert id_number[:4] + "*" * 13 + id_number[-1] in html
    assert id_number not in html
    assert "1990年生" in html and "1990年3月15日" not in html  # birth year and age only
    assert "男" in html


def test_worker_adds_an_id_number_and_gets_birth_date_and_gender(app, client, make_user):
    user = make_user(name="李强")
    login_as(client, user)
    id_number = valid_id_number(birth="19951120", seq="246")
    r = post_form(client, "/me/edit", {"name": "李强", "id_number": id_number})
    assert r.status_code == 303
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert saved.birth_date.isoformat() == "1995-11-20"
        assert saved.gender == "female"
        assert crypto.decrypt(saved.id_number_encrypted) == id_number


def test_empty_id_field_keeps_the_existing_number(app, client, make_user):
    id_number = valid_id_number()
    user = make_user(id_number=id_number)
    login_as(client, user)
    form = page_text(client.get("/me/edit"))
    assert id_number not in form  # the clear number is never put back into the page
    assert post_form(client, "/me/edit", {"name": "新名字", "id_number": ""}).status_code == 303
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert saved.name == "新名字"
        assert crypto.decrypt(saved.id_number_encrypted) == id_number


def test_id_number_of_someone_else_is_refused(app, client, make_user):
    taken = valid_id_number()
    make_user(id_number=taken)
    me = make_user(name="王五")
    login_as(client, me)
    r = post_form(client, "/me/edit", {"name": "王五改", "id_number": taken})
    assert r.status_code == 422
    assert "该身份证号已绑定其他账号" in page_text(r)
    with app.app_context():
        assert db.session.get(User, me.id).name == "王五"  # nothing half-saved


def test_profile_edit_rejects_a_bad_id_and_keeps_the_typing(client, make_user):
    login_as(client, make_user())
    r = post_form(client, "/me/edit", {"name": "赵六", "id_number": "230110199013451234"})
    html = page_text(r)
    assert r.status_code == 422
    assert "出生日期不存在" in html and 'value="赵六"' in html


def test_only_the_owner_sees_their_profile(app, client, make_user):
    a = make_user(name="甲某", phone="13811110001")
    make_user(name="乙某", phone="13811110002")
    html = page_text(login_as(client, a).get("/me"))
    assert "甲某" in html and "乙某" not in html
    with app.app_context():
        assert db.session.scalars(select(User.name)).all()
