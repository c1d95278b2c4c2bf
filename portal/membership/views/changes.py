"""Changing a membership: transfer to another union, leave, change the real name or ID number."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from portal.core.forms import form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.membership import identity, services
from portal.membership.forms import IdentityChangeForm, LeaveForm, TransferForm
from portal.membership.views.blueprint import bp, is_member
from portal.membership.views.joining import chooser
from portal.unions import services as unions

# --- Transfer and leaving -----------------------------------------------------------------------------------


@bp.route("/membership/transfer")
@login_required
def transfer():
    if not is_member():
        return redirect(url_for("membership.index"))
    return chooser("transfer")


@bp.route("/membership/transfer/form", methods=["GET", "POST"])
@login_required
@form_view
def transfer_form():
    if not is_member():
        return redirect(url_for("membership.index"))
    form = TransferForm()
    membership = services.membership_of(current_user)
    if request.method == "GET":
        form.union_code.data = request.args.get("union", "")
    union = unions.find_by_code(form.union_code.data)
    if request.method == "GET" and union is not None and union.id == membership.union_id:
        form.union_code.errors = [_("You are already a member of this union; choose the union you are moving to.")]
        union = None
    if form.validate_on_submit():
        application = save_form(
            form,
            lambda: services.request_transfer(current_user, union_code=form.union_code.data, reason=form.reason.data),
        )
        if application:
            flash(_("Your transfer request has been sent to %(union)s.", union=application.union.name), "success")
            return redirect(url_for("membership.application", public_id=application.public_id), code=303)
    return render_form(
        "membership/transfer_form.html",
        form,
        title=_("Transfer to another union"),
        union=union,
        union_path=unions.full_name(union) if union else None,
        editing=None,
        membership=membership,
    )


@bp.route("/membership/leave", methods=["GET", "POST"])
@login_required
@form_view
def leave():
    if not is_member():
        return redirect(url_for("membership.index"))
    form = LeaveForm()
    if form.validate_on_submit() and save_form(form, lambda: services.leave(current_user, reason=form.reason.data)):
        flash(_("You have left the union. Your membership history is kept."), "info")
        return redirect(url_for("membership.index"), code=303)
    return render_form(
        "membership/leave.html",
        form,
        title=_("Leave the union"),
        membership=services.membership_of(current_user),
        pending=services.open_application(current_user),
    )


# --- Changing the real name or ID number once a member --------------------------------------------


@bp.route("/membership/identity", methods=["GET", "POST"])
@login_required
@form_view
def identity_change():
    """A member (or applicant) asks the union to change their real name or ID number."""
    pending = identity.open_request(current_user)
    if pending is not None:
        return redirect(url_for("membership.application", public_id=pending.public_id))
    if not identity.is_locked(current_user):
        return redirect(url_for("me.edit_profile"))
    form = IdentityChangeForm()
    if request.method == "GET":
        form.real_name.data = current_user.name
    if form.validate_on_submit():
        application = save_form(
            form,
            lambda: identity.request_change(
                current_user, real_name=form.real_name.data, id_number=form.id_number.data, reason=form.reason.data
            ),
        )
        if application:
            flash(_("Your request has been sent to %(union)s.", union=application.union.name), "success")
            return redirect(url_for("membership.application", public_id=application.public_id), code=303)
    return render_form(
        "membership/identity_form.html",
        form,
        title=_("Change my real name or ID number"),
        union=identity.reviewing_union(current_user),
    )
