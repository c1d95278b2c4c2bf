"""The review workflow shared by every kind of application.

States and their legal moves are defined once here:

    draft ─submit→ submitted ─approve (last stage)→ approved
                   submitted ─approve (a stage before the last)→ submitted, at the next stage
                   submitted ─send_back→ submitted, at the stage before
                   submitted ─reject→ rejected
                   submitted ─request_info→ needs_info ─resubmit→ resubmitted (same stage)
                   resubmitted ─approve / send_back / reject / request_info→ …
    draft, submitted, needs_info, resubmitted ─withdraw→ withdrawn

**Stages are data.** A kind declares its stages in order (``Stage``): which union level acts at
each (``level``: grassroots staff for the first review, county staff for approval; ``None`` — any
staff whose scope holds the application), the actions allowed there, and timed stages (公示: the
case waits ``wait_working_days`` and then moves on by itself through ``flask jobs run``; anyone
signed in may object, which returns it to an earlier stage). ``allowed_actions(application, user)``
decides both what the server accepts and which buttons a page shows.

A kind of application (membership, transfer, hardship aid, …) is a subclass of
``Application`` (joined-table inheritance) registered with ``register_kind``: it brings
its own fields, its stages, its staff detail template, its messages to the applicant and its
effect on approval. Everything else — who may move an application, the
compare-and-set save, the audit trail, the notifications — happens here, the same
way for every kind.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ForeignKey, Integer, String, Text, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from portal.core import audit, scope
from portal.core.db import UTCDateTime, one_of, utcnow
from portal.core.errors import InvalidTransition, NotAllowed, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.notify import message_template, notify
from portal.core.validators import InvalidInput, clean_prose
from portal.extensions import db

# --- States and moves ---------------------------------------------------------------------

STATES = ("draft", "submitted", "needs_info", "resubmitted", "approved", "rejected", "withdrawn")
OPEN_STATES = ("draft", "submitted", "needs_info", "resubmitted")
AWAITING_REVIEW = ("submitted", "resubmitted")
STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "needs_info": _l("More information requested"),
    "resubmitted": _l("Resubmitted"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}

APPLICANT_ACTIONS = {"submit", "resubmit", "withdraw"}
REVIEWER_ACTIONS = {"approve", "reject", "request_info", "send_back"}
SYSTEM_ACTIONS = {"elapse"}  # a timed stage's time is up (jobs)
PUBLIC_ACTIONS = {"object"}  # an objection during a public notice (公示)

# The status each action leads to. "approve" and "elapse" lead on to the next stage while there
# is one (the status stays submitted), and to "approved" after the last.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("needs_info", "resubmit"): "resubmitted",
    **{(state, "approve"): "approved" for state in AWAITING_REVIEW},
    **{(state, "elapse"): "approved" for state in AWAITING_REVIEW},
    **{(state, "reject"): "rejected" for state in AWAITING_REVIEW},
    **{(state, "request_info"): "needs_info" for state in AWAITING_REVIEW},
    **{(state, "send_back"): "submitted" for state in AWAITING_REVIEW},
    **{(state, "object"): "submitted" for state in AWAITING_REVIEW},
    **{(state, "withdraw"): "withdrawn" for state in OPEN_STATES},
}

NOTE_MAX = 500  # staff notes and applicants' replies

COMMON_REJECT_REASONS = (
    _l("The information given is incomplete or does not match the ID card."),
    _l("The applicant does not work in this union's area or trade."),
    _l("The applicant is already a member of another union."),
    _l("The documents provided are not clear enough."),
)


def target_state(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        if status not in OPEN_STATES:
            raise InvalidTransition(_l("This application has already been decided.")) from None
        raise InvalidTransition() from None


# --- Model --------------------------------------------------------------------------------------


def _public_id() -> str:
    return secrets.token_urlsafe(12)


class Application(db.Model):
    """What every kind of application has in common. Kinds subclass it (joined-table)."""

    __tablename__ = "applications"
    __table_args__ = (db.CheckConstraint(one_of("status", STATES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Used in every URL: not a guessable sequence.
    public_id: Mapped[str] = mapped_column(String(24), unique=True, nullable=False, default=_public_id)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # The union whose staff (and whose ancestors' staff) review it.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    # Where an open application is in its kind's stages (None when draft or closed), and when a
    # timed stage (公示) is over.
    stage: Mapped[str | None] = mapped_column(String(32), index=True)
    stage_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # "<group>:<applicant id>" while open, NULL once closed: a unique column that keeps one
    # open application per person and group, on every database, without a partial index.
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    applicant = relationship("User", foreign_keys=[applicant_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    union = relationship("Union")

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "application"}

    @property
    def kind_spec(self) -> ApplicationKind:
        return KINDS[self.kind]

    @property
    def current_stage(self) -> Stage | None:
        return self.kind_spec.stage(self.stage) if self.stage else None

    @property
    def status_label(self) -> str:
        stage = self.current_stage if self.status in AWAITING_REVIEW else None
        if stage is not None and (stage.wait_working_days or len(self.kind_spec.stages) > 1):
            return str(stage.label)  # 基层工会初审 / 县级工会审批 / 公示中
        if self.status in AWAITING_REVIEW and self.review_started_at is not None:
            return str(_l("Under review"))
        return str(STATE_LABELS[self.status])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def awaiting_review(self) -> bool:
        return self.status in AWAITING_REVIEW


# --- Kinds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One step of a kind's review."""

    name: str
    label: object  # lazy string: what the applicant and staff read (基层工会初审)
    # The union level whose staff act here ("grassroots", "county", …) — their union must also hold
    # the application's union. None: any staff whose scope holds it. Admins act at every stage.
    level: str | None = None
    actions: tuple[str, ...] = ("approve", "request_info", "reject")
    # A timed stage: nobody decides; it moves on by itself after this many working days
    # (``flask jobs run``), unless someone objects first.
    wait_working_days: int | Callable[[], int] | None = None
    objection_to: str | None = None  # a timed stage that takes objections sends the case back here

    @property
    def timed(self) -> bool:
        return self.wait_working_days is not None

    def working_days(self) -> int:
        days = self.wait_working_days
        return days() if callable(days) else int(days)


