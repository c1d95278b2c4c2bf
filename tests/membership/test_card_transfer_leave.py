"""After approval: the member card and its verification, transferring, leaving."""

import re
import time

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core import workflow
from portal.core.workflow import Application
from portal.extensions import db
from portal.membership import services
from portal.membership.models import Membership
from tests.helpers import login_as, page_text, post_form, valid_id_number


@pytest.fixture
def member(app, make_user, make_application, tree):
    """赵磊, approved into GA1 (under 香坊区) by its county staff."""
    user = make_user(name="赵磊", id_number=valid_id_number(birth="19950412"))
    staff = make_user("staff", union=tree["county_a1"])
    application = make_application(user, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
    return user


def _card_token(client) -> str:
    """The token the card's QR code carries (the browser test decodes it from the real image)."""
    with client.session_transaction() as sess:
        user_id = int(sess["_user_id"].split(":")[0])
    with client.application.app_context():
        return services.card_token(services.membership_of(db.session.get(User, user_id)))


def test_member_card_shows_masked_details_and_a_qr_code(app, client, member):
    login_as(client, member)
    page = page_text(client.get("/me/card"))
    assert "赵磊" in page and "2301**********" in page and "香坊区快递外卖配送行业工会联合会" in page
    img = re.search(r'src="(/me/card\.svg[^"]*)"', page).group(1)
    with client.get(img) as svg:
        assert svg.mimetype == "image/svg+xml" and svg.headers["Cache-Control"] == "private, no-store"
        body = svg.get_data(as_text=True)
    assert 'class="segno"' in body and "赵磊" in body and "2301**********" in body
    with app.app_context():
        number = db.session.scalars(select(Membership.member_number)).one()
    assert number in page and number in body


def test_verify_says_valid_member_with_a_masked_name(client, member):
    login_as(client, member)
    token = _card_token(client)
    public = client.application.test_client()  # a merchant: not signed in
    html = page_text(public.get(f"/verify/{token}"))
    assert "有效会员" in html and "赵*" in html and "赵磊" not in html
    assert "香坊区快递外卖配送行业工会联合会" in html


def test_tampered_or_foreign_tokens_are_not_valid(client, member):
    login_as(client, member)
    token = _card_token(client)
    public = client.application.test_client()
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for bad in (forged, "not-a-token", "x" * 2000):
        html = page_text(public.get(f"/verify/{bad}"))
        assert "无效" in html and "有效会员" not in html


def test_expired_tokens_are_not_valid(app, client, member):
    login_as(client, member)
    token = _card_token(client)
    app.config["MEMBER_CARD_TOKEN_TTL"] = 1
    try:
        time.sleep(2.1)
        html = page_text(app.test_client().get(f"/verify/{token}"))
    finally:
        app.config["MEMBER_CARD_TOKEN_TTL"] = 24 * 3600
    assert "无效" in html and "已过期" in html


def test_no_card_before_approval(client, make_user, make_application, tree):
    user = make_user(id_number=valid_id_number())
    make_application(user, tree["grassroots_a1"])
    login_as(client, user)
    assert "会员证即将生成" in page_text(client.get("/me/card"))
    assert client.get("/me/card.svg").status_code == 404


def test_transfer_is_reviewed_by_the_receiving_union_and_keeps_the_number(app, client, member, make_user, tree):
    login_as(client, member)
    with app.app_context():
        before = db.session.scalars(select(Membership)).one()
        number, joined = before.member_number, before.joined_on
    chooser = page_text(client.get("/membership/transfer?q=通河镇"))
    assert "通河县通河镇社区工会联合会" in chooser
    r = post_form(client, "/membership/transfer/form?union=GA2", {"union_code": "GA2", "reason": "搬到通河县了"})
    assert r.status_code == 303
    transfer_id = r.headers["Location"].rsplit("/", 1)[1]
    # The sending county's staff do not review it; the receiving county's do.
    sending = login_as(app.test_client(), make_user("staff", union=tree["county_a1"]))
    assert sending.get(f"/staff/reviews/{transfer_id}").status_code == 404
    receiving = login_as(app.test_client(), make_user("staff", union=tree["county_a2"]))
    detail = page_text(receiving.get(f"/staff/reviews/{transfer_id}"))
    assert "转会" in detail and "搬到通河县了" in detail and number in detail
    r = post_form(
        receiving,
        f"/staff/reviews/{transfer_id}/decide",
        {"decision": "approve"},
        token_from=f"/staff/reviews/{transfer_id}",
    )
    assert r.status_code == 303
    with app.app_context():
        after = db.session.scalars(select(Membership)).one()
        assert after.union.code == "GA2"
        assert (after.member_number, after.joined_on) == (number, joined)
        assert [e.action for e in after.events] == ["joined", "transferred"]
    assert "转会申请已通过" in page_text(client.get("/messages"))
    history = page_text(client.get("/membership"))
    assert "会籍记录" in history and "通河县通河镇社区工会联合会" in history


@pytest.mark.parametrize(
    "code, message", [("GA1", "您已是该工会的会员"), ("CA2", "会员须加入基层工会"), ("NOPE", "没有该代码对应的工会")]
)
def test_transfer_bad_targets(client, member, code, message):
    login_as(client, member)
    r = post_form(client, f"/membership/transfer/form?union={code}", {"union_code": code, "reason": ""})
    assert r.status_code == 422 and message in page_text(r)


def test_leaving_is_recorded_and_the_card_stops_verifying(app, client, member):
    login_as(client, member)
    token = _card_token(client)
    r = post_form(client, "/membership/leave", {"reason": "", "confirm": ""})
    assert r.status_code == 422 and "请确认您要退会" in page_text(r)
    r = post_form(client, "/membership/leave", {"reason": "换工作了", "confirm": "y"})
    assert r.status_code == 303
    with app.app_context():
        membership = db.session.scalars(select(Membership)).one()
        assert membership.status == "left" and membership.left_reason == "换工作了"
        assert [e.action for e in membership.events] == ["joined", "left"]
    assert "无效" in page_text(app.test_client().get(f"/verify/{token}"))
    assert "您还不是会员" in page_text(client.get("/me/card"))
    # They may apply again; on approval they get their old number back.
    assert client.get("/membership/apply").status_code == 200


def test_rejoining_keeps_the_member_number(app, member, make_user, make_application, tree):
    with app.app_context():
        user = db.session.get(User, member.id)
        number = services.membership_of(user).member_number
        services.leave(user, reason=None)
        db.session.commit()
    application = make_application(member, tree["grassroots_a1b"])
    staff = make_user("staff", union=tree["county_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
        membership = services.membership_of(db.session.get(User, member.id))
        assert membership.is_active and membership.member_number == number and membership.union.code == "GA1B"
        assert [e.action for e in membership.events] == ["joined", "left", "rejoined"]


def test_member_numbers_are_sequential_per_province_and_year(app, make_user, make_application, tree):
    from datetime import date

    staff = make_user("staff", union=tree["county_a1"])
    numbers = []
    for _ in range(3):
        application = make_application(make_user(id_number=valid_id_number()), tree["grassroots_a1"])
        with app.app_context():
            workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
            db.session.commit()
            numbers.append(db.session.get(Application, application.id).applicant_id)
    with app.app_context():
        issued = sorted(db.session.scalars(select(Membership.member_number)))
    year = date.today().year
    assert issued == [f"00{year}{n:08d}" for n in (1, 2, 3)]  # the test tree has no region codes: "00"


# --- UX13: transfer never offers the current union; leave explains a pending transfer ---------------


def test_the_transfer_chooser_does_not_offer_the_members_own_union(client, member):
    login_as(client, member)
    offered = page_text(client.get("/membership/transfer?q=工会")).split("可加入的工会", 1)[1]
    assert "哈尔滨松江机械制造有限公司工会" in offered  # another union of the same district
    assert "香坊区快递外卖配送行业工会联合会" not in offered  # the member's own


def test_the_transfer_form_refuses_the_current_union_as_soon_as_it_opens(client, member):
    login_as(client, member)
    r = client.get("/membership/transfer/form?union=GA1")
    assert r.status_code == 200
    assert "您已是该工会的会员，请选择要转入的工会" in page_text(r)


def test_leave_with_a_pending_transfer_says_to_withdraw_it_first(app, client, member):
    login_as(client, member)
    r = post_form(client, "/membership/transfer/form?union=GA2", {"union_code": "GA2", "reason": ""})
    transfer_url = r.headers["Location"]
    assert "退会" in page_text(client.get("/membership"))  # not hidden while the transfer is pending
    page = page_text(client.get("/membership/leave"))
    assert "请先撤回正在办理的申请" in page and "通河县通河镇社区工会联合会" in page
    assert f'href="{transfer_url}"' in page
    assert 'name="confirm"' not in page  # no leave form that could only fail
    with app.app_context():
        assert db.session.scalars(select(Membership)).one().is_active


# --- UX11: the card's QR code is live; the verify page says when and which union --------------------


def test_the_card_says_its_code_is_live_and_refreshes_it(client, member):
    login_as(client, member)
    page = page_text(client.get("/me/card"))
    assert "长按" not in page and "保存到手机" not in page
    assert "二维码实时生成" in page and "每分钟自动刷新" in page and "截图会失效" in page
    assert re.search(r'<script src="/static/js/card\.[^"]*js[^"]*" defer></script>', page)
    assert 'data-refresh-seconds="60"' in page and "二维码生成于" in page
    stamps = {
        re.search(r'src="/me/card\.svg\?t=([\w-]+)"', page_text(client.get("/me/card"))).group(1) for _ in range(3)
    }
    assert len(stamps) == 3  # a fresh image on every opening


def test_verify_shows_when_it_was_checked_and_which_union(client, member):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    login_as(client, member)
    token = _card_token(client)
    html = page_text(client.application.test_client().get(f"/verify/{token}"))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert "核验时间" in html and f"{today.year}年{today.month}月{today.day}日" in html and "北京时间" in html
    assert "香坊区快递外卖配送行业工会联合会" in html
    assert "黑龙江省总工会 › 哈尔滨市总工会 › 香坊区总工会" in html
