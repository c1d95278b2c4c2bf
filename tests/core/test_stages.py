"""Multi-stage review: who acts at which stage, sending back, a timed public notice, objections,
and the jobs command that ends the notice. Exercised on a kind that exists only in this test, so
that the workflow's rules are tested apart from any one domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts.models import User
from portal.core import audit, jobs, workflow
from portal.core.errors import InvalidTransition, NotAllowed
from portal.core.time import working_days_end
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.unions.models import Union


class StagedTestApplication(workflow.Application):
    __mapper_args__ = {"polymorphic_identity": "staged_test"}


FIRST = workflow.Stage(
    "first_review", "基层工会初审", level="grassroots", actions=("approve", "request_info", "reject")
)
APPROVAL = workflow.Stage("approval", "县级工会审批", level="county", actions=("approve", "send_back", "reject"))
NOTICE = workflow.Stage("notice", "公示中", wait_working_days=5, objection_to="approval")
APPROVED: list[int] = []


@pytest.fixture
def kind():
    APPROVED.clear()
    workflow.register_kind(
        workflow.ApplicationKind(
            name="staged_test",
            label="三级审核",
            model=StagedTestApplication,
            detail_template="membership/_review_membership.html",
            applicant_url=lambda application: f"/x/{application.public_id}",
            on_approve=lambda application, actor: APPROVED.append(application.id),
            stages=(FIRST, APPROVAL, NOTICE),
        )
    )
    yield workflow.KINDS["staged_test"]
    workflow.KINDS.pop("staged_test")


@pytest.fixture
def people(ctx, tree, make_user):
    users = {
        "applicant": make_user(name="申请人"),
        "other": make_user(name="路人"),
        "grassroots": make_user("staff", union=tree["grassroots_a1"]),
        "grassroots_sibling": make_user("staff", union=tree["grassroots_a1b"]),
        "county": make_user("staff", union=tree["county_a1"]),
        "county_other": make_user("staff", union=tree["county_a2"]),
        "city": make_user("staff", union=tree["city_a"]),
        "admin": make_user("admin"),
    }
    return {name: db.session.get(User, u.id) for name, u in users.items()}


def _filed(kind, people, tree, at=None):
    union = db.session.scalars(db.select(Union).where(Union.code == tree["grassroots_a1"].code)).one()
    application = workflow.start(StagedTestApplication(kind="staged_test", union_id=union.id), people["applicant"])
    db.session.flush()
    return application


def test_it_starts_at_the_first_stage_where_only_grassroots_staff_act(kind, people, tree):
    application = _filed(kind, people, tree)
    assert application.stage == "first_review" and application.status == "submitted"
    assert application.status_label == "基层工会初审"
    assert workflow.allowed_actions(application, people["grassroots"]) == {"approve", "request_info", "reject"}
    # County staff cannot skip the grassroots review; a sibling grassroots union is out of scope.
    for name in ("county", "city", "grassroots_sibling", "county_other", "other"):
        assert workflow.allowed_actions(application, people[name]) == set(), name
        with pytest.raises(NotAllowed):
            workflow.decide(application, people[name], "approve")
    assert workflow.allowed_actions(application, people["applicant"]) == {"withdraw"}


def test_grassroots_approval_passes_it_to_the_county_where_grassroots_staff_cannot_act(kind, people, tree):
    application = _filed(kind, people, tree)
    workflow.decide(application, people["grassroots"], "approve")
    assert (application.status, application.stage) == ("submitted", "approval")
    assert application.status_label == "县级工会审批"
    assert APPROVED == []  # not approved yet: only passed on
    with pytest.raises(NotAllowed):
        workflow.decide(application, people["grassroots"], "approve")
    assert workflow.allowed_actions(application, people["county"]) == {"approve", "send_back", "reject"}
    assert workflow.allowed_actions(application, people["county_other"]) == set()
    assert workflow.allowed_actions(application, people["city"]) == set()  # not the county level


def test_the_county_sends_it_back_with_a_note_and_the_grassroots_union_acts_again(kind, people, tree):
    application = _filed(kind, people, tree)
    workflow.decide(application, people["grassroots"], "approve")
    with pytest.raises(InvalidInput):
        workflow.decide(application, people["county"], "send_back", "")
    workflow.decide(application, people["county"], "send_back", "请补充入户走访记录。")
    assert application.stage == "first_review"
    assert "approve" in workflow.allowed_actions(application, people["grassroots"])
    labels = [e.label for e in workflow.timeline(application)]
    assert labels == ["已提交", "基层工会初审通过", "退回基层工会初审"]


def test_send_back_is_not_offered_at_the_first_stage(kind, people, tree):
    application = _filed(kind, people, tree)
    with pytest.raises(NotAllowed):
        workflow.decide(application, people["admin"], "send_back", "没有上一步")


def test_admins_act_at_every_stage_and_it_is_audited(kind, people, tree):
    application = _filed(kind, people, tree)
    workflow.decide(application, people["admin"], "approve")
    workflow.decide(application, people["admin"], "approve")
    assert application.stage == "notice"
    actors = [e.actor_id for e in audit.events_for(application) if e.action == "application.approve"]
    assert actors == [people["admin"].id, people["admin"].id]


def _to_notice(kind, people, tree, now):
    application = _filed(kind, people, tree)
    workflow.transition(application, "approve", people["grassroots"], now=now)
    workflow.transition(application, "approve", people["county"], now=now)
    return application


def test_county_approval_publishes_a_notice_that_nobody_decides(kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Friday 10:00 in Beijing
    application = _to_notice(kind, people, tree, now)
    assert application.stage == "notice" and application.status_label == "公示中"
    assert application.stage_due_at == working_days_end(now, 5)  # midnight after Friday 11 December
    for name in ("grassroots", "county", "admin"):
        assert workflow.allowed_actions(application, people[name]) == {"object"}, name
    with pytest.raises(NotAllowed):
        workflow.decide(application, people["county"], "approve")


def test_the_jobs_command_ends_the_notice_only_when_it_is_over_and_only_once(kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    application = _to_notice(kind, people, tree, now)
    db.session.commit()
    due = application.stage_due_at
    assert workflow.run_timed_stages(due - timedelta(seconds=1)) == 0
    assert db.session.get(workflow.Application, application.id).status == "submitted"
    assert workflow.run_timed_stages(due) == 1
    moved = db.session.get(workflow.Application, application.id)
    assert moved.status == "approved" and moved.stage is None and [application.id] == APPROVED
    assert workflow.run_timed_stages(due + timedelta(days=3)) == 0  # idempotent
    assert [application.id] == APPROVED
    assert workflow.timeline(moved)[-1].label == "公示中期满，无异议"


def test_flask_jobs_run_as_of_replays_a_moment(app, kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    application = _to_notice(kind, people, tree, now)
    db.session.commit()
    runner = app.test_cli_runner()
    early = runner.invoke(args=["jobs", "run", "--as-of", "2026-12-11T23:59"])
    assert early.exit_code == 0 and "workflow.timed_stages: 0" in early.output
    late = runner.invoke(args=["jobs", "run", "--as-of", "2026-12-12T00:00"])
    assert "workflow.timed_stages: 1" in late.output
    db.session.expire_all()
    assert db.session.get(workflow.Application, application.id).status == "approved"
    bad = runner.invoke(args=["jobs", "run", "--as-of", "next friday"])
    assert bad.exit_code != 0 and "2026-12-10T09:00" in bad.output


def test_an_objection_returns_the_case_to_the_county_and_wins_over_a_later_job_run(kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    application = _to_notice(kind, people, tree, now)
    due = application.stage_due_at
    with pytest.raises(InvalidInput):
        workflow.object_to(application, people["other"], "  ", now=due - timedelta(minutes=1))
    workflow.object_to(application, people["other"], "他家新买了车。", now=due - timedelta(minutes=1))
    db.session.commit()
    assert (application.stage, application.stage_due_at) == ("approval", None)
    assert workflow.run_timed_stages(due) == 0 and APPROVED == []
    # The objector is in the audit trail for staff.
    event = audit.events_for(application)[-1]
    assert event.action == "application.object" and event.actor_id == people["other"].id
    assert event.note == "他家新买了车。"


def test_no_objection_after_the_notice_is_over(kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    application = _to_notice(kind, people, tree, now)
    with pytest.raises(InvalidTransition):
        workflow.object_to(application, people["other"], "太晚了", now=application.stage_due_at)


def test_the_applicant_cannot_object_or_decide_on_their_own_case(kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    application = _to_notice(kind, people, tree, now)
    assert workflow.allowed_actions(application, people["applicant"]) == {"withdraw"}
    with pytest.raises(NotAllowed):
        workflow.transition(application, "object", people["applicant"], note="我反对", now=now)


def test_a_person_cannot_end_a_notice_by_hand(kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    application = _to_notice(kind, people, tree, now)
    with pytest.raises(NotAllowed):
        workflow.transition(application, "elapse", people["admin"], now=application.stage_due_at)


def test_the_registered_job_is_run_by_run_due(kind, people, tree):
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    application = _to_notice(kind, people, tree, now)
    db.session.commit()
    assert jobs.run_due(application.stage_due_at)["workflow.timed_stages"] == 1


def test_only_a_timed_stage_can_run_out(kind, people, tree):
    application = _filed(kind, people, tree)
    with pytest.raises(InvalidTransition):
        workflow.transition(application, "elapse", None, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert application.stage == "first_review"
