"""Estimates as people read them: each calculation line worded in the reader's language
("超过起付线部分 7,500.00 × 50% = 3,750.00"), and the plans and estimates as the API gives them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.core.errors import NotFound
from portal.core.i18n import fmt_amount, fmt_percent
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db
from portal.insurance import rules as plan_rules
from portal.insurance.models import InsurancePlan, rules_from_json


def rules_by_code(code: str | None) -> tuple[str, plan_rules.PlanRules]:
    """(code, rules) of a plan, for the estimate API: two columns on the session's connection, no
    ORM object (the API's answer is worked out from the rules alone)."""
    row = (
        db.session.connection()
        .execute(
            select(InsurancePlan.code, InsurancePlan.rules_json).where(
                InsurancePlan.code == (code or "").strip().upper(), InsurancePlan.is_active.is_(True)
            )
        )
        .first()
    )
    if row is None:
        raise NotFound(_l("There is no plan with this code."))
    return row[0], rules_from_json(row[1])


def _amount(value: Decimal) -> str:
    return fmt_amount(Decimal(value).quantize(plan_rules.FEN))


def line_text(line: plan_rules.Line, single_band: bool) -> str:
    """A calculation step as a member reads it: "超过起付线部分 7,500.00 × 50% = 3,750.00"."""
    if line.kind == "eligible":
        return _("Eligible amount %(amount)s", amount=_amount(line.amount))
    if line.kind == "deductible":
        return _(
            "Less the deductible %(deductible)s: above the deductible %(rest)s",
            deductible=_amount(line.amount),
            rest=_amount(line.result),
        )
    if line.kind == "band":
        values = {"amount": _amount(line.amount), "rate": fmt_percent(line.rate), "result": _amount(line.result)}
        if single_band:
            return _("Above the deductible %(amount)s × %(rate)s = %(result)s", **values)
        if line.high is None:
            return _("Part above %(low)s: %(amount)s × %(rate)s = %(result)s", low=_amount(line.low), **values)
        return _(
            "Part from %(low)s to %(high)s: %(amount)s × %(rate)s = %(result)s",
            low=_amount(line.low),
            high=_amount(line.high),
            **values,
        )
    if line.kind == "lump_sum":
        return _("Lump sum for a listed disease: %(result)s", result=_amount(line.result))
    if line.kind == "cap":
        return _(
            "Held to what is left of the annual limit of %(cap)s: %(result)s",
            cap=_amount(line.amount),
            result=_amount(line.result),
        )
    raise ValueError(line.kind)


def estimate_lines(estimate: plan_rules.Estimate) -> list[str]:
    return estimate_lines_of(estimate.lines)


def estimate_lines_of(lines) -> list[str]:
    bands = [line for line in lines if line.kind == "band"]
    return [line_text(line, single_band=len(bands) == 1 and bands[0].low == 0) for line in lines]


def plan_summary(plan: InsurancePlan) -> dict:
    """A plan as the API lists it (amounts as strings, dates as ISO)."""
    r = plan.rules
    return {
        "code": plan.code,
        "name": plan.display_name,
        "family": plan.family,
        "plan_year": plan.plan_year,
        "contribution": str(plan.contribution),
        "coverage_start": plan.coverage_start.isoformat(),
        "coverage_end": plan.coverage_end.isoformat(),
        "enrol_from": plan.enrol_from.isoformat(),
        "enrol_until": plan.enrol_until.isoformat(),
        "given_with_membership": plan.given_with == "membership",
        "is_demo": plan.is_demo,
        "rules": {
            "benefit": r.benefit,
            "deductible": str(r.deductible),
            "bands": [{"upto": None if b.upto is None else str(b.upto), "rate": str(b.rate)} for b in r.bands],
            "annual_cap": str(r.annual_cap),
            "lump_sum": str(r.lump_sum),
            "diseases": list(r.diseases),
            "women_only": r.sex == "F",
            "waiting_days": r.waiting_days,
            "claim_days": r.claim_days,
        },
    }


def estimate_json(code: str, estimate: plan_rules.Estimate) -> dict:
    texts = estimate_lines(estimate)
    return {
        "plan": code,
        "payout": str(estimate.payout),
        "before_cap": str(estimate.before_cap),
        "capped": estimate.capped,
        "left_before_claim": str(estimate.left_before.quantize(plan_rules.FEN)),
        "refused": estimate.refused,
        "lines": [
            {
                "kind": line.kind,
                "amount": str(line.amount.quantize(plan_rules.FEN)),
                "rate": None if line.rate is None else str(line.rate),
                "result": None if line.result is None else str(line.result.quantize(plan_rules.FEN)),
                "text": text,
            }
            for line, text in zip(estimate.lines, texts, strict=True)
        ],
    }