REVIEW = Stage("review", _l("Review"))  # the single stage of a kind that declares none


@dataclass
class ApplicationKind:
    name: str
    label: object  # lazy string
    model: type[Application]
    detail_template: str  # staff detail partial, rendered with `application`
    applicant_url: Callable[[Application], str]
    on_approve: Callable[[Application, object], None] = lambda application, reviewer: None
    # Extra template values for the staff detail partial (e.g. the applicant's membership).
    detail_context: Callable[[Application], dict] = lambda application: {}
    exclusive_group: str | None = None  # one open application per person in this group
    messages: dict[str, tuple[object, object]] = field(default_factory=dict)
    # The clear sensitive values the staff page may show after the logged reveal, by name
    # ({"id_number": …}); None: the applicant's ID number (staff.services.reveal_sensitive).
    reveal: Callable[[Application], dict[str, str | None]] | None = None
    stages: tuple[Stage, ...] = (REVIEW,)
    # Called when an application moves on from one stage to the next (e.g. a notice is published).
    on_advance: Callable[[Application, Stage, Stage, object], None] = lambda application, old, new, actor: None

    def stage(self, name: str | None) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def next_stage(self, stage: Stage) -> Stage | None:
        index = self.stages.index(stage)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None

    def previous_stage(self, stage: Stage) -> Stage | None:
        index = self.stages.index(stage)
        return self.stages[index - 1] if index > 0 else None


KINDS: dict[str, ApplicationKind] = {}


def register_kind(kind: ApplicationKind) -> None:
    """Plug a kind of application into the workflow and the staff queue."""
    KINDS[kind.name] = kind
    for state, (title, body) in kind.messages.items():
        message_template(f"{kind.name}.{state}", title, body)


# --- Moving an application ---------------------------------------------------------------------


