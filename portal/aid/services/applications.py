"""Applying for hardship aid: drafts kept until sent, the household, causes, help asked, the bank
account (sealed), the separate consent to check the household's finances, and documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from portal.aid.choices import ACCOUNT_MAX, AMOUNT_MAX, CAUSES, HEALTH, HELP_TYPES, MEMBERS_MAX, RELATIONSHIPS
from portal.aid.models import AREAS, AidApplication, AidHouseholdMember
from portal.aid.services.check import self_check
from portal.core import workflow
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, clean_line, clean_prose, parse_bank_account
from portal.extensions import db

GROUP = "aid"  # one open aid application per person
KIND = "aid"


@dataclass
class MemberRow:
    relation: str
    name: str
    age: int
    health: str = "healthy"
    occupation: str = ""
    monthly_income: Decimal = Decimal(0)


@dataclass
class AidDetails:
    """What the applicant typed (already parsed to numbers by the form)."""

    region_code: str
    area: str
    members: list[MemberRow]
    essential_spending: Decimal
    medical_spending: Decimal
    main_cause: str
    secondary_causes: list[str] = field(default_factory=list)
    account: str = ""
    help_type: str = "living"
    amount_requested: Decimal = Decimal(0)
    bank_name: str = ""
    bank_account: str | None = None  # None: keep the one on file
    finance_consent: bool = False
    annual_income: Decimal | None = None  # None: 12 × the members' monthly incomes


def membership_for_applying(user):
    """The applicant's active membership, or the reason they cannot apply yet (join first)."""
    from portal.membership import services as membership

    card = membership.membership_of(user)
    if card is None or not card.is_active:
        raise NotAllowed(_l("Hardship aid is for union members. Join the union first, then apply."))
    return card


def open_application(user) -> AidApplication | None:
    return db.session.scalars(select(AidApplication).where(AidApplication.open_key == f"{GROUP}:{user.id}")).first()


def applications_of(user) -> list[AidApplication]:
    stmt = (
        select(AidApplication).where(AidApplication.applicant_id == user.id).order_by(AidApplication.created_at.desc())
    )
    return list(db.session.scalars(stmt))


def _check_details(details: AidDetails) -> None:
    if details.area not in AREAS:
        raise InvalidInput(_l("Please choose urban or rural."), field="area")
    if not details.region_code:
        raise InvalidInput(_l("Please choose the county, district or city where the household lives."), field="region")
    if not details.members:
        raise InvalidInput(_l("Please list at least yourself in the household."), field="members")
    if len(details.members) > MEMBERS_MAX:
        raise InvalidInput(_l("At most 10 people can be listed."), field="members")
    if details.members[0].relation != "self" or any(m.relation == "self" for m in details.members[1:]):
        raise InvalidInput(_l("The first person listed is you, and only the first."), field="members")
    for member in details.members:
        if member.relation not in RELATIONSHIPS or member.health not in HEALTH:
            raise InvalidInput(_l("Please choose from the list."), field="members")
    if details.main_cause not in CAUSES or any(c not in CAUSES for c in details.secondary_causes):
        raise InvalidInput(_l("Please choose the main cause from the list."), field="main_cause")
    if details.help_type not in HELP_TYPES:
        raise InvalidInput(_l("Please choose the help you ask for."), field="help_type")
    if details.amount_requested < 0 or details.amount_requested > AMOUNT_MAX:
        raise InvalidInput(_l("The amount can be at most ¥100,000."), field="amount_requested")
    if details.medical_spending > details.essential_spending:
        raise InvalidInput(
            _l("The self-paid medical costs are part of the essential spending and cannot be larger."),
            field="medical_spending",
        )


