"""The staff's side of mutual medical insurance: contributions awaiting confirmation in their
part of the union tree, and confirming one (coverage starts then)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.core.errors import DomainError
from portal.core.forms import form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.web import commit_action, page_arg
from portal.extensions import db
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


# --- Claims on the staff review page -----------------------------------------------------------------


def _load_claim(public_id: str):
    from portal.core import workflow
    from portal.core.errors import NotFound
    from portal.insurance.models import InsuranceClaim

    claim = workflow.load_for_reviewer(public_id, current_user)
    if not isinstance(claim, InsuranceClaim):
        raise NotFound()
    return claim


def claim_context(claim) -> dict:
    """What the claim partial of the staff review page shows (``ApplicationKind.detail_context``):
    the papers, and at the county's stage the payout as it would be approved now."""
    from portal.core import files
    from portal.core.time import local_today
    from portal.insurance import claims, rules
    from portal.insurance.forms import PayoutForm

    estimate = rules.estimate(
        claim.plan.rules, claim.eligible_amount, claim.enrolment.paid_this_year, diagnosis=claim.diagnosis or None
    )
    return {
        "documents": files.files_of(claim, purpose="document"),
        "now_estimate": estimate,
        "now_lines": services.estimate_lines(estimate),
        "paid_lines": services.estimate_lines_of(claims.calculation_lines(claim)) if claim.calculation_json else [],
        "payout_form": PayoutForm(formdata=None, paid_on=local_today(), method="bank"),
    }


@bp.route("/staff/claims/<public_id>/approve", methods=["POST"])
@require_role("staff", "admin")
@form_view
def approve_claim(public_id: str):
    """The county union approves the payout, worked out again now, and records the payment."""
    from portal.insurance import claims
    from portal.insurance.forms import PayoutForm
    from portal.staff.views import review_page

    claim = _load_claim(public_id)
    form = PayoutForm()
    if form.validate_on_submit():
        payment = claims.Payment(form.paid_on.data, form.method.data, form.reference.data or "")
        if save_form(form, lambda: claims.approve_payout(claim, current_user, payment)):
            flash(_("Approved: %(amount)s paid to %(name)s.", amount=_money(claim.payout), name=claim.applicant.name), "success")
            return redirect(url_for("staff.reviews"), code=303)
    return review_page(claim, payout_form=form, status=400 if form.csrf_failed else (form.domain_status or 422))


@bp.route("/staff/claims/<public_id>/documents/<file_id>")
@require_role("staff", "admin")
def staff_claim_document(public_id: str, file_id: str):
    """A claim's paper, for a reviewer whose scope holds it (each view is logged)."""
    from flask import request

    from portal.core import files

    stored = files.load_file(_load_claim(public_id), file_id)
    return files.send(stored, current_user, thumbnail=request.args.get("size") == "thumb")


def _money(amount) -> str:
    from portal.core.i18n import fmt_money

    return fmt_money(amount)


# --- Enrolling members in bulk, the roster's export ---------------------------------------------------


def _staff_plan(code: str | None):
    """The plan staff work on (``?plan=``), by default the first one open for enrolment today."""
    from portal.core.time import local_today

    if code:
        return services.plan_by_code(code)
    today = local_today()
    plans = [p for p in services.plans() if p.given_with != "membership"]
    return next((p for p in plans if p.open_for_enrolment(today)), plans[0] if plans else None)


@bp.route("/staff/enrol", methods=["GET", "POST"])
@require_role("staff", "admin")
@form_view
def staff_enrol():
    """The roster of a plan: members of the staff member's unions, filtered (union, occupation,
    enrolled or not), ticked and enrolled in one go, paid by the union or by each member."""
    from flask import request

    from portal.core.forms import ConfirmForm
    from portal.insurance import roster
    from portal.membership.choices import EMPLOYMENT_TYPES

    plan = _staff_plan(request.values.get("plan"))
    if plan is None:  # no plan yet that members enrol in
        return render_template("insurance/staff_enrol.html", title=_("Enrol members"), plan=None)
    form = ConfirmForm()
    result = None
    if request.method == "POST" and form.validate_on_submit():
        ids = [int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit() and len(i) < 12]
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
@require_role("staff", "admin")
@form_view
def staff_import():
    """Enrol from an .xlsx: errors by row; all or nothing when asked."""
    from flask import request

    from portal.core.forms import ConfirmForm
    from portal.insurance import roster

    form = ConfirmForm()
    result, error, status = None, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        else:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                error, status = _("Please choose an .xlsx file."), 422
            else:
                all_or_nothing = request.form.get("all_or_nothing") == "1"
                try:
                    result = roster.import_xlsx(current_user, upload.stream, all_or_nothing=all_or_nothing)
                    if result.applied:
                        db.session.commit()
                    else:
                        db.session.rollback()
                except DomainError as exc:
                    db.session.rollback()
                    error, status = str(exc.message), exc.status_code
                if result is not None and result.error_count:
                    status = 422
    return render_template(
        "insurance/staff_import.html", title=_("Enrol from a spreadsheet"), form=form, result=result, error=error
    ), status


@bp.route("/staff/roster.xlsx")
@require_role("staff", "admin")
def staff_roster_export():
    """The plan's roster in the staff member's unions, with contributions (masked ID numbers)."""
    from urllib.parse import quote

    from flask import Response, request

    from portal.insurance import roster

    plan = _staff_plan(request.args.get("plan"))
    if plan is None:
        from portal.core.errors import NotFound

        raise NotFound()
    body = roster.export_xlsx(current_user, plan)
    name = f"{plan.code}-roster.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"},
    )
