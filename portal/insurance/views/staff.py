"""The staff's side of mutual medical insurance: contributions to confirm, the claim's part of the
review page and the county's approval of a payout, enrolling members (ticked from the roster or from
a spreadsheet) and the roster's export."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import files, workflow
from portal.core.errors import DomainError, NotFound
from portal.core.exports import xlsx_response
from portal.core.forms import ConfirmForm, form_view, render_form, save_form
from portal.core.i18n import fmt_money
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.time import local_today
from portal.core.validators import InvalidInput, parse_int
from portal.core.web import MAX_DB_INTEGER, commit_action, page_arg
from portal.insurance import estimates, payouts, roster, rules, services, spreadsheets
from portal.insurance.forms import ConfirmPaymentForm, PayoutForm
from portal.insurance.models import InsuranceClaim
from portal.insurance.views.blueprint import bp
from portal.membership.choices import EMPLOYMENT_TYPES

staff_only = require_role("staff", "admin")


@bp.route("/staff/payments")
@staff_only
def staff_payments():
    pagination = services.pending_payments(current_user, page=page_arg())
    return render_template("insurance/staff_payments.html", title=_("Contributions to confirm"), pagination=pagination)


@bp.route("/staff/enrolments/<public_id>/confirm", methods=["GET", "POST"])
@staff_only
@form_view
def confirm_payment(public_id: str):
    enrolment = services.load_enrolment_for_staff(public_id, current_user)
    form = ConfirmPaymentForm()
    if form.validate_on_submit() and save_form(
        form, lambda: services.confirm_payment(enrolment, current_user, reference=form.reference.data or "")
    ):
        flash(_("Contribution confirmed: %(name)s is covered.", name=enrolment.user.name), "success")
        return redirect(url_for("insurance.staff_payments"), code=303)
    return render_form("insurance/staff_confirm.html", form, title=_("Confirm the contribution"), enrolment=enrolment)


# --- Claims on the staff review page -----------------------------------------------------------------


def _load_claim(public_id: str) -> InsuranceClaim:
    claim = workflow.load_for_reviewer(public_id, current_user)
    if not isinstance(claim, InsuranceClaim):
        raise NotFound()
    return claim


def claim_context(claim) -> dict:
    """What the claim partial of the staff review page shows (``ApplicationKind.detail_context``):
    the papers, and at the county's stage the payout as it would be approved now."""
    estimate = rules.estimate(
        claim.plan.rules, claim.eligible_amount, claim.enrolment.paid_this_year, diagnosis=claim.diagnosis or None
    )
    return {
        "documents": files.files_of(claim, purpose="document"),
        "now_estimate": estimate,
        "now_lines": estimates.estimate_lines(estimate),
        "paid_lines": estimates.estimate_lines_of(payouts.calculation_lines(claim)) if claim.calculation_json else [],
        "payout_form": PayoutForm(formdata=None, paid_on=local_today(), method="bank"),
    }


@bp.route("/staff/claims/<public_id>/approve", methods=["POST"])
@staff_only
@form_view
def approve_claim(public_id: str):
    """The county union approves the payout, worked out again now, and records the payment."""
    from portal.staff.views import review_page  # the staff package imports the kinds' views

    claim = _load_claim(public_id)
    form = PayoutForm()
    if form.validate_on_submit():
        payment = payouts.Payment(form.paid_on.data, form.method.data, form.reference.data or "")
        if save_form(form, lambda: payouts.approve_payout(claim, current_user, payment)):
            flash(
                _("Approved: %(amount)s paid to %(name)s.", amount=fmt_money(claim.payout), name=claim.applicant.name),
                "success",
            )
            return redirect(url_for("staff.reviews"), code=303)
    return review_page(claim, payout_form=form, status=400 if form.csrf_failed else (form.domain_status or 422))


