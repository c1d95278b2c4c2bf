"""Leaving the union: the membership and its history are kept; the card stops verifying."""

from __future__ import annotations

from sqlalchemy import update

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import InvalidTransition
from portal.core.i18n import lazy_gettext as _l
from portal.core.notify import notify
from portal.core.validators import InvalidInput, clean_prose
from portal.extensions import db
from portal.membership.models import Membership
from portal.membership.services.common import membership_of, open_application, record_event


def leave(user, *, reason: str | None) -> Membership:
    """A member leaves the union. The membership and its history are kept; the card stops verifying."""
    membership = membership_of(user)
    if membership is None or not membership.is_active:
        raise InvalidInput(_l("You are not a member of a union."))
    if open_application(user) is not None:
        raise InvalidInput(_l("Please withdraw your application in progress first."))
    reason = clean_prose(reason)
    if len(reason) > 500:
        raise InvalidInput(_l("The reason can have at most 500 characters."), field="reason")
    result = db.session.execute(
        update(Membership)
        .where(Membership.id == membership.id, Membership.status == "active")
        .values(status="left", left_at=utcnow(), left_reason=reason or None, card_version=Membership.card_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition()
    db.session.refresh(membership)
    record_event(membership, "left", actor=user, from_union=membership.union, note=reason or None)
    audit.record(
        "membership.left",
        membership,
        actor=user,
        union_id=membership.union_id,
        from_state="active",
        to_state="left",
        note=reason or None,
    )
    notify(user, "membership.left", union=membership.union.name)
    return membership
