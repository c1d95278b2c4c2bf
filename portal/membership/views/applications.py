"""Following an application: its page and timeline, replying to the union, correcting it, withdrawing."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from portal.core import workflow
from portal.core.forms import ConfirmForm, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.membership import identity, services
from portal.membership.forms import MembershipForm, ReplyForm, TransferForm
from portal.membership.views.blueprint import KINDS, bp
from portal.membership.views.joining import derived_from_id, prepare_form
from portal.unions import services as unions


def _application_page(app_, reply_form=None):
    return render_form(
        "membership/application.html",
        reply_form or ReplyForm(),
        title=_("My application"),
        application=app_,
        timeline=workflow.timeline(app_),
        union_path=unions.full_name(app_.union),
    )


@bp.route("/membership/applications/<public_id>")
@login_required
def application(public_id: str):
    return _application_page(workflow.load_for_applicant(public_id, current_user, KINDS))


@bp.route("/membership/applications/<public_id>/reply", methods=["POST"])
@login_required
@form_view
def reply(public_id: str):
    """The applicant answers the union's request for more information, without changing the form."""
    app_ = workflow.load_for_applicant(public_id, current_user, KINDS)
    form = ReplyForm()
    if form.validate_on_submit() and save_form(form, lambda: services.reply(app_, current_user, form.reply.data)):
        flash(_("Your reply has been sent to the union."), "success")
        return redirect(url_for("membership.application", public_id=public_id), code=303)
    return _application_page(app_, form)


@bp.route("/membership/applications/<public_id>/edit", methods=["GET", "POST"])
@login_required
@form_view
def edit_application(public_id: str):
    """Correct an application while more information is requested, and send it again."""
    app_ = workflow.load_for_applicant(public_id, current_user, KINDS)
    if app_.status != "needs_info":
        flash(_("This application can only be changed while more information is requested."), "error")
        return redirect(url_for("membership.application", public_id=public_id))
    if app_.kind == "transfer":
        return _edit_transfer(app_)
    if app_.kind != "membership":  # a change request is answered with a reply only
        return redirect(url_for("membership.application", public_id=public_id))
    form = MembershipForm(obj=app_ if request.method == "GET" else None)
    if request.method == "GET":
        form.union_code.data = request.args.get("union") or app_.union.code
        form.platform.data = app_.platform or ""
        form.political_status.data = app_.political_status or ""
        form.consent.data = True
    union, union_path = prepare_form(form, form.union_code.data)
    if form.validate_on_submit() and save_form(
        form, lambda: services.update_and_resubmit(app_, current_user, form.data_for_service(), reply=form.reply.data)
    ):
        flash(_("Your application has been sent again."), "success")
        return redirect(url_for("membership.application", public_id=public_id), code=303)
    return render_form(
        "membership/apply_form.html",
        form,
        title=_("Correct my application"),
        union=union,
        union_path=union_path,
        has_id=current_user.has_id_number,
        identity_locked=identity.is_locked(current_user),
        editing=app_,
        derived=derived_from_id(form),
    )


def _edit_transfer(app_):
    form = TransferForm(obj=app_ if request.method == "GET" else None)
    form.union_code.data = app_.union.code
    if form.validate_on_submit() and save_form(
        form,
        lambda: services.update_transfer_and_resubmit(
            app_, current_user, reason=form.reason.data, reply=form.reply.data
        ),
    ):
        flash(_("Your transfer request has been sent again."), "success")
        return redirect(url_for("membership.application", public_id=app_.public_id), code=303)
    return render_form(
        "membership/transfer_form.html",
        form,
        title=_("Correct my transfer request"),
        union=app_.union,
        union_path=unions.full_name(app_.union),
        editing=app_,
        membership=services.membership_of(current_user),
    )


@bp.route("/membership/applications/<public_id>/withdraw", methods=["GET", "POST"])
@login_required
@form_view
def withdraw(public_id: str):
    app_ = workflow.load_for_applicant(public_id, current_user, KINDS)
    form = ConfirmForm()
    if form.validate_on_submit() and save_form(form, lambda: workflow.withdraw(app_, current_user)):
        flash(_("Your application has been withdrawn."), "info")
        return redirect(url_for("membership.index"), code=303)
    return render_form("membership/withdraw.html", form, title=_("Withdraw the application"), application=app_)
