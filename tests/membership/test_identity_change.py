"""S5: once someone is a member (or an applicant), real name and ID number change only through a
request that staff review — audited, and the card's old QR codes stop verifying."""

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core import workflow
from portal.core.audit import AuditEvent
from portal.core.masking import mask_id_number
from portal.core.workflow import Application
from portal.extensions import db
from portal.membership import services
from portal.membership.models import IdentityChangeApplication, Membership
from tests.conftest import MEMBERSHIP_FORM
from tests.helpers import csrf_token, login_as, page_text, post_form, valid_id_number

OLD_ID = valid_id_number(birth="19950412", seq="131")
NEW_ID = valid_id_number(birth="19940412", seq="133")
REASON = "身份证号录入时把出生年份填错了（应为1994年），现申请更正。"


@pytest.fixture
def member(app, make_user, make_application, tree):
    """赵磊, approved into GA1 (under 香坊区) by its county staff."""
    user = make_user(name="赵磊", id_number=OLD_ID)
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    application = make_application(user, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
    user.staff = staff
    return user


def _account(app, user):
    with app.app_context():
        account = db.session.get(User, user.id)
        return account.name, account.reveal_id_number()


def _events(app, action):
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def _card_token(app, user):
    with app.app_context():
        return services.card_token(services.membership_of(db.session.get(User, user.id)))


def test_a_member_cannot_swap_name_or_id_number_at_me_edit(app, member):
    client = login_as(app.test_client(), member)
    page = page_text(client.get("/me/edit"))
    assert "只能通过提交更正申请" in page and "申请更正姓名或身份证号" in page
    assert 'name="id_number"' not in page  # not offered as an editable field
    r = client.post(
        "/me/edit", data={"name": "钱多多", "id_number": NEW_ID, "csrf_token": csrf_token(client, "/me/password")}
    )
    assert r.status_code == 403 and "只能通过更正申请" in page_text(r)
    assert _account(app, member) == ("赵磊", OLD_ID)
    assert "赵磊" in page_text(client.get("/me/card"))


def test_an_applicant_under_review_is_locked_too(app, make_user, make_application, tree):
    user = make_user(name="李强", id_number=OLD_ID)
    make_application(user, tree["grassroots_a1"])
    client = login_as(app.test_client(), user)
    r = client.post("/me/edit", data={"name": "李刚", "csrf_token": csrf_token(client, "/me/password")})
    assert r.status_code == 403
    assert _account(app, user) == ("李强", OLD_ID)


def test_someone_who_is_neither_member_nor_applicant_edits_directly(app, make_user):
    user = make_user(name="王五", id_number=OLD_ID)
    client = login_as(app.test_client(), user)
    assert 'name="id_number"' in page_text(client.get("/me/edit"))
    r = post_form(client, "/me/edit", {"name": "王六", "id_number": NEW_ID})
    assert r.status_code == 303
    assert _account(app, user) == ("王六", NEW_ID)


def test_a_locked_applicant_cannot_swap_the_id_through_the_correction_form(app, make_user, make_application, tree):
    user = make_user(name="李强", id_number=OLD_ID)
    staff = make_user("staff", union=tree["county_a1"])
    application = make_application(user, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(
            db.session.get(Application, application.id), db.session.get(User, staff.id), "request_info", "请核对"
        )
        db.session.commit()
    client = login_as(app.test_client(), user)
    edit = f"/membership/applications/{application.public_id}/edit"
    form = {**MEMBERSHIP_FORM, "union_code": "GA1", "consent": "y"}
    r = post_form(client, edit, {**form, "real_name": "李强", "id_number": NEW_ID})
    assert r.status_code == 422 and "只能通过更正申请" in page_text(r)
    r = post_form(client, edit, {**form, "real_name": "李刚"})
    assert r.status_code == 422 and "只能通过更正申请" in page_text(r)
    assert _account(app, user) == ("李强", OLD_ID)


def test_a_change_request_is_reviewed_then_changes_the_account_and_the_card(app, member, make_user, tree):
    client = login_as(app.test_client(), member)
    old_token = _card_token(app, member)
    with app.app_context():
        number = services.membership_of(db.session.get(User, member.id)).member_number
    r = post_form(client, "/membership/identity", {"real_name": "赵磊", "id_number": NEW_ID, "reason": REASON})
    assert r.status_code == 303
    request_id = r.headers["Location"].rsplit("/", 1)[1]
    assert "信息更正" in page_text(client.get(r.headers["Location"]))
    assert _account(app, member) == ("赵磊", OLD_ID)  # nothing changes before the review
    with app.app_context():
        stored = db.session.scalars(select(IdentityChangeApplication)).one()
        assert NEW_ID not in (stored.new_id_number_encrypted or "")  # sealed at rest
        assert stored.union.code == "GA1"

    # Staff of the sibling county do not see it; the member's county staff do, masked.
    sibling = login_as(app.test_client(), make_user("staff", union=tree["county_a2"]))
    assert sibling.get(f"/staff/reviews/{request_id}").status_code == 404
    desk = login_as(app.test_client(), member.staff)
    url = f"/staff/reviews/{request_id}"
    review = page_text(desk.get(url))
    assert mask_id_number(OLD_ID) in review and mask_id_number(NEW_ID) in review
    assert OLD_ID not in review and NEW_ID not in review
    assert REASON in review and number in review
    assert "1995年生" in review and "1994年生" in review and "4月12日" not in review
    # The logged reveal shows both numbers, and is recorded.
    revealed = page_text(post_form(desk, f"{url}/reveal-id", {}, token_from=url))
    assert OLD_ID in revealed and NEW_ID in revealed
    assert _events(app, "sensitive.id_number_viewed") == 1

    r = post_form(desk, f"{url}/decide", {"decision": "approve"}, token_from=url)
    assert r.status_code == 303
    assert _account(app, member) == ("赵磊", NEW_ID)
    with app.app_context():
        account = db.session.get(User, member.id)
        assert account.birth_date.year == 1994
        membership = db.session.scalars(select(Membership)).one()
        assert membership.member_number == number and membership.card_version == 2
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.changed")).one()
        assert event.actor_id == member.staff.id and event.subject_id == str(member.id)
        assert request_id in event.note and NEW_ID not in event.note
    # The old QR code no longer verifies; a fresh one does.
    public = app.test_client()
    assert "无效" in page_text(public.get(f"/verify/{old_token}"))
    assert "有效会员" in page_text(public.get(f"/verify/{_card_token(app, member)}"))
    assert "您的信息已更正" in page_text(client.get("/messages"))


def test_a_new_name_alone_is_a_request_too(app, member):
    client = login_as(app.test_client(), member)
    r = post_form(
        client, "/membership/identity", {"real_name": "赵磊磊", "id_number": "", "reason": "户口本上改名了。"}
    )
    assert r.status_code == 303
    desk = login_as(app.test_client(), member.staff)
    url = r.headers["Location"].replace("/membership/applications/", "/staff/reviews/")
    assert "赵磊磊" in page_text(desk.get(url))
    assert post_form(desk, f"{url}/decide", {"decision": "approve"}, token_from=url).status_code == 303
    assert _account(app, member) == ("赵磊磊", OLD_ID)
    assert "赵磊磊" in page_text(client.get("/me/card"))


def test_bad_change_requests_are_refused_with_a_reason(app, member, make_user):
    make_user(name="别人", id_number=NEW_ID)
    client = login_as(app.test_client(), member)
    cases = [
        ({"real_name": "赵磊", "id_number": "", "reason": "没变"}, "无需更正"),
        ({"real_name": "赵磊", "id_number": NEW_ID, "reason": "改号"}, "已绑定其他账号"),
        ({"real_name": "赵磊", "id_number": valid_id_number(birth="19950412"), "reason": ""}, "请说明需要更正的原因"),
        ({"real_name": "赵磊", "id_number": "230110199504121230", "reason": "改号"}, "身份证号"),
    ]
    for data, message in cases:
        r = post_form(client, "/membership/identity", data)
        assert r.status_code == 422 and message in page_text(r), (data, r.status_code)
    with app.app_context():
        assert db.session.scalar(select(func.count(IdentityChangeApplication.id))) == 0


def test_one_open_change_request_at_a_time_and_not_for_the_unlocked(app, member, make_user):
    client = login_as(app.test_client(), member)
    r = post_form(client, "/membership/identity", {"real_name": "赵磊磊", "id_number": "", "reason": "改名。"})
    assert r.status_code == 303
    again = client.get("/membership/identity")
    assert again.status_code == 302 and again.headers["Location"] == r.headers["Location"]
    stranger = login_as(app.test_client(), make_user(id_number=valid_id_number()))
    r = stranger.get("/membership/identity")
    assert r.status_code == 302 and r.headers["Location"].endswith("/me/edit")


def test_approval_refuses_a_request_that_went_stale(app, member):
    with app.app_context():
        from portal.membership import identity

        user = db.session.get(User, member.id)
        request = identity.request_change(user, real_name="赵磊磊", id_number=None, reason="改名。")
        db.session.commit()
        user.name = "别的名字"  # changed by other means meanwhile (e.g. an admin's repair)
        db.session.commit()
        from portal.core.errors import InvalidTransition

        with pytest.raises(InvalidTransition):
            workflow.decide(request, db.session.get(User, member.staff.id), "approve")
        db.session.rollback()
