"""Hardship aid's tables: 低保 standards, applications with their households and home visits,
case files and payments."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.aid.choices import (
    CASE_STATE_LABELS,
    CASE_STATES,
    CATEGORIES,
    CATEGORY_LABELS,
    CAUSE_LABELS,
    CAUSES,
    HEALTH,
    HEALTH_LABELS,
    HELP_LABELS,
    HELP_TYPES,
    PAYMENT_METHOD_LABELS,
    PAYMENT_METHODS,
    RELATIONSHIP_LABELS,
    RELATIONSHIPS,
)
from portal.core import crypto
from portal.core.db import UTCDateTime, one_of, utcnow
from portal.core.i18n import lazy_gettext as _l
from portal.core.workflow import Application
from portal.extensions import db


def _public_id() -> str:
    return secrets.token_urlsafe(12)


AREAS = ("urban", "rural")
AREA_LABELS = {"urban": _l("Urban"), "rural": _l("Rural")}


class SubsistenceStandard(db.Model):
    """A division's 低保 standard (yuan per person per month) for urban or rural households, from a date.

    Admins add a row when the standard changes; the row in force on a day is the latest that began
    on or before it."""

    __tablename__ = "aid_subsistence_standards"
    __table_args__ = (
        db.CheckConstraint(one_of("area", AREAS), name="area_known"),
        db.CheckConstraint("monthly_amount > 0", name="amount_positive"),
        db.UniqueConstraint("region_code", "area", "effective_from", name="uq_aid_standard_region_area_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    area: Mapped[str] = mapped_column(String(8), nullable=False)
    monthly_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


# --- Applications -------------------------------------------------------------------------------


class AidApplication(Application):
    """困难帮扶申请: a member asks their union for hardship aid.

    Stages (``portal.aid.kind``): the member's grassroots union checks the documents, visits the home
    and recommends a category and amount; the county-level union approves (changing the figures
    needs a note); the case is posted publicly (公示) for a number of working days; with no
    objection a case file is opened (建档).

    The bank account is sensitive personal information: sealed (``core.crypto``), shown masked,
    revealed to reviewers only through the logged reveal.
    """

    __tablename__ = "aid_applications"
    __mapper_args__ = {"polymorphic_identity": "aid"}
    __table_args__ = (
        db.CheckConstraint(one_of("area", AREAS), name="area_known"),
        db.CheckConstraint(one_of("main_cause", CAUSES), name="main_cause_known"),
        db.CheckConstraint(one_of("help_type", HELP_TYPES), name="help_type_known"),
        db.CheckConstraint(
            "recommended_category IS NULL OR " + one_of("recommended_category", CATEGORIES), name="recommended_known"
        ),
        db.CheckConstraint(
            "approved_category IS NULL OR " + one_of("approved_category", CATEGORIES), name="approved_known"
        ),
        db.CheckConstraint("amount_requested >= 0", name="amount_requested_not_negative"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False)
    area: Mapped[str] = mapped_column(String(8), nullable=False, default="urban")
    annual_income: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)
    essential_spending: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)
    medical_spending: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)
    main_cause: Mapped[str] = mapped_column(String(16), nullable=False, default="other")
    secondary_causes: Mapped[str] = mapped_column(String(128), nullable=False, default="")  # codes, comma-separated
    account: Mapped[str] = mapped_column(Text, nullable=False, default="")
    help_type: Mapped[str] = mapped_column(String(16), nullable=False, default="living")
    amount_requested: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, default=0)
    bank_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    bank_account_sealed: Mapped[str | None] = mapped_column(Text)
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    # PIPL: separate consent to check the household's finances, with its time.
    finance_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The self-check's category for the figures given, when submitted (a hint for reviewers).
    assessed_category: Mapped[str | None] = mapped_column(String(16))
    recommended_category: Mapped[str | None] = mapped_column(String(16))
    recommended_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    recommendation_note: Mapped[str | None] = mapped_column(Text)
    approved_category: Mapped[str | None] = mapped_column(String(16))
    approved_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    approval_note: Mapped[str | None] = mapped_column(Text)

    members = relationship(
        "AidHouseholdMember", order_by="AidHouseholdMember.position", cascade="all, delete-orphan", lazy="selectin"
    )
    visits = relationship("AidHomeVisit", order_by="AidHomeVisit.visited_on", lazy="selectin", viewonly=True)

    @property
    def household_size(self) -> int:
        return max(len(self.members), 1)

    @property
    def secondary_cause_list(self) -> list[str]:
        return [c for c in self.secondary_causes.split(",") if c in CAUSES]

    @property
    def causes_label(self) -> str:
        labels = [str(CAUSE_LABELS[self.main_cause])] + [str(CAUSE_LABELS[c]) for c in self.secondary_cause_list]
        return "、".join(labels)

    @property
    def help_label(self) -> str:
        return str(HELP_LABELS.get(self.help_type, self.help_type))

    @property
    def bank_account_masked(self) -> str:
        return f"**** **** **** {self.bank_account_last4}" if self.bank_account_last4 else ""

    def seal_bank_account(self, number: str | None) -> None:
        self.bank_account_sealed = crypto.encrypt(number) if number else None
        self.bank_account_last4 = number[-4:] if number else None

    def reveal_bank_account(self) -> str | None:
        return crypto.decrypt(self.bank_account_sealed) if self.bank_account_sealed else None

    @property
    def notice_last_day(self) -> date | None:
        """The last day (Asia/Shanghai) of the public notice: it ends at midnight after it."""
        from datetime import timedelta

        from portal.core.time import local_today

        return local_today(self.stage_due_at - timedelta(microseconds=1)) if self.stage_due_at else None

    @property
    def category(self) -> str | None:
        """The category as far as the review has got: approved, else recommended."""
        return self.approved_category or self.recommended_category

    @property
    def amount(self) -> Decimal | None:
        return self.approved_amount if self.approved_amount is not None else self.recommended_amount


class AidHouseholdMember(db.Model):
    """One person of the applicant's household (the applicant first, as 本人)."""

    __tablename__ = "aid_household_members"
    __table_args__ = (
        db.CheckConstraint(one_of("relation", RELATIONSHIPS), name="relation_known"),
        db.CheckConstraint(one_of("health", HEALTH), name="health_known"),
        db.CheckConstraint("age >= 0 AND age <= 130", name="age_range"),
        db.CheckConstraint("monthly_income >= 0", name="income_not_negative"),
        db.UniqueConstraint("application_id", "position", name="uq_aid_member_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("aid_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    relation: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    age: Mapped[int] = mapped_column(Integer, nullable=False)
    health: Mapped[str] = mapped_column(String(16), nullable=False, default="healthy")
    occupation: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    monthly_income: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, default=0)

    @property
    def relationship_label(self) -> str:
        return str(RELATIONSHIP_LABELS[self.relation])

    @property
    def health_label(self) -> str:
        return str(HEALTH_LABELS[self.health])


class AidHomeVisit(db.Model):
    """入户走访: a visit to the household by union staff, at the first review or a yearly re-check."""

    __tablename__ = "aid_home_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("aid_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    case_file_id: Mapped[int | None] = mapped_column(ForeignKey("aid_case_files.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    visitors: Mapped[str] = mapped_column(String(100), nullable=False)
    findings: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    recorded_by = relationship("User")


# --- Case files (建档, 一户一档) ---------------------------------------------------------------------


class AidCaseFile(db.Model):
    """The household's file, opened when an approved case's notice ends without objection.

    Valid 12 months from opening (Asia/Shanghai dates); flagged for the yearly review 30 days
    ahead; a re-check (new visit) extends it; staff close it (撤档) with a reason."""

    __tablename__ = "aid_case_files"
    __table_args__ = (
        db.CheckConstraint(one_of("status", CASE_STATES), name="status_known"),
        db.CheckConstraint(one_of("category", CATEGORIES), name="category_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, nullable=False, default=_public_id)
    application_id: Mapped[int] = mapped_column(ForeignKey("aid_applications.id"), nullable=False, unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="open", index=True)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    application = relationship("AidApplication")
    household = relationship("User")
    union = relationship("Union")
    payments = relationship("AidPayment", order_by="AidPayment.paid_on", lazy="selectin", viewonly=True)

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS[self.category])

    @property
    def status_label(self) -> str:
        return str(CASE_STATE_LABELS[self.status])


class AidPayment(db.Model):
    """A payment made on a case file (recorded by staff; the money moves outside the portal)."""

    __tablename__ = "aid_payments"
    __table_args__ = (
        db.CheckConstraint(one_of("method", PAYMENT_METHODS), name="method_known"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_file_id: Mapped[int] = mapped_column(ForeignKey("aid_case_files.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    reference: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    @property
    def method_label(self) -> str:
        return str(PAYMENT_METHOD_LABELS[self.method])