def _apply_details(application: AidApplication, details: AidDetails) -> None:
    application.region_code = details.region_code
    application.area = details.area
    application.essential_spending = details.essential_spending
    application.medical_spending = details.medical_spending
    application.annual_income = (
        details.annual_income
        if details.annual_income is not None
        else sum((m.monthly_income for m in details.members), Decimal(0)) * 12
    )
    application.main_cause = details.main_cause
    application.secondary_causes = ",".join(
        c for c in dict.fromkeys(details.secondary_causes) if c != details.main_cause
    )
    application.account = clean_prose(details.account, max_length=ACCOUNT_MAX, field="account")
    application.help_type = details.help_type
    application.amount_requested = details.amount_requested
    application.bank_name = clean_line(details.bank_name, max_length=50, field="bank_name")
    if details.bank_account is not None and details.bank_account.strip():
        application.seal_bank_account(parse_bank_account(details.bank_account))
    if details.finance_consent and application.finance_consent_at is None:
        application.finance_consent_at = utcnow()
    elif not details.finance_consent:
        application.finance_consent_at = None
    application.members.clear()
    db.session.flush()  # the old rows go before the new ones take their positions
    for position, row in enumerate(details.members):
        application.members.append(
            AidHouseholdMember(
                position=position,
                relation=row.relation,
                name=clean_line(row.name, max_length=50, field="members") or "—",
                age=row.age,
                health=row.health,
                occupation=clean_line(row.occupation, max_length=50, field="members"),
                monthly_income=row.monthly_income,
            )
        )


def save_draft(user, details: AidDetails, *, application: AidApplication | None = None) -> AidApplication:
    """Keep what the member typed: a new draft, or changes to their draft (or to an application the
    union asked them to complete). Nothing is checked for completeness yet."""
    card = membership_for_applying(user)
    _check_details(details)
    if application is None:
        application = AidApplication(union_id=card.union_id)
        _apply_details(application, details)
        return workflow.save_draft(application, user, consent_version=current_app.config["PRIVACY_NOTICE_VERSION"])
    if application.applicant_id != user.id or application.status not in EDITABLE:
        raise NotAllowed(_l("This application can no longer be changed."))
    _apply_details(application, details)
    db.session.flush()
    return application


def missing_for_submission(application: AidApplication) -> list:
    """What still stops the draft from being sent, in words for the applicant."""
    missing = []
    if not application.account.strip():
        missing.append(_l("a short account of the household's difficulty"))
    if application.amount_requested <= 0:
        missing.append(_l("the amount you ask for"))
    if not application.bank_account_sealed:
        missing.append(_l("the bank account for the payment"))
    if application.finance_consent_at is None:
        missing.append(_l("your consent to check the household's finances"))
    if document_count(application) == 0:
        missing.append(_l("at least one document (income proof, medical bills …)"))
    return missing


EDITABLE = ("draft", "needs_info")  # the member may change the application and its documents


def documents_open(application: AidApplication) -> bool:
    """Documents are added or removed before sending, or while the union asks for more."""
    return application.status in EDITABLE


def _check_documents_open(application: AidApplication, user) -> None:
    if application.applicant_id != user.id or not documents_open(application):
        raise NotAllowed(_l("Documents can be added or removed only before sending, or when the union asks for more."))


def add_documents(application: AidApplication, user, prepared: list) -> list:
    """Record prepared uploads (``core.files.prepare_upload``, done before the write) as the
    application's documents."""
    from portal.core import files

    _check_documents_open(application, user)
    return [files.record_upload(item, owner=user, purpose="document", application=application) for item in prepared]


def remove_document(application: AidApplication, user, file_id: str) -> None:
    from portal.core import files

    _check_documents_open(application, user)
    files.delete(files.load_file(application, file_id, purpose="document"), user)


def document_count(application: AidApplication) -> int:
    from portal.core.files import StoredFile

    return db.session.scalar(
        select(func.count(StoredFile.id)).where(
            StoredFile.application_id == application.id,
            StoredFile.purpose == "document",
            StoredFile.deleted_at.is_(None),
        )
    )


def submit(application: AidApplication, user, *, now=None) -> AidApplication:
    """Send the draft for the grassroots union's review; the self-check's category for the figures
    given is kept as a hint for the reviewers."""
    missing = missing_for_submission(application)
    if missing:
        raise InvalidInput(_l("Before sending, please add: %(missing)s.", missing="、".join(str(m) for m in missing)))
    try:
        result = self_check(
            size=application.household_size,
            annual_income=application.annual_income,
            essential_spending=application.essential_spending,
            medical_spending=application.medical_spending,
            region_code=application.region_code,
            area=application.area,
            migrant=False,
            months_employed=None,
        )
        application.assessed_category = result.outcome.category
    except DomainError:
        application.assessed_category = None  # no standard on record: the reviewers judge alone
    return workflow.submit(application, user, now=now)
