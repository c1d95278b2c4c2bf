"""Kinds of application and their stages (data), and who may do what at a stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from portal.core import scope
from portal.core.i18n import lazy_gettext as _l
from portal.core.notify import message_template
from portal.core.workflow.states import AWAITING_REVIEW, OPEN_STATES

if TYPE_CHECKING:
    from portal.core.workflow.models import Application


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
    # What the applicant reads while the case sits here (公示中), when not the label itself.
    waiting_label: object = None
    # A partial that replaces the plain approve button (rendered in the staff detail with
    # `application`): for a stage whose approval carries data, such as a recommended amount.
    decision_template: str | None = None

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
    # Called when an application closes without approval ("rejected" or "withdrawn"): release what
    # it held (a claim's invoice numbers).
    on_close: Callable[[Application, str, object], None] = lambda application, state, actor: None
    # Called when an application moves on from one stage to the next (e.g. a notice is published).
    on_advance: Callable[[Application, Stage, Stage, object], None] = lambda application, old, new, actor: None
    # Refuses a move the kind's own data does not allow yet (raise a DomainError), e.g. approving a
    # first review before the home visit is recorded. Called after the actor is checked.
    guard: Callable[[Application, str, object], None] = lambda application, action, actor: None
    reveal_label: object = _l("Show the full ID number")
    # Extra template values for the applicant's own page of this kind (the tracker shows the status,
    # the timeline and this kind's partial).
    applicant_template: str | None = None

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


def may_act_at(user, application: Application, stage: Stage) -> bool:
    """Staff of ``stage``'s level whose union holds the application's union; admins everywhere."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == "admin":
        return True
    if not scope.may_act_on(user, application):  # (its union: a queue row carries a plain one)
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
