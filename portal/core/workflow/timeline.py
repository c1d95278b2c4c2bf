"""What happened to an application, read from its audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.core import audit
from portal.core.i18n import lazy_gettext as _l
from portal.core.workflow.kinds import ApplicationKind, Stage
from portal.core.workflow.models import Application


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
    if (
        event.action in _STAGE_PASSED
        and before is not None
        and (after is not None or event.action == "application.elapse")
    ):
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


def timeline(application: Application, *, for_staff: bool = False, events=None) -> list[TimelineEntry]:
    """What happened to the application, oldest first, from its audit trail.

    An objection to a public notice reaches the applicant only as the fact (收到异议): its reason
    could tell who objected, so only staff read it."""
    entries = []
    kind = application.kind_spec
    for event in audit.events_for(application) if events is None else events:
        label = _timeline_label(event, kind)
        if label is None:
            continue
        entries.append(
            TimelineEntry(
                state=event.action.removeprefix("application."),
                label=label,
                at=event.occurred_at,
                note=event.note if for_staff or event.action != "application.object" else None,
                by_staff=event.actor_id is not None and event.actor_id != application.applicant_id,
            )
        )
    return entries


def timelines(applications: list[Application]) -> dict[int, list[TimelineEntry]]:
    """The applicant's timelines of several applications (我的办理), read in one query."""
    events = audit.events_for_many(applications)
    return {a.id: timeline(a, events=events[a.id]) for a in applications}
