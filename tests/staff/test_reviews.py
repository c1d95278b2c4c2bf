"""The staff review queue and decisions — the shared workflow seen from the staff desk."""

import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.workflow import Application
from portal.extensions import db
from portal.membership.models import Membership
from tests.helpers import login_as, page_text, post_form, selects_of, valid_id_number


@pytest.fixture
def county_staff(make_user, tree):
    return make_user("staff", union=tree["county_a1"], name="刘洋")


@pytest.fixture
def submitted(make_user, make_application, tree):
    applicant = make_user(name="赵磊", phone="13811112222", id_number=valid_id_number(birth="19950412"))
    return applicant, make_application(applicant, tree["grassroots_a1"])


def decide(client, application, decision, note="", reason="", confirmed="yes"):
    """A decision as the desk's form sends it; ``confirmed="yes"`` is what the reject button's
    confirmation dialog adds (the page without JavaScript is tested on its own)."""
    return post_form(
        client,
        f"/staff/reviews/{application.public_id}/decide",
        {"decision": decision, "note": note, "reason": reason, "confirmed": confirmed},
        token_from=f"/staff/reviews/{application.public_id}",
    )


def _reload(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def test_queue_lists_applications_in_scope_with_masked_phones(client, county_staff, submitted):
    login_as(client, county_staff)
    html = page_text(client.get("/staff/reviews"))
    assert "赵磊" in html and "138****2222" in html and "13811112222" not in html
    assert "香坊区快递外卖配送行业工会联合会" in html


def test_sibling_county_and_other_grassroots_staff_do_not_see_it(app, make_user, tree, submitted):
    for union in ("county_a2", "grassroots_a1b", "city_b"):
        client = login_as(app.test_client(), make_user("staff", union=tree[union]))
        assert "赵磊" not in page_text(client.get("/staff/reviews?status=all"))
        assert client.get(f"/staff/reviews/{submitted[1].public_id}").status_code == 404
        assert decide(client, submitted[1], "approve").status_code == 404
    assert _reload(app, Application, submitted[1].id).status == "submitted"


def test_approval_makes_a_member_with_a_number_and_tells_the_applicant(app, client, county_staff, submitted):
    applicant, application = submitted
    login_as(client, county_staff)
    r = decide(client, application, "approve")
    assert r.status_code == 303
    assert "已通过" in page_text(client.get(r.headers["Location"]))
    with app.app_context():
        membership = db.session.scalars(select(Membership)).one()
        assert membership.user_id == applicant.id and membership.union.code == "GA1"
        assert re.fullmatch(r"\d{2}20\d{2}\d{8}", membership.member_number)
        assert [e.action for e in membership.events] == ["joined"]
        event_ = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.approve")).one()
        assert (event_.actor_id, event_.from_state, event_.to_state) == (county_staff.id, "submitted", "approved")
    worker = login_as(app.test_client(), applicant)
    messages = page_text(worker.get("/messages"))
    assert "欢迎加入工会！" in messages
    assert "已通过" in page_text(worker.get(f"/membership/applications/{application.public_id}"))


def test_rejection_needs_a_reason_and_the_applicant_reads_it(app, client, county_staff, submitted):
    applicant, application = submitted
    login_as(client, county_staff)
    r = decide(client, application, "reject")
    assert r.status_code == 422 and "请填写不予通过的原因" in page_text(r)
    assert _reload(app, Application, application.id).status == "submitted"
    r = decide(
        client, application, "reject", note="请到户籍所在地工会申请", reason="申请人不在本工会的地区或行业工作。"
    )
    assert r.status_code == 303
    worker = login_as(app.test_client(), applicant)
    html = page_text(worker.get(f"/membership/applications/{application.public_id}"))
    assert "未通过" in html and "请到户籍所在地工会申请" in html and "申请人不在本工会的地区或行业工作" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Membership.id))) == 0


