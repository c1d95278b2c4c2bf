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

The package: ``states`` (statuses and moves), ``kinds`` (stages, the registry, who may act),
``models`` (``Application``), ``transitions`` (moving one), ``queries`` (finding them), ``review_queue``
(the staff queue), ``timeline`` (the history people read). Import from ``portal.core.workflow``.
"""

from portal.core.workflow.kinds import (
    KINDS,
    REVIEW,
    ApplicationKind,
    Stage,
    allowed_actions,
    may_act_at,
    register_kind,
)
from portal.core.workflow.models import Application
from portal.core.workflow.queries import (
    applications_of,
    history_for,
    load_for_applicant,
    load_for_reviewer,
    load_many_for_reviewer,
)
from portal.core.workflow.review_queue import (
    PendingCounts,
    QueueFilters,
    actionable_stages,
    pending_counts,
    queue,
)
from portal.core.workflow.states import (
    APPLICANT_ACTIONS,
    AWAITING_REVIEW,
    COMMON_REJECT_REASONS,
    NOTE_MAX,
    OPEN_STATES,
    PUBLIC_ACTIONS,
    REVIEWER_ACTIONS,
    STATE_LABELS,
    STATES,
    SYSTEM_ACTIONS,
    TRANSITIONS,
    target_state,
)
from portal.core.workflow.timeline import TimelineEntry, latest_reply, timeline, timelines
from portal.core.workflow.transitions import (
    OBJECTION_MAX,
    decide,
    decision_note,
    mark_review_started,
    object_to,
    resubmit,
    run_timed_stages,
    save_draft,
    start,
    submit,
    transition,
    withdraw,
)

__all__ = [
    "APPLICANT_ACTIONS",
    "AWAITING_REVIEW",
    "COMMON_REJECT_REASONS",
    "KINDS",
    "NOTE_MAX",
    "OBJECTION_MAX",
    "OPEN_STATES",
    "PUBLIC_ACTIONS",
    "REVIEW",
    "REVIEWER_ACTIONS",
    "STATES",
    "STATE_LABELS",
    "SYSTEM_ACTIONS",
    "TRANSITIONS",
    "Application",
    "ApplicationKind",
    "QueueFilters",
    "Stage",
    "TimelineEntry",
    "actionable_stages",
    "applications_of",
    "allowed_actions",
    "decide",
    "decision_note",
    "history_for",
    "latest_reply",
    "load_for_applicant",
    "load_for_reviewer",
    "load_many_for_reviewer",
    "mark_review_started",
    "may_act_at",
    "object_to",
    "PendingCounts",
    "pending_counts",
    "queue",
    "register_kind",
    "resubmit",
    "run_timed_stages",
    "save_draft",
    "start",
    "submit",
    "target_state",
    "timeline",
    "timelines",
    "transition",
    "withdraw",
]
