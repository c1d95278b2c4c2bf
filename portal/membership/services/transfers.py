"""Transfers: a member moves to another grassroots union, keeping number, join date and history.

The receiving union reviews the request through the shared workflow.
"""

from __future__ import annotations

from portal.core import workflow
from portal.core.errors import InvalidTransition
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, clean_prose
from portal.extensions import db
from portal.membership.models import TransferApplication
from portal.membership.services.common import (
    check_correctable,
    joinable_union,
    membership_of,
    open_application,
    record_event,
)


def request_transfer(user, *, union_code: str | None, reason: str | None) -> TransferApplication:
    """A member asks to move to another grassroots union; its staff review the request."""
    membership = membership_of(user)
    if membership is None or not membership.is_active:
        raise InvalidInput(_l("Only members can transfer; please apply to join first."))
    if open_application(user) is not None:
        raise InvalidInput(_l("You already have an application in progress."))
    union = joinable_union(union_code)
    if union.id == membership.union_id:
        raise InvalidInput(_l("You are already a member of this union."), field="union_code")
    reason = clean_prose(reason)
    if len(reason) > 500:
        raise InvalidInput(_l("The reason can have at most 500 characters."), field="reason")
    application = TransferApplication(
        kind="transfer", union=union, membership=membership, from_union_id=membership.union_id, reason=reason
    )
    return workflow.start(application, user)


def update_transfer_and_resubmit(
    application: TransferApplication, user, *, reason: str | None, reply: str | None = None
):
    """A transfer asked for more information: the member explains and sends it again."""
    check_correctable(application, user)
    reason = clean_prose(reason)
    if len(reason) > 500:
        raise InvalidInput(_l("The reason can have at most 500 characters."), field="reason")
    application.reason = reason
    db.session.flush()
    return workflow.resubmit(application, user, reply=reply)


def on_transfer_approved(application: TransferApplication, reviewer) -> None:
    """The membership moves to the receiving union, keeping its number, join date and history."""
    membership = application.membership
    if not membership.is_active or membership.union_id != application.from_union_id:
        raise InvalidTransition(_l("The membership has changed since this transfer was requested."))
    from_union = membership.union
    membership.union = application.union
    record_event(
        membership,
        "transferred",
        actor=reviewer,
        application=application,
        from_union=from_union,
        to_union=application.union,
        note=application.reason,
    )
    db.session.flush()
