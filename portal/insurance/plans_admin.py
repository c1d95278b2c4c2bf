"""Plans as the admin keeps them: a new plan, next year's version of one (copied, a year later), and
edits. Once anyone is enrolled, a plan's terms — rules, cover dates, contribution — stay as they
were enrolled in: next year's terms are a new version, not an edit (changing them would change
what pending claims pay)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from portal.core import audit
from portal.core.errors import Conflict
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import add_months
from portal.core.validators import InvalidInput, clean_line
from portal.extensions import db
from portal.insurance.models import FAMILIES, GIVEN_WITH, InsuranceEnrolment, InsurancePlan
from portal.insurance.rules import Band, PlanRules

_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
MONEY_MAX = Decimal("10000000")


@dataclass
class PlanTerms:
    """What the admin's form gives, parsed (``rules`` checked by ``PlanRules`` itself)."""

    code: str
    family: str
    plan_year: int
    name: str
    name_en: str
    contribution: Decimal
    coverage_start: date
    coverage_end: date
    enrol_from: date
    enrol_until: date
    given_with: str
    is_active: bool
    rules: PlanRules


def parse_bands(text: str | None) -> tuple[Band, ...]:
    """Bands typed one a line: the upper end of the band (above the deductible) and its rate —
    "10000 50%", "50000 60%", and "以上 70%" (or "- 70%") for the open-ended last one."""
    bands = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = line.replace("，", " ").replace(",", "").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise InvalidInput(
                _l("Band line %(num)d: the upper end and the rate, e.g. “10000 50%%”.", num=number), field="bands"
            )
        upto_text, rate_text = parts
        try:
            upto = None if upto_text in ("-", "以上", "above") else Decimal(upto_text)
            rate = Decimal(rate_text.rstrip("%")) / (100 if rate_text.endswith("%") else 1)
        except InvalidOperation:
            raise InvalidInput(
                _l("Band line %(num)d: the upper end and the rate, e.g. “10000 50%%”.", num=number), field="bands"
            ) from None
        bands.append(Band(upto, rate))
    return tuple(bands)


def bands_text(rules: PlanRules) -> str:
    def rate(value: Decimal) -> str:
        return f"{(value * 100).normalize():f}%"

    return "\n".join(f"{'以上' if b.upto is None else f'{b.upto:f}'} {rate(b.rate)}" for b in rules.bands)


def check_terms(terms: PlanTerms) -> PlanTerms:
    terms.code = (terms.code or "").strip().upper()
    if not _CODE.fullmatch(terms.code):
        raise InvalidInput(_l("2 to 32 capital letters, digits or dashes, e.g. HOSP-2028."), field="code")
    terms.name, terms.name_en = clean_line(terms.name) or "", clean_line(terms.name_en) or ""
    if not terms.name:
        raise InvalidInput(_l("Please enter the plan's name."), field="name")
    if len(terms.name) > 100 or len(terms.name_en) > 100:
        raise InvalidInput(_l("At most %(max)d characters.", max=100), field="name")
    if terms.family not in FAMILIES:
        raise InvalidInput(_l("Please choose the kind of plan."), field="family")
    if terms.given_with not in GIVEN_WITH:
        raise InvalidInput(_l("Please choose how members join."), field="given_with")
    if not (2000 <= terms.plan_year <= 2100):
        raise InvalidInput(_l("A year from 2000 to 2100."), field="plan_year")
    if not (0 <= terms.contribution <= MONEY_MAX):
        raise InvalidInput(_l("Please enter the contribution."), field="contribution")
    if terms.coverage_end < terms.coverage_start:
        raise InvalidInput(_l("The cover cannot end before it starts."), field="coverage_end")
    if terms.enrol_until < terms.enrol_from:
        raise InvalidInput(_l("Enrolment cannot close before it opens."), field="enrol_until")
    r = terms.rules
    if r.benefit == "bands" and not r.bands:
        raise InvalidInput(_l("A plan that pays a share needs at least one band."), field="bands")
    if r.benefit == "lump_sum" and (r.lump_sum <= 0 or not r.diseases):
        raise InvalidInput(_l("A lump-sum plan needs its amount and the diseases it pays for."), field="lump_sum")
    if max(r.annual_cap, r.deductible, r.lump_sum) > MONEY_MAX:
        raise InvalidInput(_l("Amounts up to ¥10,000,000."), field="annual_cap")
    if not (0 <= r.waiting_days <= 730 and 1 <= r.claim_days <= 3650):
        raise InvalidInput(_l("Waiting days 0 to 730; claim days 1 to 3650."), field="waiting_days")
    return terms


