"""Mutual medical insurance's tables: plans (one version per plan year, rules as data) and
enrolments, each with the member's running total paid in the plan year (the annual cap's ledger)."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, one_of, utcnow
from portal.core.i18n import current_language
from portal.core.i18n import lazy_gettext as _l
from portal.core.workflow import Application
from portal.extensions import db
from portal.insurance.rules import PlanRules

FAMILIES = ("hospital", "female", "accident")
GIVEN_WITH = ("none", "membership")  # "membership": given with an approved membership (入会赠送)

ENROLMENT_STATUSES = ("pending_payment", "active", "cancelled")
ENROLMENT_STATUS_LABELS = {
    "pending_payment": _l("Awaiting payment"),
    "active": _l("Covered"),
    "cancelled": _l("Cancelled"),
}
PAID_BY = ("self", "union", "free")
PAID_BY_LABELS = {"self": _l("Paid by the member"), "union": _l("Paid by the union"), "free": _l("Free")}
SOURCES = ("self", "staff", "import", "membership")


def _public_id() -> str:
    return secrets.token_urlsafe(12)


_RULES: dict[str, PlanRules] = {}


def rules_from_json(text: str) -> PlanRules:
    """A plan's stored rules, read once per process for each text (plans are few, and their rules
    are immutable values)."""
    rules = _RULES.get(text)
    if rules is None:
        if len(_RULES) > 256:
            _RULES.clear()
        rules = _RULES[text] = PlanRules.from_data(json.loads(text))
    return rules


class InsurancePlan(db.Model):
    """A plan for one plan year. Next year's plan is a new row (HOSP-2027 beside HOSP-2026); plans
    of one ``family`` in consecutive years make a renewal without a gap."""

    __tablename__ = "insurance_plans"
    __table_args__ = (
        db.CheckConstraint(one_of("family", FAMILIES), name="family_known"),
        db.CheckConstraint(one_of("given_with", GIVEN_WITH), name="given_with_known"),
        db.CheckConstraint("contribution >= 0", name="contribution_not_negative"),
        db.CheckConstraint("coverage_end >= coverage_start", name="coverage_ordered"),
        db.CheckConstraint("enrol_until >= enrol_from", name="enrolment_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    family: Mapped[str] = mapped_column(String(16), nullable=False)
    plan_year: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # Chinese
    name_en: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contribution: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False, default=0)
    coverage_start: Mapped[date] = mapped_column(Date, nullable=False)
    coverage_end: Mapped[date] = mapped_column(Date, nullable=False)
    enrol_from: Mapped[date] = mapped_column(Date, nullable=False)
    enrol_until: Mapped[date] = mapped_column(Date, nullable=False)
    given_with: Mapped[str] = mapped_column(String(16), nullable=False, default="none")
    rules_json: Mapped[str] = mapped_column(Text, nullable=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def rules(self) -> PlanRules:
        return rules_from_json(self.rules_json)

    @rules.setter
    def rules(self, value: PlanRules) -> None:
        self.rules_json = json.dumps(value.to_data(), ensure_ascii=False, sort_keys=True)

    @property
    def display_name(self) -> str:
        return self.name_en if current_language() == "en" and self.name_en else self.name

    def open_for_enrolment(self, day: date) -> bool:
        return self.is_active and self.enrol_from <= day <= self.enrol_until


class InsuranceEnrolment(db.Model):
    """A member's place in one plan (one per member and plan). Self-enrolment waits for staff to
    confirm the contribution was received (payment happens offline); coverage starts then.

    ``paid_fen``: what the plan has paid the member this plan year, in fen — the annual cap's
    ledger, only ever raised by a guarded update (``services.claims``), never read-then-written."""

    __tablename__ = "insurance_enrolments"
    __table_args__ = (
        UniqueConstraint("user_id", "plan_id", name="uq_insurance_enrolments_member_plan"),
        db.CheckConstraint(one_of("status", ENROLMENT_STATUSES), name="status_known"),
        db.CheckConstraint(one_of("paid_by", PAID_BY), name="paid_by_known"),
        db.CheckConstraint(one_of("source", SOURCES), name="source_known"),
        db.CheckConstraint("paid_fen >= 0", name="paid_not_negative"),
        db.CheckConstraint("status <> 'active' OR coverage_start IS NOT NULL", name="active_has_coverage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, nullable=False, default=_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("insurance_plans.id"), nullable=False, index=True)
    # The member's union when enrolled: the staff who confirm and review are above it.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending_payment")
    paid_by: Mapped[str] = mapped_column(String(8), nullable=False, default="self")
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="self")
    contribution: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False, default=0)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payment_reference: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    coverage_start: Mapped[date | None] = mapped_column(Date)
    coverage_end: Mapped[date | None] = mapped_column(Date)
    covered_from: Mapped[date | None] = mapped_column(Date)  # the waiting period's end
    renewed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_fen: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    user = relationship("User", foreign_keys=[user_id])
    plan = relationship(InsurancePlan, lazy="joined")
    union = relationship("Union")

    @property
    def status_label(self) -> str:
        return str(ENROLMENT_STATUS_LABELS[self.status])

    @property
    def paid_by_label(self) -> str:
        return str(PAID_BY_LABELS[self.paid_by])

    @property
    def paid_this_year(self) -> Decimal:
        return (Decimal(self.paid_fen) / 100).quantize(Decimal("0.01"))

    @property
    def cap_left(self) -> Decimal:
        return max(Decimal(0), self.plan.rules.annual_cap - self.paid_this_year)

    def in_waiting_period(self, day: date) -> bool:
        return self.covered_from is not None and day < self.covered_from


# --- Claims ----------------------------------------------------------------------------------------

EVENTS = ("hospital", "diagnosis", "accident")
EVENT_LABELS = {"hospital": _l("Hospital stay"), "diagnosis": _l("Diagnosis"), "accident": _l("Accident")}
PAYMENT_METHODS = ("bank", "cash", "wechat", "alipay")
PAYMENT_METHOD_LABELS = {
    "bank": _l("Bank transfer"),
    "cash": _l("Cash"),
    "wechat": _l("WeChat Pay"),
    "alipay": _l("Alipay"),
}


class InsuranceClaim(Application):
    """理赔申请: a member claims under a plan they hold, for one hospital stay, diagnosis or accident.

    Stages (``insurance.kind``): the member's grassroots union checks the documents; the county
    union approves the payout — worked out again at that moment by ``rules.estimate`` against what
    is left of the member's annual cap — and records the payment. ``payout`` and its lines are kept
    as approved, so the member reads the calculation that was paid."""

    __tablename__ = "insurance_claims"
    __mapper_args__ = {"polymorphic_identity": "insurance_claim"}
    __table_args__ = (
        db.CheckConstraint(one_of("event", EVENTS), name="event_known"),
        db.CheckConstraint("ended_on >= started_on", name="dates_ordered"),
        db.CheckConstraint(
            "total_cost >= 0 AND public_paid >= 0 AND serious_paid >= 0 AND excluded >= 0", name="amounts_not_negative"
        ),
        db.CheckConstraint(
            "payment_method IS NULL OR " + one_of("payment_method", PAYMENT_METHODS), name="payment_method_known"
        ),
    )

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("insurance_enrolments.id"), nullable=False, index=True)
    event: Mapped[str] = mapped_column(String(16), nullable=False, default="hospital")
    started_on: Mapped[date] = mapped_column(Date, nullable=False)  # admitted, diagnosed, the accident
    ended_on: Mapped[date] = mapped_column(Date, nullable=False)  # discharged (the same day otherwise)
    hospital: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    diagnosis: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    total_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)
    public_paid: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)  # 统筹
    serious_paid: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)  # 大病
    excluded: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)  # 目录外自费
    eligible_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=0)
    estimate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # when sent, for information
    payout: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # as approved
    payout_before_cap: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    calculation_json: Mapped[str | None] = mapped_column(Text)  # the approved calculation's lines
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_method: Mapped[str | None] = mapped_column(String(8))
    payment_reference: Mapped[str] = mapped_column(String(64), nullable=False, default="")

    enrolment = relationship(InsuranceEnrolment, lazy="joined")
    invoices = relationship(
        "InsuranceClaimInvoice", order_by="InsuranceClaimInvoice.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def plan(self) -> InsurancePlan:
        return self.enrolment.plan

    @property
    def event_label(self) -> str:
        return str(EVENT_LABELS[self.event])

    @property
    def invoice_numbers(self) -> list[str]:
        return [i.number for i in self.invoices]

    @property
    def capped(self) -> bool:
        return self.payout is not None and self.payout_before_cap is not None and self.payout < self.payout_before_cap

    @property
    def calculation(self) -> list[str]:
        return json.loads(self.calculation_json) if self.calculation_json else []

    @property
    def payment_method_label(self) -> str:
        return str(PAYMENT_METHOD_LABELS[self.payment_method]) if self.payment_method else ""


class InsuranceClaimInvoice(db.Model):
    """An invoice (医疗收费票据) number on a claim. ``held`` is the number while the claim is open or
    paid, NULL once it is rejected or withdrawn: unique, so one invoice is claimed once, even by two
    claims sent at the same moment."""

    __tablename__ = "insurance_claim_invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("insurance_claims.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    held: Mapped[str | None] = mapped_column(String(40), unique=True)
