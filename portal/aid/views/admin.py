"""Admins keep the 低保 standards that the self-check and the reviewers read."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from portal.aid.forms import StandardForm
from portal.aid.services import standards
from portal.aid.views.blueprint import bp
from portal.core.forms import form_view, grouped_choices, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.validators import parse_money
from portal.unions import services as unions


def _places():
    return grouped_choices(unions.places_by_city(value="region_code"), _("— please choose —"))


@bp.route("/admin/standards", methods=["GET", "POST"])
@require_role("admin")
@form_view
def admin_standards():
    form = StandardForm()
    form.region.choices = _places()
    names = {c.value: c.label for c in form.region.choices}
    region = (request.args.get("region") or "")[:12]
    if form.validate_on_submit():
        amount = parse_money(form.amount.data)
        if save_form(
            form,
            lambda: standards.add_standard(
                current_user,
                region_code=form.region.data,
                area=form.area.data,
                monthly_amount=amount,
                effective_from=form.effective_from.data,
            ),
        ):
            flash(_("The standard was added."), "success")
            return redirect(url_for("aid.admin_standards", region=form.region.data), code=303)
    return render_form(
        "aid/admin_standards.html",
        form,
        title=_("Minimum living standards (低保)"),
        rows=standards.standards_for(region or None),
        names=names,
        region=region,
    )
