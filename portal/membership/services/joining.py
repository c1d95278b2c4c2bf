"""Joining: the application to join a grassroots union, its correction, and what approval does
(a membership with a member number).

The review itself (states, reviewers, audit, messages) is the shared workflow in
``portal.core.workflow``; this module adds what is particular to membership.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from portal.accounts import services as accounts
from portal.core import workflow
from portal.core.i18n import lazy_gettext as _l
from portal.core.registry import announce
from portal.core.time import local_today
from portal.core.validators import InvalidInput, clean_line, normalise_name, parse_id_number
from portal.extensions import db
from portal.membership.choices import (
    EDUCATION,
    EMPLOYMENT_TYPES,
    ETHNIC_GROUPS,
    NEW_FORM_TYPES,
    PLATFORMS,
    POLITICAL_STATUS,
)
from portal.membership.models import MemberNumberCounter, Membership, MembershipApplication
from portal.membership.services.chooser import county_for
from portal.membership.services.common import (
    check_correctable,
    joinable_union,
    membership_of,
    open_application,
    record_event,
)
from portal.unions.models import Union

MINIMUM_AGE = 16  # the minimum working age under the Labour Law

# --- Applying --------------------------------------------------------------------------------------------


def _clean_details(data: dict) -> dict:
    """Check the membership form's own fields (the form has checked their shape already)."""
    details = {
        "real_name": normalise_name(data.get("real_name")),
        "ethnicity": data.get("ethnicity") or "",
        "education": data.get("education") or "",
        "political_status": data.get("political_status") or None,
        "employment_type": data.get("employment_type") or "",
        "platform": data.get("platform") or None,
        "employer": clean_line(data.get("employer"))[:100],
        "work_region_code": data.get("work_region_code") or None,
    }
    for key, allowed in (("ethnicity", ETHNIC_GROUPS), ("education", EDUCATION), ("employment_type", EMPLOYMENT_TYPES)):
        if details[key] not in allowed:
            raise InvalidInput(_l("Please choose one of the options."), field=key)
    if (details["political_status"] or "") not in POLITICAL_STATUS:
        raise InvalidInput(_l("Please choose one of the options."), field="political_status")
    if details["employment_type"] in NEW_FORM_TYPES:
        if details["platform"] not in PLATFORMS:
            raise InvalidInput(_l("Please choose the platform or company you work through."), field="platform")
        if details["platform"] == "other" and not details["employer"]:
            raise InvalidInput(_l("Please type the name of the platform or company."), field="employer")
    else:
        details["platform"] = None
        if not details["employer"]:
            raise InvalidInput(_l("Please enter the name of your employer."), field="employer")
    if details["work_region_code"] and county_for(details["work_region_code"]) is None:
        raise InvalidInput(_l("Please choose one of the options."), field="work_region_code")
    return details


_LOCKED_IDENTITY = _l(
    "Your real name and ID number can now only be changed through a request your union reviews (Me › Edit profile)."
)


def _check_identity(user, id_number: str | None, real_name: str) -> None:
    """An application is filed under the account's identity: its real name and ID number are the
    account's. Until someone is locked (a member, or an applicant) the form may set them; after
    that a different name or number is an identity change for staff to review, not a form edit.
    The applicant needs an ID number and must be 16 or older."""
    locked = accounts.identity_lock(user) is not None
    typed = parse_id_number(id_number).value if id_number else None
    if real_name != user.name:
        if locked:
            raise InvalidInput(_LOCKED_IDENTITY, field="real_name")
        user.name = real_name
    if typed and typed != user.reveal_id_number():
        if locked and user.has_id_number:
            raise InvalidInput(_LOCKED_IDENTITY, field="id_number")
        accounts.bind_id_number(user, typed)
    if not user.has_id_number:
        raise InvalidInput(_l("Please enter your ID number."), field="id_number")
    if accounts.age_of(user) < MINIMUM_AGE:
        raise InvalidInput(_l("You must be at least 16 years old to join the union."), field="id_number")


def apply(user, data: dict, *, consent: bool) -> MembershipApplication:
    """A worker applies to join a grassroots union (one open application at a time)."""
    membership = membership_of(user)
    if membership is not None and membership.is_active:
        raise InvalidInput(_l("You are already a member. To change union, apply for a transfer."))
    if open_application(user) is not None:
        raise InvalidInput(_l("You already have an application in progress."))
    if not consent:
        raise InvalidInput(_l("Please agree to the processing of your personal information."), field="consent")
    union = joinable_union(data.get("union_code"))
    details = _clean_details(data)
    _check_identity(user, data.get("id_number"), details["real_name"])
    application = MembershipApplication(kind="membership", union=union, **details)
    return workflow.start(application, user, consent_version=current_app.config["PRIVACY_NOTICE_VERSION"])


def update_and_resubmit(
    application: MembershipApplication, user, data: dict, *, reply: str | None = None
) -> MembershipApplication:
    """While more information is requested the applicant may correct the form and send it again,
    with a reply to the union's question."""
    check_correctable(application, user)
    union = joinable_union(data.get("union_code"))
    details = _clean_details(data)
    _check_identity(user, data.get("id_number"), details["real_name"])
    application.union = union
    for key, value in details.items():
        setattr(application, key, value)
    db.session.flush()
    return workflow.resubmit(application, user, reply=reply)


# --- What approval does --------------------------------------------------------------------------------------


def _insert_ignore(table, **values):
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing()


def allocate_member_number(union: Union, today: date | None = None) -> str:
    """The next member number: province code, year, sequence — 23 2026 00000042.

    One atomic UPDATE … RETURNING takes the number, so two staff approving at the same
    instant never get the same one (the row is locked on PostgreSQL; SQLite serialises writers).
    """
    today = today or local_today()
    prefix = f"{(union.region_code or '00')[:2]}{today.year}"
    table = MemberNumberCounter.__table__
    db.session.execute(_insert_ignore(table, prefix=prefix, last_value=0))
    value = db.session.execute(
        update(table)
        .where(table.c.prefix == prefix)
        .values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    ).scalar_one()
    return f"{prefix}{value:08d}"


def on_membership_approved(application: MembershipApplication, reviewer) -> None:
    """Approval makes the applicant a member of the union, with a member number."""
    user = application.applicant
    membership = membership_of(user)
    if membership is None:
        membership = Membership(
            user=user,
            union=application.union,
            joined_on=local_today(),
            member_number=allocate_member_number(application.union),
        )
        db.session.add(membership)
        record_event(membership, "joined", actor=reviewer, application=application, to_union=application.union)
    else:  # someone who left comes back: same member number, a new join date
        membership.status, membership.union, membership.joined_on = "active", application.union, local_today()
        membership.left_at = membership.left_reason = None
        record_event(membership, "rejoined", actor=reviewer, application=application, to_union=application.union)
    db.session.flush()
    announce("membership.joined", user=user, occupation=application.employment_type, actor=reviewer)
