"""/api/v1 endpoints. Errors are ``{"error": "…"}`` in the request's language, never an HTML page."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from portal.core.errors import DomainError
from portal.core.i18n import gettext as _
from portal.core.nearest import HALF_CIRCUMFERENCE_M
from portal.core.validators import InvalidInput, decimal_or_none, parse_int, parse_money
from portal.core.web import arg_int
from portal.stations import search, services
from portal.stations.models import AMENITIES

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    # A malformed query is a bad request, whatever the same refusal would be on a form.
    status = 400 if isinstance(exc, InvalidInput) else exc.status_code
    return jsonify(error=str(exc.message)), status


def _number(name: str, low: float, high: float, *, required: bool = True) -> float | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        if required:
            raise InvalidInput(_("The parameter %(name)s is required.", name=name))
        return None
    value = decimal_or_none(raw, low=low, high=high)
    if value is None:
        raise InvalidInput(_("%(name)s must be a number from %(low)s to %(high)s.", name=name, low=low, high=high))
    return value


def _integer(name: str, low: int, default: int | None) -> int | None:
    return arg_int(name, default, low=low)


def _flag(name: str) -> bool:
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise InvalidInput(_("%(name)s must be 1 or 0.", name=name))


@bp.route("/stations/nearby")
def stations_nearby():
    """The nearest rest stations to a WGS-84 point, nearest first. ``limit`` above 50 is clamped to 50."""
    lat = _number("lat", -90, 90)
    lng = _number("lng", -180, 180)
    limit = min(_integer("limit", 1, search.DEFAULT_LIMIT), search.MAX_LIMIT)
    radius = _integer("radius_m", 1, None)
    if radius is not None and radius > HALF_CIRCUMFERENCE_M:
        radius = None  # a circle larger than the Earth: no radius at all
    amenities = request.args.getlist("amenity")
    unknown = [a for a in amenities if a not in AMENITIES]
    if unknown:
        raise InvalidInput(
            _("Unknown amenity: %(codes)s. Known: %(known)s.", codes=", ".join(unknown), known=", ".join(AMENITIES))
        )
    stations = services.nearby_summaries(
        lat, lng, limit=limit, amenities=amenities, open_now=_flag("open_now"), radius_m=radius
    )
    return jsonify(stations=stations)


@bp.route("/aid/check")
def aid_check():
    """能申请吗？ The hardship aid self-check as JSON (amounts in yuan; nothing is stored).

    ``household_size``, ``annual_income``, ``essential_spending`` (required), ``medical_spending``
    (the self-paid medical part of it, default 0), ``region`` (a county-level division code),
    ``area`` (urban | rural, default urban), ``migrant`` (1 | 0) and ``months_employed``.
    Bad input: 400 with ``reasons``, every problem found, not just the first.
    """
    from portal.aid import services as aid

    problems, values = [], {}

    def take(name, parse):
        try:
            values[name] = parse()
        except InvalidInput as exc:
            problems.append(str(exc.message))

    take("size", lambda: parse_int(request.args.get("household_size"), low=1, high=30, label="household_size"))
    take("income", lambda: parse_money(request.args.get("annual_income"), label="annual_income"))
    take("essential", lambda: parse_money(request.args.get("essential_spending"), label="essential_spending"))
    take(
        "medical",
        lambda: parse_money(request.args.get("medical_spending"), label="medical_spending", blank_is_zero=True),
    )
    take("migrant", lambda: _flag("migrant"))
    take(
        "months",
        lambda: (
            parse_int(request.args.get("months_employed"), low=0, high=600, label="months_employed")
            if request.args.get("months_employed")
            else None
        ),
    )
    region = (request.args.get("region") or "").strip()
    area = (request.args.get("area") or "urban").strip()
    if not region:
        problems.append(_("The parameter %(name)s is required.", name="region"))
    if area not in ("urban", "rural"):
        problems.append(_("%(name)s must be urban or rural.", name="area"))
    if not problems:
        try:
            result = aid.self_check(
                size=values["size"],
                annual_income=values["income"],
                essential_spending=values["essential"],
                medical_spending=values["medical"],
                region_code=region,
                area=area,
                migrant=values["migrant"],
                months_employed=values["months"],
            )
        except InvalidInput as exc:
            problems.append(str(exc.message))
    if problems:
        return jsonify(error=problems[0], reasons=problems), 400
    outcome = result.outcome
    shares = aid.shares()
    texts = {
        "deep": _("Below the minimum living standard per person."),
        "relative": _("Below %(times)s times the minimum living standard per person.", times=shares["times"]),
        "accident": _("Essential spending above %(share)s of the year's income.", share=shares["accident"]),
    }
    return jsonify(
        category=outcome.category,
        per_capita_monthly=str(outcome.per_capita_monthly),
        standard=str(outcome.standard),
        standard_is_demo=result.standard.is_demo,
        reasons=[texts[r] for r in outcome.reasons],
        reason_codes=list(outcome.reasons),
        suggest_insurance=outcome.suggest_insurance,
        eligible=outcome.eligible,
        unmet=list(outcome.unmet),
    )


@bp.route("/insurance/plans")
def insurance_plans():
    """The mutual medical insurance plans, with their rules as data."""
    from portal.insurance import estimates, services

    return jsonify(plans=[estimates.plan_summary(plan) for plan in services.plans()])


@bp.route("/insurance/plans/<code>/estimate")
def insurance_estimate(code: str):
    """What a claim would pay, line by line (nothing is stored).

    ``eligible_amount`` (yuan, required for plans that pay a share), ``paid_this_year`` (what the
    plan has already paid the member this plan year, default 0), ``diagnosis`` (lump-sum plans: one
    of the plan's diseases). Bad input: 400 with ``reasons``; an unknown plan: 404."""
    from portal.insurance import estimates, rules

    code, plan_rules = estimates.rules_by_code(code)
    problems, values = [], {}

    def take(name, parse):
        try:
            values[name] = parse()
        except InvalidInput as exc:
            problems.append(str(exc.message))

    lump_sum = plan_rules.benefit == "lump_sum"
    take(
        "eligible",
        lambda: parse_money(request.args.get("eligible_amount"), label="eligible_amount", blank_is_zero=lump_sum),
    )
    take(
        "paid",
        lambda: parse_money(request.args.get("paid_this_year"), label="paid_this_year", blank_is_zero=True),
    )
    diagnosis = (request.args.get("diagnosis") or "").strip() or None
    if lump_sum and diagnosis is None:
        problems.append(_("The parameter %(name)s is required.", name="diagnosis"))
    if problems:
        return jsonify(error=problems[0], reasons=problems), 400
    estimate = rules.estimate(plan_rules, values["eligible"], values["paid"], diagnosis=diagnosis)
    return jsonify(estimates.estimate_json(code, estimate))
