"""What every membership use case reads: the person's membership and applications, the union
they may join, the rule for correcting an application, the membership's history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.core import workflow
from portal.core.errors import InvalidTransition, NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, clean_prose
from portal.extensions import db
from portal.membership.models import Membership, MembershipEvent
from portal.unions import services as unions
from portal.unions.models import Union

GROUP = "membership"  # membership and transfer applications: one open at a time per person
KINDS = ("membership", "transfer", "identity_change")  # the kinds this package registers

# --- Looking things up -------------------------------------------------------------------------


def membership_of(user) -> Membership | None:
    """The person's membership with its union (every page that shows one names the union)."""
    stmt = select(Membership).where(Membership.user_id == user.id).options(joinedload(Membership.union))
    return db.session.scalars(stmt).first()


def open_application(user) -> workflow.Application | None:
    return db.session.scalars(
        select(workflow.Application).where(workflow.Application.open_key == f"{GROUP}:{user.id}")
    ).first()


def applications_of(user, open_only: bool = False) -> list[workflow.Application]:
    stmt = (
        select(workflow.Application)
        .where(workflow.Application.applicant_id == user.id, workflow.Application.kind.in_(KINDS))
        .order_by(workflow.Application.created_at.desc())
        .options(joinedload(workflow.Application.union))
    )
    if open_only:
        stmt = stmt.where(workflow.Application.status.in_(workflow.OPEN_STATES))
    return list(db.session.scalars(stmt))


def joinable_union(code: str | None) -> Union:
    """The grassroots union with this code, or a clear refusal."""
    union = unions.find_by_code(code)
    if union is None:
        raise InvalidInput(_l("There is no union with this code; please choose one from the list."), field="union_code")
    if not union.accepts_members:
        raise InvalidInput(_l("Members join a grassroots union; please choose one from the list."), field="union_code")
    return union


# --- Answering the union's question ---------------------------------------------------------------


def check_correctable(application, user) -> None:
    if application.applicant_id != user.id:
        raise NotAllowed()
    if application.status != "needs_info":
        raise InvalidTransition(_l("This application can only be changed while more information is requested."))


def reply(application: workflow.Application, user, text: str | None) -> workflow.Application:
    """The applicant answers the union's request for information (without changing the form);
    the answer is the note of the resubmit event, so the reviewer reads it and the trail keeps it."""
    check_correctable(application, user)
    if not clean_prose(text):
        raise InvalidInput(_l("Please write your reply to the union."), field="reply")
    return workflow.resubmit(application, user, reply=text)


# --- The membership's history --------------------------------------------------------------------


def record_event(
    membership: Membership, action: str, *, actor=None, application=None, from_union=None, to_union=None, note=None
) -> None:
    db.session.add(
        MembershipEvent(
            membership=membership,
            action=action,
            actor_id=getattr(actor, "id", None),
            application_id=getattr(application, "id", None),
            from_union_id=getattr(from_union, "id", None),
            to_union_id=getattr(to_union, "id", None),
            note=note,
        )
    )
