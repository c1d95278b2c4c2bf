"""The staff's side of mutual medical insurance: contributions awaiting confirmation in their
part of the union tree, and confirming one (coverage starts then)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.core.forms import form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.web import page_arg
from portal.insurance import services
from portal.insurance.forms import ConfirmPaymentForm
from portal.insurance.views.blueprint import bp


@bp.route("/staff/payments")
@require_role("staff", "admin")
def staff_payments():
    pagination = services.pending_payments(current_user, page=page_arg())
    return render_template("insurance/staff_payments.html", title=_("Contributions to confirm"), pagination=pagination)


@bp.route("/staff/enrolments/<public_id>/confirm", methods=["GET", "POST"])
@require_role("staff", "admin")
@form_view
def confirm_payment(public_id: str):
    enrolment = services.load_enrolment_for_staff(public_id, current_user)
    form = ConfirmPaymentForm()
    if form.validate_on_submit() and save_form(
        form, lambda: services.confirm_payment(enrolment, current_user, reference=form.reference.data or "")
    ):
        flash(_("Contribution confirmed: %(name)s is covered.", name=enrolment.user.name), "success")
        return redirect(url_for("insurance.staff_payments"), code=303)
    return render_form(
        "insurance/staff_confirm.html", form, title=_("Confirm the contribution"), enrolment=enrolment
    )