def test_more_information_round_trip(app, client, county_staff, submitted):
    applicant, application = submitted
    login_as(client, county_staff)
    assert decide(client, application, "request_info").status_code == 422  # a message is required
    assert decide(client, application, "request_info", note="请补充配送站点名称").status_code == 303
    worker = login_as(app.test_client(), applicant)
    page = page_text(worker.get(f"/membership/applications/{application.public_id}"))
    assert "待补充材料" in page and "请补充配送站点名称" in page
    r = post_form(
        worker,
        f"/membership/applications/{application.public_id}/edit",
        {
            "union_code": "GA1",
            "real_name": "赵磊",
            "ethnicity": "01",
            "education": "senior",
            "political_status": "",
            "employment_type": "delivery_rider",
            "platform": "meituan",
            "employer": "香坊站",
            "work_region_code": "",
            "consent": "y",
        },
    )
    assert r.status_code == 303
    with app.app_context():
        saved = db.session.get(Application, application.id)
        assert saved.status == "resubmitted" and saved.employer == "香坊站"
    timeline = page_text(worker.get(f"/membership/applications/{application.public_id}"))
    for step in ["已提交", "审核中", "待补充材料", "已重新提交"]:
        assert step in timeline
    assert decide(client, application, "approve").status_code == 303


def test_editing_is_only_possible_while_information_is_requested(app, submitted):
    applicant, application = submitted
    worker = login_as(app.test_client(), applicant)
    r = worker.get(f"/membership/applications/{application.public_id}/edit")
    assert r.status_code == 302


def test_deciding_twice_says_already_decided_not_500(app, client, county_staff, submitted, make_user, tree):
    login_as(client, county_staff)
    assert decide(client, submitted[1], "approve").status_code == 303
    other = login_as(app.test_client(), make_user("staff", union=tree["city_a"]))
    r = decide(other, submitted[1], "reject", note="迟到的决定")
    assert r.status_code == 409
    assert "已审核完毕" in page_text(r)
    assert _reload(app, Application, submitted[1].id).status == "approved"


def test_nobody_decides_their_own_application(app, make_user, make_application, tree):
    staff = make_user("staff", union=tree["county_a1"], id_number=valid_id_number())
    application = make_application(staff, tree["grassroots_a1"])
    client = login_as(app.test_client(), staff)
    r = decide(client, application, "approve")
    assert r.status_code == 403 and "不能审核自己的申请" in page_text(r)
    assert _reload(app, Application, application.id).status == "submitted"


def test_withdraw_before_a_decision_but_not_after(app, client, county_staff, submitted):
    applicant, application = submitted
    worker = login_as(app.test_client(), applicant)
    assert "确定撤回" in page_text(worker.get(f"/membership/applications/{application.public_id}/withdraw"))
    r = post_form(worker, f"/membership/applications/{application.public_id}/withdraw", {})
    assert r.status_code == 303
    assert _reload(app, Application, application.id).status == "withdrawn"
    login_as(client, county_staff)
    assert "赵磊" not in page_text(client.get("/staff/reviews"))
    r = post_form(worker, f"/membership/applications/{application.public_id}/withdraw", {})
    assert r.status_code == 409 and "已审核完毕" in page_text(r)


def test_detail_masks_the_id_and_the_full_number_is_a_logged_action(app, client, county_staff, submitted):
    applicant, application = submitted
    id_number = valid_id_number(birth="19950412")
    with app.app_context():
        clear = db.session.get(User, applicant.id).reveal_id_number()
    login_as(client, county_staff)
    detail = page_text(client.get(f"/staff/reviews/{application.public_id}"))
    assert clear not in detail and clear[:4] + "*" * 13 + clear[-1] in detail
    r = post_form(
        client,
        f"/staff/reviews/{application.public_id}/reveal-id",
        {},
        token_from=f"/staff/reviews/{application.public_id}",
    )
    assert r.status_code == 200 and clear in page_text(r)
    with app.app_context():
        views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sensitive.id_number_viewed")).all()
        assert len(views) == 1 and views[0].actor_id == county_staff.id
        assert views[0].subject_type == "users" and views[0].subject_id == str(applicant.id)
    assert id_number


def test_first_staff_view_marks_it_under_review_and_tells_the_applicant(app, client, county_staff, submitted):
    applicant, application = submitted
    login_as(client, county_staff)
    client.get(f"/staff/reviews/{application.public_id}")
    client.get(f"/staff/reviews/{application.public_id}")
    worker = login_as(app.test_client(), applicant)
    assert "审核中" in page_text(worker.get(f"/membership/applications/{application.public_id}"))
    assert page_text(worker.get("/messages")).count("正在审核") == 1


