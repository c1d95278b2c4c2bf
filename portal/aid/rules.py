"""能申请吗？ The self-check's rules: plain functions of plain numbers (no database, no request).

    per-capita monthly = (annual household income − essential spending) ÷ 12 ÷ household size

* 深度困难 (deep): per-capita monthly below the division's 低保 (minimum living) standard;
* 相对困难 (relative): below ``relative_multiplier`` × the standard (2 by default);
* 意外致困 (accident): essential spending above ``accident_share`` of the year's income (80 %).

When several apply the category is the first of deep, relative, accident, and the reasons name
every rule that applied. When none applies but self-paid medical costs exceed
``insurance_medical_share`` of the income (30 %), the answer points to mutual medical insurance —
the county unions' answer for families made poor by illness but not below the line.

A migrant worker (农民工) needs ``migrant_min_months`` (12) in the current employment relationship.

The per-capita figure is worked out to the fen (half up, as a caseworker would) and the lines are
compared with that same figure, so the page never shows "¥1,600.00 is below ¥1,600.00"; a
household exactly at a line is not below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CATEGORIES = ("deep", "relative", "accident", "none")
FEN = Decimal("0.01")


@dataclass(frozen=True)
class Household:
    size: int
    annual_income: Decimal  # the household's income over the last 12 months, yuan
    essential_spending: Decimal  # self-paid medical costs + children's education + disaster losses, 12 months
    medical_spending: Decimal = Decimal(0)  # the self-paid medical part of the essential spending
    migrant: bool = False
    months_employed: int | None = None


@dataclass(frozen=True)
class Thresholds:
    standard: Decimal  # the division's 低保 standard, yuan per person per month
    relative_multiplier: Decimal = Decimal(2)
    accident_share: Decimal = Decimal("0.8")
    insurance_medical_share: Decimal = Decimal("0.3")
    migrant_min_months: int = 12


@dataclass(frozen=True)
class Outcome:
    category: str  # one of CATEGORIES
    per_capita_monthly: Decimal  # rounded to the fen, for showing
    standard: Decimal
    relative_line: Decimal  # relative_multiplier × standard
    reasons: tuple[str, ...]  # every rule that applied, in order: "deep", "relative", "accident"
    suggest_insurance: bool
    unmet: tuple[str, ...]  # conditions to apply that are not met: "migrant_months"

    @property
    def eligible(self) -> bool:
        return self.category != "none" and not self.unmet


def per_capita_monthly(household: Household) -> Decimal:
    value = (household.annual_income - household.essential_spending) / 12 / household.size
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def assess(household: Household, thresholds: Thresholds) -> Outcome:
    if household.size < 1:
        raise ValueError("a household has at least one member")
    if household.annual_income < 0 or household.essential_spending < 0 or household.medical_spending < 0:
        raise ValueError("amounts are not negative")
    if household.medical_spending > household.essential_spending:
        raise ValueError("the medical part cannot exceed the essential spending")
    per_capita = per_capita_monthly(household)
    relative_line = (thresholds.standard * thresholds.relative_multiplier).quantize(FEN, rounding=ROUND_HALF_UP)
    reasons = []
    if per_capita < thresholds.standard:
        reasons.append("deep")
    if per_capita < relative_line:
        reasons.append("relative")
    if household.essential_spending > household.annual_income * thresholds.accident_share:
        reasons.append("accident")
    category = reasons[0] if reasons else "none"
    suggest_insurance = (
        category == "none"
        and household.medical_spending > 0
        and household.medical_spending > household.annual_income * thresholds.insurance_medical_share
    )
    unmet = []
    if household.migrant and (household.months_employed or 0) < thresholds.migrant_min_months:
        unmet.append("migrant_months")
    return Outcome(
        category=category,
        per_capita_monthly=per_capita,
        standard=thresholds.standard,
        relative_line=relative_line,
        reasons=tuple(reasons),
        suggest_insurance=suggest_insurance,
        unmet=tuple(unmet),
    )
