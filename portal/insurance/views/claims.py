"""The member's claims: making one (details, then photos of the papers, then sending it), replying
when the union asks for more, withdrawing, and reading the payout with its calculation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.core import files, workflow
from portal.core.errors import DomainError
from portal.core.forms import ConfirmForm, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.time import local_today
from portal.core.validators import parse_money
from portal.core.web import commit_action
from portal.insurance import claims, estimates, payouts
from portal.insurance.forms import ClaimForm, ClaimReplyForm
from portal.insurance.models import InsuranceClaim
from portal.insurance.views.blueprint import bp

KINDS = ("insurance_claim",)


def _load_own(public_id: str) -> InsuranceClaim:
    return workflow.load_for_applicant(public_id, current_user, KINDS)


def _details(form: ClaimForm) -> claims.ClaimDetails:
    return claims.ClaimDetails(
        started_on=form.started_on.data,
        ended_on=form.ended_on.data,
        hospital=form.hospital.data or "",
        diagnosis=form.diagnosis.data or "",
        total_cost=parse_money(form.total_cost.data, blank_is_zero=True),
        public_paid=parse_money(form.public_paid.data, blank_is_zero=True),
        serious_paid=parse_money(form.serious_paid.data, blank_is_zero=True),
        excluded=parse_money(form.excluded.data, blank_is_zero=True),
        invoices=claims.parse_invoices(form.invoices.data),
    )


def _preview(enrolment, form: ClaimForm):
    """What the figures typed would pay (the form's preview step: no JavaScript needed)."""
    from portal.insurance import rules

    try:
        d = _details(form)
        eligible = rules.eligible_amount(d.total_cost, d.public_paid, d.serious_paid, d.excluded)
    except (DomainError, ValueError):
        return None
    diagnosis = d.diagnosis.strip() or None
    estimate = rules.estimate(enrolment.plan.rules, eligible, enrolment.paid_this_year, diagnosis=diagnosis)
    return estimate, estimates.estimate_lines(estimate)


@bp.route("/claims/new", methods=["GET", "POST"])
@login_required
@form_view
def new_claim():
    """A claim on a cover the member holds (``?cover=`` its enrolment): the details, with a preview
    of the payout ("算一算"), then saved as a draft to add the papers."""
    enrolment = claims.enrolment_for_claim(current_user, request.values.get("cover"))
    form = ClaimForm()
    preview = None
    if form.validate_on_submit():
        if request.form.get("step") == "preview":
            preview = _preview(enrolment, form)
        else:
            claim = save_form(form, lambda: claims.draft_claim(current_user, enrolment, _details(form), local_today()))
            if claim:
                flash(_("Saved. Now add photos of the invoices and the hospital's papers."), "success")
                return redirect(url_for("insurance.claim", public_id=claim.public_id, _anchor="documents"), code=303)
    return render_form(
        "insurance/claim_form.html",
        form,
        title=_("Claim"),
        enrolment=enrolment,
        event=claims.event_of(enrolment.plan),
        preview=preview,
    )


def _claim_page(claim: InsuranceClaim, *, reply_form=None, upload_error: str | None = None, status=200):
    return render_template(
        "insurance/claim.html",
        title=_("My claim"),
        claim=claim,
        timeline=workflow.timeline(claim),
        documents=files.files_of(claim, purpose="document"),
        editable=claims.editable(claim),
        form=reply_form or ClaimReplyForm(),
        lines=estimates.estimate_lines_of(payouts.calculation_lines(claim)) if claim.calculation_json else [],
        upload_error=upload_error,
    ), status


@bp.route("/claims/<public_id>")
@login_required
def claim(public_id: str):
    return _claim_page(_load_own(public_id))


@bp.route("/claims/<public_id>/documents", methods=["POST"])
@login_required
@files.allow_large_upload
def claim_upload(public_id: str):
    claim = _load_own(public_id)
    if not claims.editable(claim):
        return redirect(url_for("insurance.claim", public_id=public_id), code=303)
    chosen = [f for f in request.files.getlist("files") if f and f.filename]
    if not chosen:
        return _claim_page(claim, upload_error=_("Please choose a photo or a PDF first."), status=422)
    try:
        files.commit_with_uploads(
            chosen, lambda prepared: claims.add_documents(_load_own(public_id), current_user, prepared)
        )
    except DomainError as exc:
        return _claim_page(claim, upload_error=str(exc.message), status=exc.status_code)
    flash(_("%(num)d file(s) added.", num=len(chosen)), "success")
    return redirect(url_for("insurance.claim", public_id=public_id, _anchor="documents"), code=303)


@bp.route("/claims/<public_id>/documents/<file_id>")
@login_required
def claim_document(public_id: str, file_id: str):
    stored = files.load_file(_load_own(public_id), file_id)
    return files.send(stored, current_user, thumbnail=request.args.get("size") == "thumb")


@bp.route("/claims/<public_id>/submit", methods=["POST"])
@login_required
def submit_claim(public_id: str):
    claim = _load_own(public_id)
    try:
        commit_action(lambda: claims.submit_claim(_load_own(public_id), current_user))
    except DomainError as exc:
        return _claim_page(claim, upload_error=str(exc.message), status=exc.status_code)
    flash(_("Your claim was sent to your union."), "success")
    return redirect(url_for("insurance.claim", public_id=public_id), code=303)


@bp.route("/claims/<public_id>/reply", methods=["POST"])
@login_required
@form_view
def claim_reply(public_id: str):
    claim = _load_own(public_id)
    form = ClaimReplyForm()
    if form.validate_on_submit() and save_form(
        form, lambda: workflow.resubmit(claim, current_user, reply=form.reply.data)
    ):
        flash(_("Your reply has been sent to the union."), "success")
        return redirect(url_for("insurance.claim", public_id=public_id), code=303)
    return _claim_page(claim, reply_form=form, status=400 if form.csrf_failed else 422)


@bp.route("/claims/<public_id>/withdraw", methods=["GET", "POST"])
@login_required
@form_view
def withdraw_claim(public_id: str):
    claim = _load_own(public_id)
    form = ConfirmForm()
    if form.validate_on_submit() and save_form(form, lambda: workflow.withdraw(claim, current_user)):
        flash(_("Your claim was withdrawn."), "success")
        return redirect(url_for("insurance.index"), code=303)
    return render_form("insurance/claim_withdraw.html", form, title=_("Withdraw this claim?"), claim=claim)
