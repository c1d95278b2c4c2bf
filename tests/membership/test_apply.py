"""Joining the union: choosing a union, applying, bad input, one open application, the status page."""

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.workflow import Application
from portal.extensions import db
from portal.membership import services
from portal.membership.models import MembershipApplication
from tests.conftest import MEMBERSHIP_FORM
from tests.helpers import login_as, page_text, post_form, valid_id_number


def _form(**changes):
    return {**MEMBERSHIP_FORM, "union_code": "GA1", "consent": "y", **changes}


def _count(app, model=Application):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def rider(make_user):
    return make_user(name="李强", id_number=valid_id_number(birth="19950412"))


def test_rider_applies_and_sees_the_status_page(app, client, tree, rider):
    login_as(client, rider)
    r = post_form(client, "/membership/apply/form?union=GA1", _form(real_name="李强"))
    assert r.status_code == 303
    status_page = client.get(r.headers["Location"])
    html = page_text(status_page)
    assert "已提交" in html and "香坊区快递外卖配送行业工会联合会" in html
    assert "黑龙江省总工会 › 哈尔滨市总工会 › 香坊区总工会 › 香坊区快递外卖配送行业工会联合会" in html
    assert "撤回申请" in html
    with app.app_context():
        application = db.session.scalars(select(MembershipApplication)).one()
        assert application.status == "submitted"
        assert application.employment_type == "delivery_rider" and application.platform == "meituan"
        assert application.consent_version == app.config["PRIVACY_NOTICE_VERSION"]
        assert application.consented_at is not None
    assert "已收到您的入会申请" in page_text(client.get("/messages"))


def test_the_form_is_prefilled_from_the_profile_and_shows_the_derived_id_details(client, tree, rider):
    login_as(client, rider)
    html = page_text(client.get("/membership/apply/form?union=GA1"))
    assert 'value="李强"' in html
    assert "2301**********" in html and "1995年生" in html and "1995年4月12日" not in html
    assert 'name="id_number"' not in html  # already on the profile: not asked again


