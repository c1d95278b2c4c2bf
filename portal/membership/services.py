"""Membership rules: who may apply where, what approval does, transfers, leaving, the member card.

The review itself (states, reviewers, audit, messages) is the shared workflow in
``portal.core.workflow``; this module adds what is particular to membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from portal.accounts import services as accounts
from portal.core import audit, workflow
from portal.core.db import utcnow
from portal.core.errors import InvalidTransition, NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import mask_name
from portal.core.notify import notify
from portal.core.time import local_today
from portal.core.validators import InvalidInput, clean_line, clean_prose, normalise_name, parse_id_number
from portal.extensions import db
from portal.membership.choices import (
    EDUCATION,
    EMPLOYMENT_TYPES,
    ETHNIC_GROUPS,
    NEW_FORM_TYPES,
    PLATFORMS,
    POLITICAL_STATUS,
)
from portal.membership.models import (
    MemberNumberCounter,
    Membership,
    MembershipApplication,
    MembershipEvent,
    TransferApplication,
)
from portal.unions import services as unions
from portal.unions.models import Union, in_subtree

MINIMUM_AGE = 16  # the minimum working age under the Labour Law
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


# --- Choosing a union ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    union: Union
    path: str
    reason: str  # "trade" (matches the person's work), "district", "city", "search"
    citywide: bool = False  # sits directly under the city: serves every district of it


def _county_for(region_code: str | None) -> Union | None:
    if not region_code:
        return None
    return db.session.scalars(select(Union).where(Union.level == "county", Union.region_code == region_code)).first()


def suggest_unions(
    *, region_code: str | None = None, employment_type: str | None = None, query: str = "", limit: int = 30
) -> list[Suggestion]:
    """Unions to offer a worker, best first.

    Only unions that serve the chosen district are offered: its own grassroots unions and the
    city-wide federations (those directly under the city union), never another district's.
    For platform workers the federation that serves their trade comes first (in their district,
    then city-wide); then the grassroots unions of their district; then the other city-wide
    federations. A name search replaces the suggestions.
    """
    grassroots = select(Union).where(Union.level == "grassroots", Union.is_active.is_(True))
    query = clean_line(query)[:30].replace("%", "").replace("_", "")
    picked: list[tuple[Union, str]] = []
    if query:
        found = db.session.scalars(grassroots.where(Union.name.like(f"%{query}%")).order_by(Union.path).limit(limit))
        picked = [(u, "search") for u in found]
    else:
        county = _county_for(region_code)
        if county is not None:
            city = county.parent
            in_county = list(
                db.session.scalars(grassroots.where(in_subtree(Union.path, county.path)).order_by(Union.code))
            )
            # Directly under the city, not anywhere below it: a federation of another district
            # (通河县, 160 km from 香坊区) does not serve this one.
            in_city = list(
                db.session.scalars(
                    grassroots.where(Union.parent_id == city.id)
                    .where(Union.kind == "industry_federation")
                    .order_by(Union.code)
                )
            )
            if employment_type in NEW_FORM_TYPES:
                serves = [u for u in in_county + in_city if employment_type in (u.serves or "").split(",")]
                picked += [(u, "trade") for u in serves]
            picked += [(u, "district") for u in in_county]
            picked += [(u, "city") for u in in_city]
    seen: set[int] = set()
    unique = []
    for union, reason in picked:
        if union.id not in seen:
            seen.add(union.id)
            unique.append((union, reason))
    unique = unique[:limit]
    paths = unions.full_names([u for u, _ in unique])
    parent_ids = {u.parent_id for u, _ in unique}
    city_ids = set(db.session.scalars(select(Union.id).where(Union.id.in_(parent_ids), Union.level == "city")))
    return [
        Suggestion(union=u, path=paths[u.id], reason=reason, citywide=u.parent_id in city_ids) for u, reason in unique
    ]


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
    if details["work_region_code"] and _county_for(details["work_region_code"]) is None:
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


def _check_correctable(application, user) -> None:
    if application.applicant_id != user.id:
        raise NotAllowed()
    if application.status != "needs_info":
        raise InvalidTransition(_l("This application can only be changed while more information is requested."))


def update_and_resubmit(
    application: MembershipApplication, user, data: dict, *, reply: str | None = None
) -> MembershipApplication:
    """While more information is requested the applicant may correct the form and send it again,
    with a reply to the union's question."""
    _check_correctable(application, user)
    union = joinable_union(data.get("union_code"))
    details = _clean_details(data)
    _check_identity(user, data.get("id_number"), details["real_name"])
    application.union = union
    for key, value in details.items():
        setattr(application, key, value)
    db.session.flush()
    return workflow.resubmit(application, user, reply=reply)