def may_act_at(user, application: Application, stage: Stage) -> bool:
    """Staff of ``stage``'s level whose union holds the application's union; admins everywhere."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == "admin":
        return True
    if not scope.may_act_on(user, application.union):
        return False
    return stage.level is None or user.union.level == stage.level


def allowed_actions(application: Application, user) -> set[str]:
    """What ``user`` may do to ``application`` now: the server accepts exactly these, and pages
    show exactly these buttons."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    actions: set[str] = set()
    if user.id == application.applicant_id:
        if application.status == "draft":
            actions.add("submit")
        if application.status in OPEN_STATES:
            actions.add("withdraw")
        if application.status == "needs_info":
            actions.add("resubmit")
        return actions  # nobody decides on their own application
    stage = application.current_stage
    if application.status not in AWAITING_REVIEW or stage is None:
        return actions
    if stage.objection_to and application.stage_due_at is not None:
        actions.add("object")
    if not stage.timed and user.is_staff and may_act_at(user, application, stage):
        actions.update(stage.actions)
        if application.kind_spec.previous_stage(stage) is None:
            actions.discard("send_back")
    return actions


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
    elif moved and action in ("approve", "elapse"):
        application.kind_spec.on_advance(application, from_stage, to_stage, actor)
    # The applicant hears of each state; of a move between stages only where the kind has words
    # for it (keyed by the action — "object", "send_back" — or by the stage reached).
    message = to_state
    if moved:
        message = action if action in application.kind_spec.messages else to_stage.name
    _notify_applicant(application, message, note)
    return application


def start(application: Application, applicant, *, consent_version: str | None = None) -> Application:
    """File a new application for ``applicant`` and submit it at once."""
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
    return transition(application, "submit", applicant)


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


def decide(application: Application, reviewer, decision: str, note: str | None = None) -> Application:
    """A reviewer approves, rejects (a reason is required) or asks for more information (a message is required)."""
    return transition(application, decision, reviewer, note=decision_note(decision, note))


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


# --- Finding applications ---------------------------------------------------------------------------


def load_for_applicant(public_id: str, applicant, kinds: tuple[str, ...] | None = None) -> Application:
    stmt = select(Application).where(Application.public_id == public_id, Application.applicant_id == applicant.id)
    if kinds:
        stmt = stmt.where(Application.kind.in_(kinds))
    application = db.session.scalars(stmt).first()
    if application is None:
        raise NotFound()
    return application


def load_for_reviewer(public_id: str, reviewer) -> Application:
    """An application in the reviewer's scope, else 404 — never loaded first and checked after."""
    stmt = scope.scoped(select(Application).where(Application.public_id == public_id), reviewer, Application.union_id)
    application = db.session.scalars(stmt).first()
    if application is None:
        raise NotFound()
    return application


def load_many_for_reviewer(public_ids: list[str], reviewer) -> list[Application]:
    """The applications among ``public_ids`` that lie in the reviewer's scope (others are left out)."""
    if not public_ids:
        return []
    stmt = (
        select(Application)
        .where(Application.public_id.in_(public_ids))
        .options(joinedload(Application.applicant), joinedload(Application.union))
    )
    return list(db.session.scalars(scope.scoped(stmt, reviewer, Application.union_id)))


@dataclass
class QueueFilters:
    status: str | None = "awaiting"
    kind: str | None = None
    union_code: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    query: str = ""