def make_rules(**values) -> PlanRules:
    """``PlanRules`` from the form's values, its own checks said as a form error."""
    try:
        return PlanRules(**values)
    except ValueError:
        raise InvalidInput(
            _l("The bands must rise, only the last may be open-ended, and each rate is 0 to 100%."), field="bands"
        ) from None


def enrolled_count(plan: InsurancePlan) -> int:
    return db.session.scalar(select(func.count(InsuranceEnrolment.id)).where(InsuranceEnrolment.plan_id == plan.id))


def create_plan(terms: PlanTerms, admin) -> InsurancePlan:
    check_terms(terms)
    if db.session.scalar(select(InsurancePlan.id).where(InsurancePlan.code == terms.code)):
        raise Conflict(_l("A plan with this code exists already."), field="code")
    plan = InsurancePlan(**{k: v for k, v in vars(terms).items() if k != "rules"}, is_demo=False)
    plan.rules = terms.rules
    db.session.add(plan)
    db.session.flush()
    audit.record("insurance.plan_created", plan, actor=admin, note=plan.code)
    return plan


def update_plan(plan: InsurancePlan, terms: PlanTerms, admin) -> InsurancePlan:
    """Names, the enrolment window and whether it is offered can always change; the terms only
    while nobody is enrolled."""
    terms.code = plan.code  # the code is how claims, files and the API name it
    check_terms(terms)
    locked = enrolled_count(plan) > 0
    if locked:
        kept = (plan.family, plan.plan_year, plan.contribution, plan.coverage_start, plan.coverage_end, plan.rules)
        given = (
            terms.family,
            terms.plan_year,
            terms.contribution,
            terms.coverage_start,
            terms.coverage_end,
            terms.rules,
        )
        if kept != given or plan.given_with != terms.given_with:
            raise Conflict(
                _l("Members are enrolled in this plan: its terms cannot change. Make next year's version instead.")
            )
    for name in ("name", "name_en", "enrol_from", "enrol_until", "is_active"):
        setattr(plan, name, getattr(terms, name))
    if not locked:
        for name in ("family", "plan_year", "contribution", "coverage_start", "coverage_end", "given_with"):
            setattr(plan, name, getattr(terms, name))
        plan.rules = terms.rules
        plan.is_demo = False  # its figures are the admin's now
    db.session.flush()
    audit.record("insurance.plan_updated", plan, actor=admin, note=plan.code)
    return plan


def next_version(plan: InsurancePlan) -> PlanTerms:
    """Next year's version of ``plan``: the same terms, every date a year later, a new code."""
    year = plan.plan_year + 1
    code = re.sub(r"\d{4}$", str(year), plan.code) if re.search(r"\d{4}$", plan.code) else f"{plan.code}-{year}"
    terms = terms_of(plan)
    return replace(
        terms,
        code=code,
        plan_year=year,
        name=plan.name.replace(str(plan.plan_year), str(year)),
        name_en=plan.name_en.replace(str(plan.plan_year), str(year)),
        coverage_start=add_months(plan.coverage_start, 12),
        coverage_end=add_months(plan.coverage_end, 12),
        enrol_from=add_months(plan.enrol_from, 12),
        enrol_until=add_months(plan.enrol_until, 12),
        is_active=True,
    )


# A plan's own columns, as the form and ``PlanTerms`` name them (its rules apart).
PLAN_FIELDS = (
    "code",
    "family",
    "plan_year",
    "name",
    "name_en",
    "contribution",
    "coverage_start",
    "coverage_end",
    "enrol_from",
    "enrol_until",
    "given_with",
    "is_active",
)


def terms_of(plan: InsurancePlan) -> PlanTerms:
    return PlanTerms(**{name: getattr(plan, name) for name in PLAN_FIELDS}, rules=plan.rules)