def reply(application: workflow.Application, user, text: str | None) -> workflow.Application:
    """The applicant answers the union's request for information (without changing the form);
    the answer is the note of the resubmit event, so the reviewer reads it and the trail keeps it."""
    _check_correctable(application, user)
    if not clean_prose(text):
        raise InvalidInput(_l("Please write your reply to the union."), field="reply")
    return workflow.resubmit(application, user, reply=text)


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


def _record(
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
        _record(membership, "joined", actor=reviewer, application=application, to_union=application.union)
    else:  # someone who left comes back: same member number, a new join date
        membership.status, membership.union, membership.joined_on = "active", application.union, local_today()
        membership.left_at = membership.left_reason = None
        _record(membership, "rejoined", actor=reviewer, application=application, to_union=application.union)
    db.session.flush()


def on_transfer_approved(application: TransferApplication, reviewer) -> None:
    """The membership moves to the receiving union, keeping its number, join date and history."""
    membership = application.membership
    if not membership.is_active or membership.union_id != application.from_union_id:
        raise InvalidTransition(_l("The membership has changed since this transfer was requested."))
    from_union = membership.union
    membership.union = application.union
    _record(
        membership,
        "transferred",
        actor=reviewer,
        application=application,
        from_union=from_union,
        to_union=application.union,
        note=application.reason,
    )
    db.session.flush()


# --- Transfer and leaving ----------------------------------------------------------------------------------------


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
    _check_correctable(application, user)
    reason = clean_prose(reason)
    if len(reason) > 500:
        raise InvalidInput(_l("The reason can have at most 500 characters."), field="reason")
    application.reason = reason
    db.session.flush()
    return workflow.resubmit(application, user, reply=reply)


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
    _record(membership, "left", actor=user, from_union=membership.union, note=reason or None)
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


# --- The member card -------------------------------------------------------------------------------------------

_CARD_SALT = "member-card"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_CARD_SALT)


def card_token(membership: Membership) -> str:
    """A signed token naming the membership; it expires after MEMBER_CARD_TOKEN_TTL seconds."""
    return _serializer().dumps([membership.id, membership.card_version])


@dataclass(frozen=True)
class Verification:
    valid: bool
    expired: bool = False
    masked_name: str = ""
    union_name: str = ""
    union_path: str = ""
    member_number: str = ""


def verify_card(token: str) -> Verification:
    """What a merchant learns from scanning a card: valid or not, and whose (masked)."""
    try:
        membership_id, version = _serializer().loads(token, max_age=current_app.config["MEMBER_CARD_TOKEN_TTL"])
    except SignatureExpired:
        return Verification(valid=False, expired=True)
    except (BadSignature, ValueError, TypeError):
        return Verification(valid=False)
    membership = db.session.get(Membership, membership_id) if isinstance(membership_id, int) else None
    if membership is None or not membership.is_active or membership.card_version != version:
        return Verification(valid=False)
    number = membership.member_number
    return Verification(
        valid=True,
        masked_name=mask_name(membership.user.name),
        union_name=membership.union.name,
        union_path=unions.full_name(membership.union),
        member_number=number[:6] + "*" * (len(number) - 10) + number[-4:],
    )