@bp.route("/staff/claims/<public_id>/documents/<file_id>")
@staff_only
def staff_claim_document(public_id: str, file_id: str):
    """A claim's paper, for a reviewer whose scope holds it (each view is logged)."""
    stored = files.load_file(_load_claim(public_id), file_id)
    return files.send(stored, current_user, thumbnail=request.args.get("size") == "thumb")


# --- Enrolling members in bulk, the roster's export ---------------------------------------------------


def _member_ids(values) -> list[int]:
    """The ticked members' ids (ASCII digits only; anything else is no member)."""
    ids = []
    for value in values:
        try:
            ids.append(parse_int(value, low=1, high=MAX_DB_INTEGER))
        except InvalidInput:
            continue
    return ids


@bp.route("/staff/enrol", methods=["GET", "POST"])
@staff_only
@form_view
def staff_enrol():
    """The roster of a plan: members of the staff member's unions, filtered (union, occupation,
    enrolled or not), ticked and enrolled in one go, paid by the union or by each member."""
    plan = services.plan_for_staff(request.values.get("plan"))
    if plan is None:  # no plan yet that members enrol in
        return render_template("insurance/staff_enrol.html", title=_("Enrol members"), plan=None)
    form = ConfirmForm()
    result = None
    if request.method == "POST" and form.validate_on_submit():
        ids = _member_ids(request.form.getlist("ids"))
        paid_by = request.form.get("paid_by") if request.form.get("paid_by") in ("union", "self") else "union"
        try:
            result = commit_action(lambda: roster.bulk_enrol(current_user, plan, ids, paid_by=paid_by))
        except DomainError as exc:
            form.add_error(exc)
        if result is not None:
            flash(_("%(num)d enrolled.", num=len(result.enrolled)), "success")
    filters = {
        "union_code": request.args.get("union") or None,
        "occupation": request.args.get("occupation") if request.args.get("occupation") in EMPLOYMENT_TYPES else None,
        "enrolled": request.args.get("enrolled") if request.args.get("enrolled") in ("yes", "no") else None,
    }
    rows, total = roster.roster(current_user, plan, page=page_arg(), **filters)
    status = 400 if form.csrf_failed else (422 if form.has_errors else 200)
    return render_template(
        "insurance/staff_enrol.html",
        title=_("Enrol members"),
        plan=plan,
        plans=[p for p in services.plans() if p.given_with != "membership"],
        rows=rows,
        total=total,
        page=page_arg(),
        per_page=50,
        filters=filters,
        occupations=EMPLOYMENT_TYPES,
        form=form,
        result=result,
    ), status


@bp.route("/staff/import", methods=["GET", "POST"])
@staff_only
@form_view
def staff_import():
    """Enrol from an .xlsx: errors by row; all or nothing when asked (then nobody is enrolled)."""
    form = ConfirmForm()
    result, error, status = None, None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if not form.validate_on_submit():
            status = 400
        elif upload is None or not upload.filename:
            error, status = _("Please choose an .xlsx file."), 422
        else:
            all_or_nothing = request.form.get("all_or_nothing") == "1"
            try:
                result = commit_action(
                    lambda: spreadsheets.import_xlsx(current_user, upload.stream, all_or_nothing=all_or_nothing)
                )
            except spreadsheets.ImportRefused as exc:
                result = exc.result
            except DomainError as exc:
                error, status = str(exc.message), exc.status_code
            if result is not None and result.error_count:
                status = 422
    return render_template(
        "insurance/staff_import.html", title=_("Enrol from a spreadsheet"), form=form, result=result, error=error
    ), status


@bp.route("/staff/roster.xlsx")
@staff_only
def staff_roster_export():
    """The plan's roster in the staff member's unions, with contributions (masked ID numbers)."""
    plan = services.plan_for_staff(request.args.get("plan"))
    if plan is None:
        raise NotFound()
    rows = spreadsheets.export_rows(current_user, plan)
    return xlsx_response(f"{plan.code}-roster.xlsx", spreadsheets.EXPORT_COLUMNS, rows)
