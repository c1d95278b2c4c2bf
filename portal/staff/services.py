"""Staff workspace rules that are not a single domain's: the logged view of sensitive data, bulk decisions."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.core import audit, scope, workflow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db


def reveal_sensitive(application: workflow.Application, reviewer) -> dict[str, str | None]:
    """The application's sensitive values in clear (the applicant's ID number; for a change of
    identity also the requested one), for a reviewer of this application; every view is logged.

    Only a reviewer whose scope holds the application, and never the applicant.
    """
    if reviewer.id == application.applicant_id or not scope.may_act_on(reviewer, application.union):
        raise NotAllowed()
    reveal = application.kind_spec.reveal
    values = reveal(application) if reveal else {"id_number": application.applicant.reveal_id_number()}
    audit.record(
        "sensitive.id_number_viewed",
        application.applicant,
        actor=reviewer,
        union_id=application.union_id,
        note=f"application {application.public_id}: " + ", ".join(name for name, v in values.items() if v),
    )
    return values


def may_bulk_approve(application, reviewer) -> bool:
    """Can ``reviewer`` approve ``application`` by ticking it in the queue? Not where approval
    carries figures of its own (a stage with a decision template: aid's category and amount)."""
    stage = application.current_stage
    return (
        stage is not None
        and not stage.decision_template
        and "approve" in workflow.allowed_actions(application, reviewer)
    )


def load_selected(public_ids: list[str], reviewer, limit: int = 100) -> list[workflow.Application]:
    """The ticked applications this reviewer may decide, in the order ticked (for the confirmation)."""
    wanted = list(dict.fromkeys(public_ids))[:limit]
    found = {a.public_id: a for a in workflow.load_many_for_reviewer(wanted, reviewer)}
    return [found[p] for p in wanted if p in found and may_bulk_approve(found[p], reviewer)]


@dataclass
class BulkResult:
    approved: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def bulk_approve(public_ids: list[str], reviewer, limit: int = 100) -> BulkResult:
    """Approve each selected application that can still be approved; skip (and report) the others.

    Each approval runs in its own savepoint, so one that was decided meanwhile does not undo the rest.
    """
    result = BulkResult()
    for public_id in list(dict.fromkeys(public_ids))[:limit]:
        try:
            with db.session.begin_nested():
                application = workflow.load_for_reviewer(public_id, reviewer)
                workflow.decide(application, reviewer, "approve")
        except DomainError:
            result.skipped.append(public_id)
        else:
            result.approved.append(public_id)
    return result