def test_a_worker_without_id_number_gives_it_in_the_form(app, client, tree, make_user):
    user = make_user(name="王五")
    login_as(client, user)
    id_number = valid_id_number(birth="19900101")
    assert 'name="id_number"' in page_text(client.get("/membership/apply/form?union=GA1"))
    r = post_form(client, "/membership/apply/form?union=GA1", _form(real_name="王五", id_number=id_number))
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(User, user.id).birth_date.isoformat() == "1990-01-01"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"id_number": "230110199003151230"}, "校验位不符"),
        ({"id_number": ""}, "请输入身份证号"),
        ({"union_code": "NOPE"}, "没有该代码对应的工会"),
        ({"union_code": "CA1"}, "会员须加入基层工会"),
        ({"union_code": ""}, "请选择要加入的工会"),
        ({"employment_type": ""}, "请选择您的职业类型"),
        ({"employment_type": "astronaut"}, "请从选项中选择"),
        ({"platform": ""}, "请选择您所在的平台或公司"),
        ({"platform": "other", "employer": ""}, "请填写平台或公司名称"),
        ({"employment_type": "employee", "employer": ""}, "请填写工作单位名称"),
        ({"education": ""}, "请选择学历"),
        ({"ethnicity": "99"}, "请从选项中选择"),
        ({"consent": ""}, "请同意处理您的个人信息"),
        ({"real_name": ""}, "请输入真实姓名"),
        ({"employer": "公" * 101}, "最多100个字符"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(app, client, tree, make_user, changes, message):
    login_as(client, make_user(name="王五"))
    data = _form(real_name="王五", id_number=valid_id_number())
    data.update(changes)
    r = post_form(client, "/membership/apply/form?union=GA1", data)
    assert r.status_code == 422
    assert message in page_text(r)
    assert _count(app) == 0


def test_under_16_is_refused(app, client, tree, make_user):
    from datetime import date

    too_young = valid_id_number(birth=f"{date.today().year - 15}0101")
    login_as(client, make_user(name="小明"))
    r = post_form(client, "/membership/apply/form?union=GA1", _form(real_name="小明", id_number=too_young))
    assert r.status_code == 422 and "年满16周岁" in page_text(r)
    assert _count(app) == 0


def test_one_open_application_per_person(app, client, tree, rider, make_application):
    make_application(rider, tree["grassroots_a1"])
    login_as(client, rider)
    # The pages send them to their application instead…
    assert client.get("/membership/apply/form?union=GA1B").status_code == 302
    # …and the rule holds in the service too.
    with app.app_context(), pytest.raises(Exception, match="正在办理|in progress"):
        services.apply(db.session.get(User, rider.id), {**MEMBERSHIP_FORM, "union_code": "GA1B"}, consent=True)
    assert _count(app) == 1


def test_an_existing_member_cannot_apply_again(app, tree, rider, make_application, make_user):
    from portal.core import workflow

    application = make_application(rider, tree["grassroots_a1"])
    staff = make_user("staff", union=tree["county_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
        with pytest.raises(Exception, match="转会|transfer"):
            services.apply(db.session.get(User, rider.id), {**MEMBERSHIP_FORM, "union_code": "GA1B"}, consent=True)


def test_the_chooser_suggests_the_riders_federation_first(client, tree, make_union, rider):
    make_union("GA1C", parent=tree["county_a1"], name="香坊区某社区工会联合会", kind="community_federation")
    make_union(
        "CAF", parent=tree["city_a"], name="哈尔滨市快递行业工会联合会", kind="industry_federation", serves="courier"
    )
    from portal.extensions import db as _db
    from portal.unions.models import Union

    with client.application.app_context():
        _db.session.get(Union, tree["grassroots_a1"].id).serves = "delivery_rider,courier"
        _db.session.get(Union, tree["county_a1"].id).region_code = "230110"
        _db.session.commit()
    login_as(client, rider)
    html = page_text(client.get("/membership/apply?work_region_code=230110&employment_type=delivery_rider"))
    names = [
        n
        for n in [
            "香坊区快递外卖配送行业工会联合会",
            "哈尔滨松江机械制造有限公司工会",
            "香坊区某社区工会联合会",
            "哈尔滨市快递行业工会联合会",
        ]
        if n in html
    ]
    assert names[0] == "香坊区快递外卖配送行业工会联合会"
    assert set(names) == {
        "香坊区快递外卖配送行业工会联合会",
        "哈尔滨松江机械制造有限公司工会",
        "香坊区某社区工会联合会",
        "哈尔滨市快递行业工会联合会",
    }
    assert "通河县" not in html.split("可加入的工会")[1]  # another district's unions are not offered
    courier = page_text(client.get("/membership/apply?work_region_code=230110&employment_type=courier"))
    first = courier.index("香坊区快递外卖配送行业工会联合会")
    assert first < courier.index("哈尔滨松江机械制造有限公司工会")
    search = page_text(client.get("/membership/apply?q=通河镇"))
    assert "通河县通河镇社区工会联合会" in search and "香坊区快递外卖配送行业工会联合会" not in search


def test_poster_link_lands_a_visitor_on_the_unions_join_page(client, tree):
    r = client.get("/membership/join/GA1")
    assert r.status_code == 200  # not a sign-in page
    html = page_text(r)
    assert "香坊区快递外卖配送行业工会联合会" in html
    assert "黑龙江省总工会 › 哈尔滨市总工会 › 香坊区总工会" in html  # where it sits in the tree
    for step in ("注册账号", "填写入会信息", "工会审核"):
        assert step in html
    assert "注册并申请入会" in html and "已有账号？登录" in html
    assert "电子会员证" in html and "职工驿站" in html  # live services only
    assert "困难帮扶" in html and "互助医疗" not in html  # built: promised; not built yet: not promised
    assert html.count('class="button block join-button"') == 1  # one large button


def test_poster_link_preselects_the_union_after_sign_in(client, tree, rider):
    login_as(client, rider)
    r = client.get("/membership/join/GA1")
    form = page_text(client.get(r.headers["Location"]))
    assert 'name="union_code" type="hidden" value="GA1"' in form
    assert "香坊区快递外卖配送行业工会联合会" in form
    assert client.get("/membership/join/CA1").status_code == 404  # not a grassroots union
    assert client.get("/membership/join/NOPE").status_code == 404


def test_poster_qr_code_is_an_svg_of_the_join_link(client, tree):
    with client.get("/membership/join/GA1/qr.svg") as r:
        assert r.status_code == 200 and r.mimetype == "image/svg+xml"
        assert b"<svg" in r.data and b"<path" in r.data


def test_registering_from_a_poster_returns_to_the_join_form(client, tree):
    landing = client.get("/membership/join/GA1")
    register_link = [part for part in page_text(landing).split('"') if part.startswith("/auth/register")]
    assert register_link and "next=" in register_link[0]
    register_url = register_link[0].replace("&amp;", "&")
    r = post_form(
        client,
        register_url,
        {
            "phone": "13812340000",
            "name": "骑手乙",
            "password": "Test@2026pw",
            "confirm": "Test@2026pw",
            "agree": "y",
        },
    )
    assert r.status_code == 303 and r.headers["Location"].startswith("/membership/apply/form?union=GA1")
    form = page_text(client.get(r.headers["Location"]))
    assert 'name="union_code" type="hidden" value="GA1"' in form and 'value="骑手乙"' in form


def test_signing_in_from_a_poster_returns_to_the_join_form(client, tree, rider):
    landing = page_text(client.get("/membership/join/GA1"))
    login_link = [part for part in landing.split('"') if part.startswith("/auth/login")]
    assert login_link and "next=" in login_link[0]
    r = post_form(client, login_link[0].replace("&amp;", "&"), {"phone": rider.phone, "password": rider.test_password})
    assert r.status_code == 303 and r.headers["Location"].startswith("/membership/apply/form?union=GA1")


def test_a_typed_id_number_is_read_back_when_the_form_comes_back(client, tree, make_user):
    login_as(client, make_user(name="王五"))
    r = post_form(
        client,
        "/membership/apply/form?union=GA1",
        _form(real_name="王五", id_number=valid_id_number(birth="19880808", seq="124"), education=""),
    )
    html = page_text(r)
    assert r.status_code == 422 and "请选择学历" in html
    assert "出生日期 1988年8月8日" in html and "性别 女" in html
