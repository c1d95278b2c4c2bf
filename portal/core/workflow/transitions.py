"""Moving an application: one compare-and-set save with its audit event, effects and message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import InvalidTransition, NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.notify import notify
from portal.core.validators import InvalidInput, clean_prose
from portal.core.workflow.kinds import KINDS, Stage, allowed_actions
from portal.core.workflow.models import Application
from portal.core.workflow.states import (
    AWAITING_REVIEW,
    NOTE_MAX,
    OPEN_STATES,
    PUBLIC_ACTIONS,
    REVIEWER_ACTIONS,
    SYSTEM_ACTIONS,
    target_state,
)
from portal.extensions import db


def _check_actor(application: Application, actor, action: str) -> None:
    if action in SYSTEM_ACTIONS:
        if actor is not None:
            raise NotAllowed()
        return
    if actor is not None and actor.id == application.applicant_id and action in REVIEWER_ACTIONS:
        raise NotAllowed(_l("Nobody may decide on their own application."))
    if action not in allowed_actions(application, actor):
        raise NotAllowed()


def _target(application: Application, action: str, now: datetime) -> tuple[str, Stage | None]:
    """(status, stage) after ``action``, or InvalidTransition."""
    status = target_state(application.status, action)
    kind = application.kind_spec
    stage = application.current_stage
    if action == "submit":
        return status, kind.stages[0]
    if action in ("resubmit", "request_info"):
        return status, stage
    if action in ("reject", "withdraw"):
        return status, None
    if stage is None:
        raise InvalidTransition()
    if action in ("approve", "elapse"):
        if (action == "elapse") != stage.timed:
            raise InvalidTransition()
        if action == "elapse" and (application.stage_due_at is None or application.stage_due_at > now):
            raise InvalidTransition(_l("This notice period is not over yet."))
        following = kind.next_stage(stage)
        return ("submitted", following) if following is not None else (status, None)
    if action == "send_back":
        previous = kind.previous_stage(stage)
        if previous is None:
            raise InvalidTransition()
        return status, previous
    if action == "object":
        if not stage.objection_to or application.stage_due_at is None or application.stage_due_at <= now:
            raise InvalidTransition(_l("The notice period is over; objections are no longer taken."))
        return status, kind.stage(stage.objection_to)
    raise InvalidTransition()


def _notify_applicant(application: Application, state: str, note: str | None) -> None:
    kind = application.kind_spec
    if state in kind.messages:
        notify(
            application.applicant,
            f"{kind.name}.{state}",
            link=kind.applicant_url(application),
            note=note or "",
            union=application.union.name,
        )


def transition(
    application: Application, action: str, actor, *, note: str | None = None, now: datetime | None = None
) -> Application:
    """Move ``application`` by ``action``: check the move and the actor, save with
    compare-and-set, record the audit event, run the kind's effects, notify.

    Two reviewers acting at once: the second one's UPDATE finds the status (or the stage, or
    the version) already changed, matches no row, and gets ``InvalidTransition``.
    ``actor`` is None only for a timed stage's own move (``elapse``, from the jobs command);
    ``now`` replays a moment (``flask jobs run --as-of``).
    """
    now = now or utcnow()
    from_state, from_stage = application.status, application.current_stage
    target_state(from_state, action)  # decided already: "already decided", whoever asks
    _check_actor(application, actor, action)
    application.kind_spec.guard(application, action, actor)
    to_state, to_stage = _target(application, action, now)
    values: dict = {"status": to_state, "version": Application.version + 1, "updated_at": now}
    values["stage"] = to_stage.name if to_stage is not None else None
    values["stage_due_at"] = None
    if to_stage is not None and to_stage.timed and to_stage is not from_stage:
        from portal.core.time import working_days_end

        values["stage_due_at"] = working_days_end(now, to_stage.working_days())
    elif to_stage is not None and to_stage is from_stage:
        values["stage_due_at"] = application.stage_due_at
    if to_stage is not from_stage and to_state in AWAITING_REVIEW:
        values["review_started_at"] = None  # the next stage's reviewers have not opened it yet
    if to_state not in OPEN_STATES:
        values["open_key"] = None
    if action in ("submit", "resubmit"):
        values["submitted_at"] = now
    if action in REVIEWER_ACTIONS | SYSTEM_ACTIONS | PUBLIC_ACTIONS:
        values["last_note"] = note
        if to_state in ("approved", "rejected"):
            values.update(decided_at=now, decided_by_id=actor.id if actor is not None else None)
    result = db.session.execute(
        update(Application)
        .where(
            Application.id == application.id,
            Application.status == from_state,
            Application.version == application.version,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(application)
        raise InvalidTransition(_l("Someone else has just handled this application; refresh to see it."))
    db.session.refresh(application)
    moved = to_stage is not None and from_stage is not None and to_stage is not from_stage
    staged = len(application.kind_spec.stages) > 1  # the audit trail names the stages of such kinds
    audit.record(
        f"application.{action}",
        application,
        actor=actor,
        union_id=application.union_id,
        from_state=f"{from_state}:{from_stage.name}" if staged and from_stage else from_state,
        to_state=f"{to_state}:{to_stage.name}" if staged and to_stage else to_state,
        note=note,
        occurred_at=now,
    )
    if to_state == "approved":
        application.kind_spec.on_approve(application, actor)
    elif to_state in ("rejected", "withdrawn"):
        application.kind_spec.on_close(application, to_state, actor)
    elif moved and action in ("approve", "elapse"):
        application.kind_spec.on_advance(application, from_stage, to_stage, actor)
    # The applicant hears of each state; of a move between stages only where the kind has words
    # for it (keyed by the action — "object", "send_back" — or by the stage reached).
    message = to_state
    if moved:
        message = action if action in application.kind_spec.messages else to_stage.name
    _notify_applicant(application, message, note)
    return application


def save_draft(application: Application, applicant, *, consent_version: str | None = None) -> Application:
    """File a new application for ``applicant`` as a draft (kept until submitted or withdrawn)."""
    kind = KINDS[application.kind]
    application.applicant = applicant
    application.status = "draft"
    if kind.exclusive_group:
        application.open_key = f"{kind.exclusive_group}:{applicant.id}"
        if db.session.scalar(select(Application.id).where(Application.open_key == application.open_key)):
            raise InvalidInput(_l("You already have an application in progress."))
    if consent_version:
        application.consent_version = consent_version
        application.consented_at = utcnow()
    db.session.add(application)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # lost a race with a second tab: same answer as above
        raise InvalidInput(_l("You already have an application in progress.")) from None
    audit.record("application.created", application, actor=applicant, union_id=application.union_id, to_state="draft")
    return application


def start(application: Application, applicant, *, consent_version: str | None = None) -> Application:
    """File a new application for ``applicant`` and submit it at once."""
    save_draft(application, applicant, consent_version=consent_version)
    return transition(application, "submit", applicant)


def submit(application: Application, applicant, *, now: datetime | None = None) -> Application:
    """The applicant sends a draft for review."""
    return transition(application, "submit", applicant, now=now)


def decision_note(decision: str, note: str | None) -> str | None:
    """The reviewer's note as it will be stored, or the reason it cannot be.

    Prose: Chinese punctuation and line breaks are kept as typed (never NFKC).
    """
    if decision not in REVIEWER_ACTIONS:
        raise InvalidInput(_l("Unknown decision."))
    note = clean_prose(note) or None
    if decision == "reject" and not note:
        raise InvalidInput(_l("Please give the reason for the rejection."), field="note")
    if decision == "request_info" and not note:
        raise InvalidInput(_l("Please tell the applicant what is missing."), field="note")
    if decision == "send_back" and not note:
        raise InvalidInput(_l("Please say what the previous stage should look at again."), field="note")
    if note and len(note) > NOTE_MAX:
        raise InvalidInput(_l("The note can have at most 500 characters."), field="note")
    return note


def decide(
    application: Application, reviewer, decision: str, note: str | None = None, *, now: datetime | None = None
) -> Application:
    """A reviewer approves, rejects (a reason is required) or asks for more information (a message is required).
    ``now`` records a decision as of an earlier moment (demo data, replays)."""
    return transition(application, decision, reviewer, note=decision_note(decision, note), now=now)


OBJECTION_MAX = 500


def object_to(application: Application, person, reason: str | None, *, now: datetime | None = None) -> Application:
    """Someone signed in objects to a case on public notice (公示): the reason is required, the
    objector's identity is recorded in the audit trail (never shown publicly), and the case goes
    back to the stage the notice names for review. Refused once the notice period is over."""
    reason = clean_prose(reason) or None
    if not reason:
        raise InvalidInput(_l("Please give the reason for your objection."), field="reason")
    if len(reason) > OBJECTION_MAX:
        raise InvalidInput(_l("The reason can have at most 500 characters."), field="reason")
    return transition(application, "object", person, note=reason, now=now)


def run_timed_stages(as_of: datetime, batch: int = 200) -> int:
    """Move on every application whose timed stage (公示) is over at ``as_of``; each in its own
    transaction, claimed by compare-and-set (another runner, or an objection, that got there first
    wins and this one moves on). Returns how many moved."""
    from portal.core.db import write_transaction

    moved = 0
    due = db.session.scalars(
        select(Application.id)
        .where(Application.stage_due_at <= as_of, Application.status.in_(AWAITING_REVIEW))
        .order_by(Application.stage_due_at, Application.id)
        .limit(batch)
    ).all()
    db.session.rollback()  # end the reading transaction: each move takes the write lock itself
    for application_id in due:
        with write_transaction():
            application = db.session.get(Application, application_id)
            try:
                if application is not None:
                    transition(application, "elapse", None, now=as_of)
                    moved += 1
            except InvalidTransition:
                db.session.rollback()
                continue
            db.session.commit()
    return moved


def withdraw(application: Application, applicant) -> Application:
    return transition(application, "withdraw", applicant)


def resubmit(application: Application, applicant, *, reply: str | None = None) -> Application:
    """The applicant sends the application back after more information was requested, optionally
    with a reply to the reviewer's question; the reply is the note of the resubmit event."""
    reply = clean_prose(reply) or None
    if reply and len(reply) > NOTE_MAX:
        raise InvalidInput(_l("The reply can have at most 500 characters."), field="reply")
    return transition(application, "resubmit", applicant, note=reply)


def mark_review_started(application: Application, reviewer) -> None:
    """The first time a reviewer opens an application it reads 审核中 (under review)."""
    if (
        application.awaiting_review
        and application.review_started_at is None
        and reviewer.id != application.applicant_id
    ):
        result = db.session.execute(
            update(Application)
            .where(Application.id == application.id, Application.review_started_at.is_(None))
            .values(review_started_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(application)
        if result.rowcount == 1:
            audit.record(
                "application.review_started",
                application,
                actor=reviewer,
                union_id=application.union_id,
                from_state=application.status,
                to_state=application.status,
            )
            _notify_applicant(application, "under_review", None)
