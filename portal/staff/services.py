"""Staff workspace rules that are not a single domain's: the logged view of sensitive data, bulk decisions."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.core import audit, scope, workflow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db


def reveal_applicant_id_number(application: workflow.Application, reviewer) -> str | None:
    """The applicant's full ID number, for a reviewer of this application; every view is logged.

    Only a reviewer whose scope holds the application, and never the applicant.
    """
    if reviewer.id == application.applicant_id or not scope.may_act_on(reviewer, application.union):
        raise NotAllowed()
    audit.record(
        "sensitive.id_number_viewed",
        application.applicant,
        actor=reviewer,
        union_id=application.union_id,
        note=f"application {application.public_id}",
    )
    return application.applicant.reveal_id_number()


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
