"""Who someone is, once they are a member: real name and ID number change only through a review.

An approved member once changed both at /me/edit and the card showed a different person under
the same member number, with no review and no audit event. So from the moment someone has a
membership (active or ended: the number stays theirs) or an application under review, the
account's real name and ID number are locked (``accounts.services.identity_lock``); a change is
an ``identity_change`` application on the shared workflow, reviewed by staff whose scope holds
the member's union. Approval changes the account, bumps the card version (old QR codes stop
verifying) and writes an ``identity.changed`` audit event.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts import services as accounts
from portal.accounts.models import ID_HASH_PURPOSE, User
from portal.core import audit, crypto, workflow
from portal.core.errors import Conflict, InvalidTransition
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import mask_id_number
from portal.core.validators import InvalidInput, clean_prose, normalise_name, parse_id_number
from portal.extensions import db
from portal.membership import services
from portal.membership.models import IdentityChangeApplication, Membership

GROUP = "identity"  # one open change request per person, beside a membership application
REASON_MAX = 500


def is_locked(user) -> bool:
    """A member (or former member) or someone with a membership application under review."""
    return services.membership_of(user) is not None or services.open_application(user) is not None


def reviewing_union(user):
    """The union whose staff review a change: the membership's, else the open application's."""
    membership = services.membership_of(user)
    if membership is not None and membership.is_active:
        return membership.union
    application = services.open_application(user)
    if application is not None:
        return application.union
    if membership is not None:
        return membership.union
    return None


def open_request(user) -> IdentityChangeApplication | None:
    return db.session.scalars(
        select(IdentityChangeApplication).where(IdentityChangeApplication.open_key == f"{GROUP}:{user.id}")
    ).first()


def _new_id_number(user, raw: str | None) -> str | None:
    """The typed ID number when it differs from the account's, checked; None when unchanged."""
    if not raw:
        return None
    parsed = parse_id_number(raw)
    if parsed.value == user.reveal_id_number():
        return None
    if parsed.age_on(datetime.now(ZoneInfo("Asia/Shanghai")).date()) < services.MINIMUM_AGE:
        raise InvalidInput(_l("You must be at least 16 years old to join the union."), field="id_number")
    digest = crypto.keyed_hash(parsed.value, purpose=ID_HASH_PURPOSE)
    owner = db.session.scalars(select(User.id).where(User.id_number_hash == digest)).first()
    if owner is not None and owner != user.id:
        raise Conflict(_l("This ID number is already linked to another account."), field="id_number")
    return parsed.value


def request_change(user, *, real_name: str | None, id_number: str | None, reason: str | None):
    """A member or applicant asks their union to change their real name and/or ID number."""
    if not is_locked(user):
        raise InvalidInput(_l("You can change your real name and ID number on your profile directly."))
    if open_request(user) is not None:
        raise InvalidInput(_l("You already have a change request in progress."))
    try:
        new_name = normalise_name(real_name)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="real_name") from None
    new_id = _new_id_number(user, id_number)
    reason = clean_prose(reason)
    if not reason:
        raise InvalidInput(_l("Please say why the details need to change."), field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_l("The reason can have at most 500 characters."), field="reason")
    if new_name == user.name and new_id is None:
        raise InvalidInput(_l("The real name and ID number are the same as now; there is nothing to change."))
    application = IdentityChangeApplication(
        kind="identity_change",
        union=reviewing_union(user),
        old_name=user.name,
        new_name=new_name,
        old_id_number_encrypted=user.id_number_encrypted,
        new_id_number_encrypted=crypto.encrypt(new_id) if new_id else None,
        reason=reason,
    )
    return workflow.start(application, user)


def on_identity_change_approved(application: IdentityChangeApplication, reviewer) -> None:
    """The account takes the new name and ID number; the card's old QR codes stop verifying."""
    user = application.applicant
    if user.name != application.old_name or user.reveal_id_number() != application.reveal_old_id_number():
        raise InvalidTransition(_l("The details have changed since this request was made."))
    user.name = application.new_name
    new_id = application.reveal_new_id_number()
    if new_id:
        accounts.bind_id_number(user, new_id)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # someone else took the number since the request was made
        raise Conflict(_l("This ID number is already linked to another account.")) from None
    db.session.execute(
        update(Membership)
        .where(Membership.user_id == user.id)
        .values(card_version=Membership.card_version + 1)
        .execution_options(synchronize_session=False)
    )
    changes = []
    if application.changes_name:
        changes.append(f"name: {application.old_name} → {application.new_name}")
    if new_id:
        changes.append(f"id number: {application.old_id_number_masked} → {mask_id_number(new_id)}")
    audit.record(
        "identity.changed",
        user,
        actor=reviewer,
        union_id=application.union_id,
        note=f"application {application.public_id}; " + "; ".join(changes),
    )


def reveal(application: IdentityChangeApplication) -> dict[str, str | None]:
    """What the logged reveal on the staff page shows: the ID numbers before and after."""
    return {
        "id_number": application.reveal_old_id_number() or application.applicant.reveal_id_number(),
        "new_id_number": application.reveal_new_id_number(),
    }
