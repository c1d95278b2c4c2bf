"""Hardship aid's rules as services: the self-check against the division's 低保 standard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from portal.aid import rules
from portal.aid.models import AREAS, SubsistenceStandard
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import local_today
from portal.core.validators import InvalidInput
from portal.extensions import db


def standard_for(region_code: str | None, area: str, on: date | None = None) -> SubsistenceStandard | None:
    """The standard in force for this division and area on ``on`` (default: today in Asia/Shanghai)."""
    if not region_code or area not in AREAS:
        return None
    stmt = (
        select(SubsistenceStandard)
        .where(
            SubsistenceStandard.region_code == region_code,
            SubsistenceStandard.area == area,
            SubsistenceStandard.effective_from <= (on or local_today()),
        )
        .order_by(SubsistenceStandard.effective_from.desc())
        .limit(1)
    )
    return db.session.scalars(stmt).first()


def regions_with_standards() -> set[str]:
    return set(db.session.scalars(select(SubsistenceStandard.region_code).distinct()))


def thresholds(standard: Decimal) -> rules.Thresholds:
    config = current_app.config
    return rules.Thresholds(
        standard=standard,
        relative_multiplier=Decimal(str(config["AID_RELATIVE_MULTIPLIER"])),
        accident_share=Decimal(str(config["AID_ACCIDENT_SHARE"])),
        insurance_medical_share=Decimal(str(config["AID_INSURANCE_MEDICAL_SHARE"])),
        migrant_min_months=int(config["AID_MIGRANT_MIN_MONTHS"]),
    )


def shares() -> dict[str, str]:
    """The configured rule figures as people read them: {"times": "2", "accident": "80%", "medical": "30%"}."""
    config = current_app.config

    def percent(value) -> str:
        return f"{Decimal(str(value)) * 100:f}".rstrip("0").rstrip(".") + "%"

    times = f"{Decimal(str(config['AID_RELATIVE_MULTIPLIER'])):f}"
    return {
        "times": times.rstrip("0").rstrip(".") if "." in times else times,
        "accident": percent(config["AID_ACCIDENT_SHARE"]),
        "medical": percent(config["AID_INSURANCE_MEDICAL_SHARE"]),
    }


@dataclass(frozen=True)
class CheckResult:
    household: rules.Household
    outcome: rules.Outcome
    standard: SubsistenceStandard
    region_code: str
    area: str


def self_check(
    *,
    size: int,
    annual_income: Decimal,
    essential_spending: Decimal,
    medical_spending: Decimal,
    region_code: str,
    area: str,
    migrant: bool,
    months_employed: int | None,
) -> CheckResult:
    """能申请吗: the outcome for a household. Nothing is stored."""
    if medical_spending > essential_spending:
        raise InvalidInput(
            _l("The self-paid medical costs are part of the essential spending and cannot be larger."),
            field="medical_spending",
        )
    if migrant and months_employed is None:
        raise InvalidInput(
            _l("Please enter how many months you have worked in your current job."), field="months_employed"
        )
    standard = standard_for(region_code, area)
    if standard is None:
        raise InvalidInput(
            _l("There is no minimum living standard on record for this place yet; please ask your union."),
            field="region",
        )
    household = rules.Household(
        size=size,
        annual_income=annual_income,
        essential_spending=essential_spending,
        medical_spending=medical_spending,
        migrant=migrant,
        months_employed=months_employed,
    )
    outcome = rules.assess(household, thresholds(standard.monthly_amount))
    return CheckResult(household, outcome, standard, region_code, area)


# What to prepare, by category (shown on the outcome page).
DOCUMENTS = {
    "common": (
        _l("Your ID card and the household register (户口簿)"),
        _l(
            "Proof of the household's income for the last 12 months (pay slips, bank statements or an employer's letter)"
        ),
        _l("A bank card in your own name, for the payment"),
    ),
    "deep": (_l("Proof of any minimum living allowance (低保) or disability certificate the household holds"),),
    "relative": (_l("Proof of the household's essential spending (medical bills, school fees)"),),
    "accident": (
        _l("Medical bills and the hospital's diagnosis, or proof of the disaster or accident"),
        _l("Receipts of the essential spending of the last 12 months"),
    ),
}


def documents_for(category: str) -> list:
    return list(DOCUMENTS["common"]) + list(DOCUMENTS.get(category, ()))
