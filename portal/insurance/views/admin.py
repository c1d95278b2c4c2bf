"""The admin's plans: the list, a new plan, next year's version of one, edits (terms locked once
members are enrolled)."""

from __future__ import annotations

from dataclasses import replace

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.forms import form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.validators import InvalidInput, parse_int, parse_money
from portal.insurance import plans_admin, services
from portal.insurance.forms import PlanForm
from portal.insurance.views.blueprint import bp

admin_only = require_role("admin")


@bp.route("/admin/plans")
@admin_only
def admin_plans():
    plans = services.plans(active_only=False)
    counts = {plan.id: plans_admin.enrolled_count(plan) for plan in plans}
    return render_template("insurance/admin_plans.html", title=_("Insurance plans"), plans=plans, counts=counts)


def _fill(form: PlanForm, terms: plans_admin.PlanTerms) -> None:
    for name in plans_admin.PLAN_FIELDS:
        getattr(form, name).data = getattr(terms, name)
    form.plan_year.data = str(terms.plan_year)  # typed as text on the form
    form.contribution.data = f"{terms.contribution:f}"
    r = terms.rules
    form.benefit.data, form.sex.data = r.benefit, r.sex or ""
    form.deductible.data, form.annual_cap.data = f"{r.deductible:f}", f"{r.annual_cap:f}"
    form.lump_sum.data = f"{r.lump_sum:f}"
    form.bands.data = plans_admin.bands_text(r)
    form.diseases.data = "、".join(r.diseases)
    form.waiting_days.data, form.claim_days.data = str(r.waiting_days), str(r.claim_days)


def _terms(form: PlanForm, occupations: tuple[str, ...], extras: dict) -> plans_admin.PlanTerms:
    def money(field, name):
        return parse_money(field.data, label=str(field.label.text), blank_is_zero=True, field=name)

    def whole(field, name, default):
        return (
            parse_int(field.data, low=0, high=9999, label=str(field.label.text), field=name) if field.data else default
        )

    rules = plans_admin.make_rules(
        benefit=form.benefit.data if form.benefit.data in ("bands", "lump_sum") else "bands",
        deductible=money(form.deductible, "deductible"),
        bands=plans_admin.parse_bands(form.bands.data) if form.benefit.data != "lump_sum" else (),
        annual_cap=money(form.annual_cap, "annual_cap"),
        lump_sum=money(form.lump_sum, "lump_sum"),
        diseases=tuple(d for d in form.diseases.data.replace(",", "、").replace("，", "、").split("、") if d.strip())
        if form.diseases.data
        else (),
        waiting_days=whole(form.waiting_days, "waiting_days", 90),
        claim_days=whole(form.claim_days, "claim_days", 180),
        sex=form.sex.data if form.sex.data in ("F", "M") else None,
        occupations=occupations,
        extras=extras,
    )
    if form.benefit.data == "lump_sum" and rules.annual_cap == 0:
        rules = replace(rules, annual_cap=rules.lump_sum)
    return plans_admin.PlanTerms(
        code=form.code.data or "",
        family=form.family.data,
        plan_year=parse_int(
            form.plan_year.data, low=2000, high=2100, label=str(form.plan_year.label.text), field="plan_year"
        ),
        name=form.name.data or "",
        name_en=form.name_en.data or "",
        contribution=parse_money(
            form.contribution.data, label=str(form.contribution.label.text), blank_is_zero=True, field="contribution"
        ),
        coverage_start=form.coverage_start.data,
        coverage_end=form.coverage_end.data,
        enrol_from=form.enrol_from.data,
        enrol_until=form.enrol_until.data,
        given_with=form.given_with.data,
        is_active=bool(form.is_active.data),
        rules=rules,
    )


def _save(form: PlanForm, work) -> bool:
    try:
        return bool(save_form(form, work))
    except InvalidInput as exc:  # parsing the form's text into terms, before the service
        form.add_error(exc)
        return False


@bp.route("/admin/plans/new", methods=["GET", "POST"])
@admin_only
@form_view
def admin_new_plan():
    """A new plan; ``?from=CODE``: next year's version of that plan, its terms copied a year later."""
    source = services.plan_by_code(request.args["from"]) if request.args.get("from") else None
    form = PlanForm()
    if request.method == "GET":
        if source is not None:
            _fill(form, plans_admin.next_version(source))
        else:
            form.is_active.data, form.waiting_days.data, form.claim_days.data = True, "90", "180"
    keep = (source.rules.occupations, source.rules.extras) if source is not None else ((), {})
    if form.validate_on_submit() and _save(form, lambda: plans_admin.create_plan(_terms(form, *keep), current_user)):
        flash(_("Plan %(code)s saved.", code=(form.code.data or "").upper()), "success")
        return redirect(url_for("insurance.admin_plans"), code=303)
    return render_form("insurance/admin_plan_form.html", form, title=_("New plan"), plan=None, locked=False)


@bp.route("/admin/plans/<code>/edit", methods=["GET", "POST"])
@admin_only
@form_view
def admin_edit_plan(code: str):
    plan = services.plan_by_code(code)
    locked = plans_admin.enrolled_count(plan) > 0
    form = PlanForm()
    if request.method == "GET":
        _fill(form, plans_admin.terms_of(plan))
    if form.validate_on_submit() and _save(
        form,
        lambda: plans_admin.update_plan(plan, _terms(form, plan.rules.occupations, plan.rules.extras), current_user),
    ):
        flash(_("Plan %(code)s saved.", code=plan.code), "success")
        return redirect(url_for("insurance.admin_plans"), code=303)
    return render_form("insurance/admin_plan_form.html", form, title=plan.display_name, plan=plan, locked=locked)