def test_bulk_approve_skips_what_was_decided_meanwhile(app, client, county_staff, make_user, make_application, tree):
    applications = [make_application(make_user(id_number=valid_id_number()), tree["grassroots_a1"]) for _ in range(3)]
    outsider = make_application(make_user(id_number=valid_id_number()), tree["grassroots_a2"])
    login_as(client, county_staff)
    decide(client, applications[0], "reject", note="已处理")
    r = post_form(
        client,
        "/staff/reviews/bulk-approve",
        {"ids": [a.public_id for a in applications] + [outsider.public_id], "confirmed": "yes"},
        token_from="/staff/reviews",
    )
    assert r.status_code == 303
    html = page_text(client.get(r.headers["Location"]))
    assert "已通过2份申请" in html and "跳过2份申请" in html
    statuses = [_reload(app, Application, a.id).status for a in applications]
    assert statuses == ["rejected", "approved", "approved"]
    assert _reload(app, Application, outsider.id).status == "submitted"


def test_queue_filters_search_and_pagination(app, client, county_staff, make_user, make_application, tree):
    for i in range(23):
        name = "职工" + "一二三四五六七八九十"[i % 10] + "甲乙丙"[i // 10]
        make_application(make_user(name=name, id_number=valid_id_number()), tree["grassroots_a1"])
    special = make_user(name="欧阳娜娜", phone="13999990000", id_number=valid_id_number())
    make_application(special, tree["grassroots_a1b"])
    login_as(client, county_staff)
    first = page_text(client.get("/staff/reviews"))
    assert "24份申请" in first and "第1页，共2页" in first
    assert "欧阳娜娜" in page_text(client.get("/staff/reviews?q=欧阳"))
    assert "欧阳娜娜" in page_text(client.get("/staff/reviews?q=9999"))
    by_union = page_text(client.get("/staff/reviews?union=GA1B"))
    assert "欧阳娜娜" in by_union and "职工一甲" not in by_union
    assert "1份申请" in page_text(client.get("/staff/reviews?kind=membership&union=GA1B"))
    assert "没有符合条件的申请" in page_text(client.get("/staff/reviews?kind=transfer"))
    assert "没有符合条件的申请" in page_text(client.get("/staff/reviews?status=approved"))
    bad_date = page_text(client.get("/staff/reviews?date_from=not-a-date"))
    assert "“not-a-date”不是有效日期" in bad_date and "24份申请" in bad_date  # said, and left out
    assert client.get("/staff/reviews?page=x").status_code == 422
    assert "24份申请" in page_text(client.get("/staff/reviews?date_from=2020-01-01&date_to=2099-12-31"))
    assert "没有符合条件的申请" in page_text(client.get("/staff/reviews?date_to=2020-01-01"))
    too_long = page_text(client.get("/staff/reviews?q=" + "欧" * 31))
    assert "搜索词最多30个字" in too_long and "24份申请" in too_long


def test_queue_shows_the_filters_in_force_and_each_can_be_removed(
    app, client, county_staff, make_user, make_application, tree
):
    make_application(
        make_user(name="欧阳娜娜", phone="13999990000", id_number=valid_id_number()), tree["grassroots_a1b"]
    )
    make_application(make_user(name="职工甲", id_number=valid_id_number()), tree["grassroots_a1"])
    login_as(client, county_staff)
    html = page_text(client.get("/staff/reviews?union=GA1B&q=欧阳&date_from=2020-01-01&page=1"))
    assert "1份申请" in html and "职工甲" not in html
    chips = dict(re.findall(r'class="filter-chip" href="([^"]+)">([^<]+?) <', html))
    labels = sorted(chips.values())
    assert labels == sorted([f"工会：{tree['grassroots_a1b'].name}", "搜索：欧阳", "提交日期从2020年1月1日起"])
    # each chip's link keeps the other filters and drops its own (and the page)
    without_union = next(url for url, label in chips.items() if label.startswith("工会"))
    assert "union=" not in without_union and "q=" in without_union and "page=" not in without_union
    assert "筛选（3）" in html and "全部清除" in html
    # the search box keeps the other filters as hidden fields
    assert '<input type="hidden" name="union" value="GA1B">' in html
    assert '<input type="hidden" name="q"' not in html


def test_the_filter_page_sets_every_filter_and_sends_them_back_to_the_queue(client, county_staff, tree):
    login_as(client, county_staff)
    html = page_text(client.get("/staff/reviews/filter?status=all&union=GA1B&mine=1&date_from=bad"))
    assert 'action="/staff/reviews"' in html and 'method="get"' in html
    assert '<option selected value="all">' in html and '<option selected value="GA1B">' in html
    assert 'name="mine" value="1" checked' in html
    assert "日期" in html and "has-error" in html  # the bad date shown as an error on the form
    # a union outside the staff member's subtree is not offered
    assert tree["grassroots_a2"].code not in html


def test_a_long_queue_is_counted_only_so_far(app, client, county_staff, make_user, make_application, tree, monkeypatch):
    from portal.core.workflow import review_queue

    monkeypatch.setattr(review_queue, "COUNT_CAP", 5)  # counted to the end of the page at least: 20
    for _ in range(23):
        make_application(make_user(id_number=valid_id_number()), tree["grassroots_a1"])
    login_as(client, county_staff)
    first = page_text(client.get("/staff/reviews?status=submitted"))
    assert "超过20份申请" in first and "第1页<" in first and 'rel="next"' in first
    second = page_text(client.get("/staff/reviews?status=submitted&page=2"))
    assert "23份申请" in second and "第2页，共2页" in second and 'rel="next"' not in second
    # the awaiting queue's total stays exact: it comes from the counts by kind
    assert "23份申请" in page_text(client.get("/staff/reviews"))


def test_queue_does_not_query_per_row(app, client, county_staff, make_user, make_application, tree):
    for _ in range(15):
        make_application(make_user(id_number=valid_id_number()), tree["grassroots_a1"])
    login_as(client, county_staff)
    selects = selects_of(app, client, "/staff/reviews")
    assert len(selects) <= 12, selects


def test_staff_dashboard_counts_pending_by_kind(client, county_staff, submitted):
    login_as(client, county_staff)
    html = page_text(client.get("/staff"))
    assert "待审核申请" in html and 'class="stat-number">1<' in html


def test_revealing_an_id_number_is_refused_by_the_service_outside_scope(app, submitted, make_user, tree):
    from portal.core.errors import NotAllowed
    from portal.staff.services import reveal_sensitive

    outsider = make_user("staff", union=tree["county_a2"])
    with app.app_context():
        application = db.session.get(Application, submitted[1].id)
        with pytest.raises(NotAllowed):
            reveal_sensitive(application, db.session.get(User, outsider.id))
        with pytest.raises(NotAllowed):
            reveal_sensitive(application, db.session.get(User, submitted[0].id))
        db.session.rollback()
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sensitive.id_number_viewed")).all()


def test_waiting_for_me_is_counted_in_the_same_pass_as_the_pills(app, client, make_user, make_application, tree):
    """等我处理's count (its pill, the workspace, the queue's total) is what its list holds: at a
    stage the reviewer acts at, in scope, and never their own application."""
    from portal.core import workflow

    county = make_user("staff", union=tree["county_a1"], id_number=valid_id_number())
    grassroots = make_user("staff", union=tree["grassroots_a1"], id_number=valid_id_number())
    for union in ("grassroots_a1", "grassroots_a1", "grassroots_a1b", "grassroots_a2"):
        make_application(make_user(id_number=valid_id_number()), tree[union])
    make_application(county, tree["grassroots_a1"])  # the reviewer's own: never theirs to decide
    with app.app_context():
        for reviewer, expected in ((county, 3), (grassroots, 3)):  # the county reviewer's is in grassroots_a1
            user = db.session.get(User, reviewer.id)
            pending = workflow.pending_counts(user)
            listed = workflow.queue(user, workflow.QueueFilters(mine=True), pending=pending)
            counted = workflow.queue(user, workflow.QueueFilters(mine=True))  # counted by the queue itself
            assert pending.mine == listed.total == counted.total == len(listed.items) == expected
            assert all(row.applicant_id != user.id for row in listed.items)
    login_as(client, county)
    assert re.search(r"等我处理 <span class=\"pill-count\">3<", page_text(client.get("/staff/reviews")))
    assert "3份申请" in page_text(client.get("/staff/reviews?mine=1"))


def test_the_queue_offers_a_tick_box_exactly_where_bulk_approve_would_approve(
    app, client, make_user, make_application, tree
):
    from portal.staff import services

    county = make_user("staff", union=tree["county_a1"], id_number=valid_id_number())
    others = [make_application(make_user(id_number=valid_id_number()), tree["grassroots_a1"]) for _ in range(2)]
    own = make_application(county, tree["grassroots_a1"])  # never theirs to decide
    login_as(client, county)
    html = page_text(client.get("/staff/reviews"))
    ticks = set(re.findall(r'name="ids" value="([^"]+)"', html))
    assert ticks == {a.public_id for a in others}
    assert own.public_id in html  # listed, but not to be ticked
    with app.app_context():
        accepted = services.load_selected([a.public_id for a in [*others, own]], db.session.get(User, county.id))
        assert {a.public_id for a in accepted} == ticks


def test_the_walk_lists_what_the_sort_lists(app, make_user, make_application, tree, monkeypatch):
    """SQLite finds a big queue's first pages by walking the newest-first index instead of sorting
    what the filters' indexes find (``review_queue._walk_pays``). Both ways must list the same
    applications in the same order, page by page, for every filter the walk is used with."""
    from datetime import timedelta

    from sqlalchemy import event, update

    from portal.core import workflow
    from portal.core.db import utcnow
    from portal.core.workflow import review_queue

    admin = make_user("admin")
    county = make_user("staff", union=tree["county_a1"], id_number=valid_id_number())
    unions = ["grassroots_a1", "grassroots_a1b", "grassroots_a2", "grassroots_a1"] * 3
    made = [make_application(make_user(id_number=valid_id_number()), tree[u]) for u in unions]
    with app.app_context():
        now = utcnow()
        for i, application in enumerate(made):  # times that tie, decided ones, one never sent
            values = {"submitted_at": now - timedelta(hours=i % 4)}
            if i % 5 == 0:
                values["status"] = "approved"
            if i == 7:
                values = {"status": "withdrawn", "submitted_at": None}
            db.session.execute(update(Application).where(Application.id == application.id).values(**values))
        db.session.commit()
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        for reviewer in (admin, county):
            user = db.session.get(User, reviewer.id)
            pending = workflow.pending_counts(user)
            for filters in (
                workflow.QueueFilters(),
                workflow.QueueFilters(mine=True),
                workflow.QueueFilters(kind="membership"),
                workflow.QueueFilters(stage="membership:review"),
                workflow.QueueFilters(status=None),
                workflow.QueueFilters(status="approved"),
            ):
                for page in (1, 2, 3, 4):
                    lists = []
                    for walk in (False, True):
                        monkeypatch.setattr(review_queue, "_walk_pays", lambda matches, reach, walk=walk: walk)
                        listed = workflow.queue(user, filters, page=page, per_page=3, pending=pending)
                        lists.append(([row.id for row in listed], listed.total))
                    assert lists[0] == lists[1], (reviewer.role, filters, page)
                    assert lists[0][0] or page > 1
        if db.engine.dialect.name == "sqlite":  # the walk is another statement there
            assert any("+applications.status" in sql for sql in statements)


def test_sqlite_walks_only_when_that_meets_fewer_applications_than_sorting(app, monkeypatch):
    from portal.core.workflow import queue_plan

    monkeypatch.setattr(queue_plan, "table_size", lambda: 50_000)
    with app.app_context():
        walks = queue_plan.walk_pays
        if db.engine.dialect.name == "sqlite":
            assert walks(3_344, 20)  # a province's first page: about 300 met instead of 3,344 sorted
            assert walks(3_344, 60)
            assert not walks(262, 20)  # a county's: 3,800 met against 262 sorted
            assert not walks(3_344, 3_020)  # deep in the list
        else:  # PostgreSQL plans it from its statistics
            assert not walks(3_344, 20)
        assert not walks(0, 20)
