"""The member's side of mutual medical insurance: what they hold and may join (/insurance), a
plan's terms with an estimate that works without JavaScript, and enrolling."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.core.forms import form_view, render_form, save_form
from portal.core.i18n import fmt_money
from portal.core.i18n import gettext as _
from portal.core.time import local_today
from portal.core.validators import InvalidInput, parse_money
from portal.insurance import claims, estimates, rules, services
from portal.insurance.forms import EnrolForm
from portal.insurance.views.blueprint import bp


@bp.route("")
def index():
    """互助保障: the plans, as this person sees them — held, open to them, or not and why."""
    offers = services.offers(current_user) if current_user.is_authenticated else []
    plans = services.plans() if not current_user.is_authenticated else [o.plan for o in offers]
    held = [o for o in offers if o.enrolment is not None and o.enrolment.status != "cancelled"]
    open_to_me = [o for o in offers if o.may_enrol]
    others = [o for o in offers if o not in held and not o.may_enrol]
    my_claims = claims.claims_of(current_user) if current_user.is_authenticated else []
    return render_template(
        "insurance/index.html",
        title=_("Mutual medical insurance"),
        held=held,
        open_to_me=open_to_me,
        others=others,
        plans=plans,
        any_demo=any(plan.is_demo for plan in plans),
        my_claims=my_claims,
    )


def _estimate_from_args(plan):
    """The plan page's estimate, from its GET form: (values typed, estimate or None, errors)."""
    typed = {name: (request.args.get(name) or "").strip() for name in ("eligible_amount", "diagnosis")}
    if not any(typed.values()):
        return typed, None, []
    errors = []
    eligible = paid = None
    try:
        eligible = parse_money(
            typed["eligible_amount"], label=_("Eligible amount"), blank_is_zero=plan.rules.benefit == "lump_sum"
        )
    except InvalidInput as exc:
        errors.append(str(exc.message))
    enrolment = None
    if current_user.is_authenticated:
        enrolment = next((e for e in services.enrolments_of(current_user) if e.plan_id == plan.id), None)
    paid = enrolment.paid_this_year if enrolment is not None and enrolment.status == "active" else Decimal(0)
    if plan.rules.benefit == "lump_sum" and typed["diagnosis"] not in plan.rules.diseases:
        errors.append(_("Choose the diagnosis."))
    if errors:
        return typed, None, errors
    return typed, rules.estimate(plan.rules, eligible, paid, diagnosis=typed["diagnosis"] or None), []


@bp.route("/plans/<code>")
def plan(code: str):
    """A plan's terms in plain words, and what a hospital bill would pay (GET form: no JS needed)."""
    plan = services.plan_by_code(code)
    offer = None
    if current_user.is_authenticated:
        offer = next((o for o in services.offers(current_user) if o.plan.id == plan.id), None)
    typed, estimate, errors = _estimate_from_args(plan)
    return render_template(
        "insurance/plan.html",
        title=plan.display_name,
        plan=plan,
        offer=offer,
        typed=typed,
        estimate=estimate,
        lines=estimates.estimate_lines(estimate) if estimate else [],
        errors=errors,
        form=EnrolForm(),
    )


@bp.route("/plans/<code>/enrol", methods=["GET", "POST"])
@login_required
@form_view
def enrol(code: str):
    plan = services.plan_by_code(code)
    form = EnrolForm()
    if form.validate_on_submit() and save_form(form, lambda: services.enrol_self(current_user, plan, local_today())):
        if plan.contribution:
            flash(
                _(
                    "You are enrolled. Pay %(amount)s to your union; your cover starts when they confirm it.",
                    amount=fmt_money(plan.contribution),
                ),
                "success",
            )
        else:
            flash(_("You are enrolled and covered."), "success")
        return redirect(url_for("insurance.index"), code=303)
    offer = next((o for o in services.offers(current_user) if o.plan.id == plan.id), None)
    return render_form(
        "insurance/enrol.html", form, title=_("Join %(plan)s", plan=plan.display_name), plan=plan, offer=offer
    )
