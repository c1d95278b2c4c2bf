"""UX8 and S10: the applicant answers a request for information; prose keeps its Chinese punctuation.

The reply is the note of the ``resubmit`` transition: the reviewer reads it on the review page,
both timelines show it, and the audit trail keeps it.
"""

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.workflow import Application
from portal.extensions import db
from tests.helpers import login_as, page_text, post_form, valid_id_number

# Every Chinese punctuation mark a person types in prose, and a line break.
PROSE = "来的，门锁着，“保安”说：（下午）再来！好吗？《说明》、站点；\n第二行。"


@pytest.fixture
def asked(app, make_user, make_application, tree):
    """赵磊's application, on which county staff asked for more information."""
    applicant = make_user(name="赵磊", id_number=valid_id_number())
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    application = make_application(applicant, tree["grassroots_a1"])
    worker = login_as(app.test_client(), applicant)
    desk = login_as(app.test_client(), staff)
    url = f"/staff/reviews/{application.public_id}"
    question = "请补充：配送站点全称（含区名）、入职时间？谢谢！"
    r = post_form(desk, f"{url}/decide", {"decision": "request_info", "note": question, "reason": ""}, token_from=url)
    assert r.status_code == 303
    return {"worker": worker, "desk": desk, "application": application, "question": question}


def _status(app, application):
    with app.app_context():
        return db.session.get(Application, application.id).status


def test_applicant_replies_staff_read_it_verbatim_and_can_approve(app, asked):
    worker, desk, application = asked["worker"], asked["desk"], asked["application"]
    mine = f"/membership/applications/{application.public_id}"
    page = page_text(worker.get(mine))
    assert asked["question"] in page  # the staff's question, punctuation intact
    assert f'action="{mine}/reply"' in page and "发送回复" in page
    r = post_form(worker, f"{mine}/reply", {"reply": PROSE}, token_from=mine)
    assert r.status_code == 303 and r.headers["Location"] == mine
    assert _status(app, application) == "resubmitted"
    # The applicant's timeline shows the reply as typed.
    assert PROSE in page_text(worker.get(mine))
    # The staff review page shows it at the top and in the audit trail.
    review = page_text(desk.get(f"/staff/reviews/{application.public_id}"))
    assert "申请人的回复" in review and review.count(PROSE) == 2
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.resubmit")).one()
        assert event.note == PROSE and event.actor_id == application.applicant_id
    url = f"/staff/reviews/{application.public_id}"
    r = post_form(desk, f"{url}/decide", {"decision": "approve"}, token_from=url)
    assert r.status_code == 303 and _status(app, application) == "approved"


def test_a_reply_is_required_and_only_while_information_is_requested(app, asked, make_user):
    worker, application = asked["worker"], asked["application"]
    mine = f"/membership/applications/{application.public_id}"
    r = post_form(worker, f"{mine}/reply", {"reply": "   "}, token_from=mine)
    assert r.status_code == 422 and "请填写给工会的回复" in page_text(r)
    r = post_form(worker, f"{mine}/reply", {"reply": "长" * 501}, token_from=mine)
    assert r.status_code == 422 and "回复最多500个字" in page_text(r)
    assert _status(app, application) == "needs_info"
    # Someone else cannot reply to it.
    stranger = login_as(app.test_client(), make_user(id_number=valid_id_number()))
    assert post_form(stranger, f"{mine}/reply", {"reply": "我来回复"}, token_from="/membership").status_code == 404
    # Once replied, it is awaiting review again: a second reply is refused.
    assert post_form(worker, f"{mine}/reply", {"reply": "已补充。"}, token_from=mine).status_code == 303
    r = post_form(worker, f"{mine}/reply", {"reply": "再补充。"}, token_from="/membership")
    assert r.status_code == 409


def test_the_corrected_form_can_carry_a_reply_too(app, asked):
    worker, desk, application = asked["worker"], asked["desk"], asked["application"]
    edit = f"/membership/applications/{application.public_id}/edit"
    assert "给工会的回复（选填）" in page_text(worker.get(edit))
    from tests.conftest import MEMBERSHIP_FORM

    data = {**MEMBERSHIP_FORM, "real_name": "赵磊", "union_code": "GA1", "consent": "y", "employer": "香坊站（通天街）"}
    r = post_form(worker, edit, {**data, "reply": PROSE})
    assert r.status_code == 303
    review = page_text(desk.get(f"/staff/reviews/{application.public_id}"))
    assert PROSE in review and "香坊站（通天街）" in review


def test_staff_notes_and_reasons_keep_chinese_punctuation(app, make_user, make_application, tree):
    applicant = make_user(name="钱芳", id_number=valid_id_number())
    desk = login_as(app.test_client(), make_user("staff", union=tree["county_a1"]))
    application = make_application(applicant, tree["grassroots_a1"])
    url = f"/staff/reviews/{application.public_id}"
    r = post_form(
        desk,
        f"{url}/decide",
        {"decision": "reject", "note": PROSE, "reason": "", "confirmed": "yes"},
        token_from=url,
    )
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(Application, application.id).last_note == PROSE
    worker = login_as(app.test_client(), applicant)
    assert PROSE in page_text(worker.get(f"/membership/applications/{application.public_id}"))
    assert PROSE.split("\n")[0] in page_text(worker.get("/messages"))


def test_transfer_and_leave_reasons_keep_chinese_punctuation(app, make_user, make_application, tree):
    from portal.accounts.models import User
    from portal.core import workflow
    from portal.membership.models import Membership, TransferApplication

    member = make_user(name="孙涛", id_number=valid_id_number())
    staff = make_user("staff", union=tree["county_a1"])
    application = make_application(member, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
    client = login_as(app.test_client(), member)
    url = "/membership/transfer/form?union=GA2"
    r = post_form(client, url, {"union_code": "GA2", "reason": PROSE})
    assert r.status_code == 303
    with app.app_context():
        transfer = db.session.scalars(select(TransferApplication)).one()
        assert transfer.reason == PROSE
    r = post_form(client, f"/membership/applications/{transfer.public_id}/withdraw", {})
    assert r.status_code == 303
    r = post_form(client, "/membership/leave", {"reason": PROSE, "confirm": "y"})
    assert r.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Membership)).one().left_reason == PROSE
