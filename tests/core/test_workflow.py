"""The shared review workflow, called directly: legal moves, actors, compare-and-set, the trail."""

import pytest

from portal.accounts.models import User
from portal.core import workflow
from portal.core.errors import InvalidTransition, NotAllowed
from portal.core.validators import InvalidInput
from portal.core.workflow import Application
from portal.extensions import db
from tests.helpers import valid_id_number


@pytest.fixture
def case(make_user, make_application, tree):
    applicant = make_user(id_number=valid_id_number())
    return {
        "applicant": applicant,
        "reviewer": make_user("staff", union=tree["county_a1"]),
        "outsider": make_user("staff", union=tree["county_a2"]),
        "application": make_application(applicant, tree["grassroots_a1"]),
    }


def _get(model, obj):
    return db.session.get(model, obj.id)


def test_every_illegal_move_is_refused(ctx, case):
    application = _get(Application, case["application"])
    reviewer, applicant = _get(User, case["reviewer"]), _get(User, case["applicant"])
    with pytest.raises(InvalidTransition):
        workflow.resubmit(application, applicant)  # nothing was asked
    workflow.decide(application, reviewer, "approve")
    for move in (
        lambda: workflow.decide(application, reviewer, "reject", "x"),
        lambda: workflow.decide(application, reviewer, "request_info", "x"),
        lambda: workflow.withdraw(application, applicant),
        lambda: workflow.resubmit(application, applicant),
    ):
        with pytest.raises(InvalidTransition):
            move()
    assert application.status == "approved"


def test_transition_table_has_no_exit_from_a_final_state():
    for state, _action in workflow.TRANSITIONS:
        assert state in workflow.OPEN_STATES


def test_only_the_applicant_moves_as_applicant_and_only_reviewers_in_scope_decide(ctx, case):
    application = _get(Application, case["application"])
    with pytest.raises(NotAllowed):
        workflow.withdraw(application, _get(User, case["reviewer"]))
    with pytest.raises(NotAllowed):
        workflow.decide(application, _get(User, case["outsider"]), "approve")
    with pytest.raises(NotAllowed):
        workflow.decide(application, _get(User, case["applicant"]), "approve")
    assert application.status == "submitted"


def test_reject_and_request_info_need_a_note(ctx, case):
    application = _get(Application, case["application"])
    reviewer = _get(User, case["reviewer"])
    for decision in ("reject", "request_info"):
        with pytest.raises(InvalidInput):
            workflow.decide(application, reviewer, decision, "   ")
    with pytest.raises(InvalidInput):
        workflow.decide(application, reviewer, "reject", "长" * 501)
    with pytest.raises(InvalidInput):
        workflow.decide(application, reviewer, "delete")


def test_a_decision_on_a_stale_copy_loses_to_the_one_saved_first(app, case):
    """Compare-and-set: reviewer B's copy was read before reviewer A's decision was saved."""
    from portal.core.db import write_transaction

    with app.app_context():
        stale = db.session.get(Application, case["application"].id)
        db.session.expunge(stale)  # B's page was rendered from this copy
        db.session.rollback()
    with app.app_context(), write_transaction():  # A decides and saves
        fresh = db.session.get(Application, case["application"].id)
        workflow.decide(fresh, db.session.get(User, case["reviewer"].id), "approve")
        db.session.commit()
    with app.app_context(), write_transaction():  # B acts on the old copy
        stale = db.session.merge(stale, load=False)
        assert stale.status == "submitted"
        with pytest.raises(InvalidTransition):
            workflow.decide(stale, db.session.get(User, case["reviewer"].id), "reject", "晚了一步")
        db.session.rollback()
    with app.app_context():
        assert db.session.get(Application, case["application"].id).status == "approved"


def test_timeline_tells_the_story_in_order(ctx, case):
    application = _get(Application, case["application"])
    reviewer, applicant = _get(User, case["reviewer"]), _get(User, case["applicant"])
    workflow.mark_review_started(application, reviewer)
    workflow.decide(application, reviewer, "request_info", "请补充")
    workflow.resubmit(application, applicant)
    workflow.decide(application, reviewer, "approve")
    steps = [(e.state, e.by_staff) for e in workflow.timeline(application)]
    assert steps == [
        ("submit", False),
        ("review_started", True),
        ("request_info", True),
        ("resubmit", False),
        ("approve", True),
    ]
    assert workflow.timeline(application)[2].note == "请补充"


def test_open_key_frees_the_slot_once_closed(ctx, case):
    application = _get(Application, case["application"])
    assert application.open_key == f"membership:{case['applicant'].id}"
    workflow.withdraw(application, _get(User, case["applicant"]))
    assert application.open_key is None and application.status == "withdrawn"


def test_a_reply_is_the_note_of_the_resubmit_event_and_keeps_its_punctuation(ctx, case):
    application = _get(Application, case["application"])
    reviewer, applicant = _get(User, case["reviewer"]), _get(User, case["applicant"])
    workflow.decide(application, reviewer, "request_info", "  请补充：站点名称（全称）。\r\n谢谢！  ")
    assert application.last_note == "请补充：站点名称（全称）。\n谢谢！"  # prose: trimmed, never NFKC
    assert workflow.latest_reply(application, workflow.timeline(application)) is None
    workflow.resubmit(application, applicant, reply="站点：通天街站；\x00入职：2024年3月。")
    entries = workflow.timeline(application)
    assert entries[-1].state == "resubmit" and not entries[-1].by_staff
    assert entries[-1].note == "站点：通天街站；入职：2024年3月。"  # the control character dropped
    assert workflow.latest_reply(application, entries) is entries[-1]
    workflow.decide(application, reviewer, "approve")
    assert workflow.latest_reply(application, workflow.timeline(application)) is None  # decided: no banner


def test_a_reply_longer_than_a_note_is_refused(ctx, case):
    application = _get(Application, case["application"])
    workflow.decide(application, _get(User, case["reviewer"]), "request_info", "请补充")
    with pytest.raises(InvalidInput):
        workflow.resubmit(application, _get(User, case["applicant"]), reply="长" * 501)
    assert application.status == "needs_info"
