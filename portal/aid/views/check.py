"""Hardship aid pages: 能申请吗？ the self-check (anyone, no sign-in; nothing typed is stored)."""

from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from portal.aid import services
from portal.aid.forms import SelfCheckForm
from portal.aid.views.blueprint import bp
from portal.core.errors import DomainError
from portal.core.forms import form_view, grouped_choices
from portal.core.i18n import gettext as _
from portal.core.validators import parse_int, parse_money
from portal.unions import services as unions


def region_choices():
    with_standards = services.regions_with_standards()
    groups = [
        (city, [(code, name) for code, name in places if code in with_standards])
        for city, places in unions.places_by_city(value="region_code")
    ]
    return grouped_choices([g for g in groups if g[1]], _("— please choose —"))


def _is_member() -> bool:
    if not current_user.is_authenticated or "membership.index" not in current_app.view_functions:
        return False
    from portal.membership import services as membership

    card = membership.membership_of(current_user)
    return card is not None and card.is_active


@bp.route("/check", methods=["GET", "POST"])
@form_view
def check():
    """The form, and on sending it the outcome below it (POST: the figures stay out of URLs and logs)."""
    form = SelfCheckForm()
    form.region.choices = region_choices()
    result = None
    status = 200
    if form.validate_on_submit():
        size = parse_int(form.household_size.data)
        income = parse_money(form.income.data)
        if form.income_basis.data == "monthly":
            income = income * 12 * size
        medical = parse_money(form.medical_spending.data, blank_is_zero=True)
        essential = (
            medical
            + parse_money(form.education_spending.data, blank_is_zero=True)
            + parse_money(form.disaster_spending.data, blank_is_zero=True)
        )
        migrant = form.migrant.data == "yes"
        try:
            result = services.self_check(
                size=size,
                annual_income=income,
                essential_spending=essential,
                medical_spending=medical,
                region_code=form.region.data,
                area=form.area.data if form.area.data in ("urban", "rural") else "urban",
                migrant=migrant,
                months_employed=parse_int(form.months_employed.data) if form.months_employed.data else None,
            )
        except DomainError as exc:
            form.add_error(exc)
            status = 422
    elif form.is_submitted():
        status = 400 if form.csrf_failed else 422
    hospital_plan = None
    if result is not None and result.outcome.suggest_insurance and "insurance.plan" in current_app.view_functions:
        from portal.insurance.services import hospital_plan_now  # insurance installed: point to its plan

        hospital_plan = hospital_plan_now()
    return render_template(
        "aid/check.html",
        title=_("Can I apply for hardship aid?"),
        form=form,
        result=result,
        documents=services.documents_for(result.outcome.category) if result else [],
        is_member=_is_member(),
        shares=services.shares(),
        region_name=dict((c.value, c.label) for c in form.region.choices).get(form.region.data, ""),
        hospital_plan=hospital_plan,
    ), status
