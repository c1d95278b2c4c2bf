"""UX7: rejecting and bulk approval ask first — with a page of their own when JavaScript is off."""

import pytest

from portal.core.workflow import Application
from portal.extensions import db
from tests.helpers import login_as, page_text, post_form, valid_id_number


@pytest.fixture
def desk(app, make_user, make_application, tree):
    staff = make_user("staff", union=tree["county_a1"], name="刘洋")
    applicants = [make_user(name=n, id_number=valid_id_number()) for n in ("赵磊", "钱芳", "孙涛")]
    applications = [make_application(a, tree["grassroots_a1"]) for a in applicants]
    return login_as(app.test_client(), staff), applications


def _status(app, application) -> str:
    with app.app_context():
        return db.session.get(Application, application.id).status


def _decide(client, application, **data):
    url = f"/staff/reviews/{application.public_id}"
    return post_form(client, f"{url}/decide", data, token_from=url)


def test_reject_without_javascript_shows_a_confirmation_page_first(app, desk):
    client, (application, *_rest) = desk
    reason = "工作单位与身份证信息不符，请核对后重新申请。"
    r = _decide(client, application, decision="reject", note=reason, reason="")
    assert r.status_code == 200
    page = page_text(r)
    assert "确定不予通过该申请？" in page and reason in page and "确认不予通过" in page
    assert 'name="confirmed" value="yes"' in page
    assert _status(app, application) == "submitted"  # nothing decided yet
    r = _decide(client, application, decision="reject", note=reason, confirmed="yes")
    assert r.status_code == 303
    assert _status(app, application) == "rejected"


def test_change_the_reason_goes_back_to_the_form_with_the_text_kept(app, desk):
    client, (application, *_rest) = desk
    r = _decide(client, application, decision="reject", note="材料不全。", confirmed="no")
    assert r.status_code == 200
    page = page_text(r)
    assert "材料不全。</textarea>" in page and "确认不予通过" not in page
    assert _status(app, application) == "submitted"


def test_a_reject_without_a_reason_is_refused_before_any_confirmation(app, desk):
    client, (application, *_rest) = desk
    r = _decide(client, application, decision="reject", note="  ")
    assert r.status_code == 422 and "请填写不予通过的原因" in page_text(r)
    assert "确认不予通过" not in page_text(r)


def test_the_reject_button_carries_its_confirmation_for_javascript(desk):
    client, (application, *_rest) = desk
    page = page_text(client.get(f"/staff/reviews/{application.public_id}"))
    button = page.split('value="reject"', 1)[1].split(">", 1)[0]
    assert "data-confirm=" in button and 'data-confirmed-field="confirmed"' in button


def test_bulk_approve_lists_what_it_will_approve_and_waits_for_a_yes(app, desk):
    client, applications = desk
    ids = [a.public_id for a in applications[:2]]
    r = post_form(
        client, "/staff/reviews/bulk-approve", {"ids": ids, "back": "/staff/reviews"}, token_from="/staff/reviews"
    )
    assert r.status_code == 200
    page = page_text(r)
    assert "确定通过这些申请？" in page and "赵磊" in page and "钱芳" in page and "孙涛" not in page
    assert "确认通过2份申请" in page
    assert [_status(app, a) for a in applications] == ["submitted"] * 3
    r = post_form(
        client,
        "/staff/reviews/bulk-approve",
        {"ids": ids, "back": "/staff/reviews", "confirmed": "yes"},
        token_from="/staff/reviews",
    )
    assert r.status_code == 303
    assert [_status(app, a) for a in applications] == ["approved", "approved", "submitted"]


def test_bulk_approve_with_nothing_ticked_says_so_and_keeps_the_filters(app, desk):
    client, applications = desk
    back = "/staff/reviews?status=awaiting&q=%E8%B5%B5"
    r = post_form(client, "/staff/reviews/bulk-approve", {"back": back}, token_from="/staff/reviews")
    assert r.status_code == 303 and r.headers["Location"] == back
    assert "未通过任何申请：请先勾选要通过的申请。" in page_text(client.get(r.headers["Location"]))
    assert [_status(app, a) for a in applications] == ["submitted"] * 3


def test_bulk_approve_back_link_stays_on_the_staff_queue(app, desk):
    client, _applications = desk
    for back in ("https://evil.example/staff/reviews", "//evil.example/", "/admin/users"):
        r = post_form(client, "/staff/reviews/bulk-approve", {"back": back}, token_from="/staff/reviews")
        assert r.status_code == 303 and r.headers["Location"] == "/staff/reviews"