def queue(reviewer, filters: QueueFilters, page: int = 1, per_page: int = 20):
    """Applications in the reviewer's scope, newest first, filtered."""
    from portal.accounts.models import User
    from portal.unions.models import Union, in_subtree

    stmt = (
        select(Application)
        .join(Application.applicant)
        .options(joinedload(Application.applicant), joinedload(Application.union))
        .order_by(Application.submitted_at.desc().nulls_last(), Application.id.desc())
    )
    stmt = scope.scoped(stmt, reviewer, Application.union_id)
    if filters.status == "awaiting":
        stmt = stmt.where(Application.status.in_(AWAITING_REVIEW))
    elif filters.status in STATES:
        stmt = stmt.where(Application.status == filters.status)
    if filters.kind in KINDS:
        stmt = stmt.where(Application.kind == filters.kind)
    if filters.union_code:
        union = db.session.scalars(select(Union).where(Union.code == filters.union_code)).first()
        if union is None:
            stmt = stmt.where(Application.id.is_(None))
        else:
            stmt = stmt.where(Application.union_id.in_(select(Union.id).where(in_subtree(Union.path, union.path))))
    if filters.date_from:
        stmt = stmt.where(Application.submitted_at >= _start_of_day(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Application.submitted_at < _start_of_day(filters.date_to + timedelta(days=1)))
    query = (filters.query or "").strip().replace("%", "").replace("_", "")
    if query:
        stmt = stmt.where(or_(User.name.like(f"%{query}%"), User.phone.like(f"%{query}%")))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _start_of_day(day: date) -> datetime:
    """Midnight in Asia/Shanghai, as UTC: staff pick dates in local time."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.min, tzinfo=ZoneInfo("Asia/Shanghai"))


def pending_counts(reviewer) -> dict[str, int]:
    stmt = select(Application.kind, func.count(Application.id)).where(Application.status.in_(AWAITING_REVIEW))
    stmt = scope.scoped(stmt, reviewer, Application.union_id).group_by(Application.kind)
    return {kind: n for kind, n in db.session.execute(stmt).all()}


def history_for(applicant_id: int, reviewer, *, exclude_id: int | None = None) -> list[Application]:
    """The applicant's other applications that this reviewer may see."""
    stmt = select(Application).where(Application.applicant_id == applicant_id).order_by(Application.created_at.desc())
    if exclude_id:
        stmt = stmt.where(Application.id != exclude_id)
    stmt = scope.scoped(stmt, reviewer, Application.union_id).options(joinedload(Application.union))
    return list(db.session.scalars(stmt))


@dataclass
class TimelineEntry:
    state: str
    label: str
    at: datetime
    note: str | None
    by_staff: bool


_TIMELINE_LABELS = {
    "application.submit": _l("Submitted"),
    "application.review_started": _l("Under review"),
    "application.request_info": _l("More information requested"),
    "application.resubmit": _l("Resubmitted"),
    "application.approve": _l("Approved"),
    "application.elapse": _l("Approved"),
    "application.reject": _l("Rejected"),
    "application.withdraw": _l("Withdrawn"),
    "application.send_back": _l("Sent back to %(stage)s"),
    "application.object": _l("Objection received; back to %(stage)s"),
}
# A move from one stage to the next reads as the step completed.
_STAGE_PASSED = {
    "application.approve": _l("%(stage)s: passed"),
    "application.elapse": _l("%(stage)s: over without objection"),
}


def _stage_of(state: str | None, kind: ApplicationKind) -> Stage | None:
    """The stage recorded in an audit state such as ``submitted:county_approval``."""
    if not state or ":" not in state:
        return None
    return kind.stage(state.partition(":")[2])


def _timeline_label(event, kind: ApplicationKind) -> str | None:
    label = _TIMELINE_LABELS.get(event.action)
    if label is None:
        return None
    before, after = _stage_of(event.from_state, kind), _stage_of(event.to_state, kind)
    if event.action in _STAGE_PASSED and before is not None and (after is not None or event.action == "application.elapse"):
        return str(_STAGE_PASSED[event.action]) % {"stage": before.label}
    if after is not None and "%(stage)s" in str(label):
        return str(label) % {"stage": after.label}
    return str(label)


def latest_reply(application: Application, entries: list[TimelineEntry]) -> TimelineEntry | None:
    """The applicant's reply to the last request for information, while it awaits review."""
    if application.status != "resubmitted":
        return None
    for entry in reversed(entries):
        if entry.state == "resubmit":
            return entry if entry.note else None
    return None


def timeline(application: Application) -> list[TimelineEntry]:
    """What happened to the application, oldest first, from its audit trail."""
    entries = []
    kind = application.kind_spec
    for event in audit.events_for(application):
        label = _timeline_label(event, kind)
        if label is None:
            continue
        entries.append(
            TimelineEntry(
                state=event.action.removeprefix("application."),
                label=label,
                at=event.occurred_at,
                note=event.note,
                by_staff=event.actor_id is not None and event.actor_id != application.applicant_id,
            )
        )
    return entries
