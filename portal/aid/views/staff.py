"""Union staff on hardship aid: the review page's aid part (documents, home visits, the
recommendation and the county approval) and case files (payments, yearly re-check, 撤档).

Every application and case file is loaded through the staff member's scope (404 outside it); what
they may do at a stage is ``workflow.allowed_actions`` — the same answer the buttons show."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.aid.forms import CloseForm, FiguresForm, PaymentForm, VisitForm
from portal.aid.models import AidApplication
from portal.aid.services import casefiles, review, standard_for
from portal.aid.views.blueprint import bp
from portal.core import files, workflow
from portal.core.errors import DomainError, NotFound
from portal.core.forms import form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.time import local_today
from portal.core.validators import parse_money
from portal.core.web import page_arg
from portal.unions import services as unions

staff_only = require_role("staff", "admin")


def _figures_form(application: AidApplication) -> FiguresForm:
    form = FiguresForm(formdata=None)
    if application.stage == review.COUNTY_APPROVAL:
        form.category.data = application.approved_category or application.recommended_category
        amount = application.approved_amount or application.recommended_amount
    else:
        form.category.data = application.recommended_category or application.assessed_category
        amount = application.recommended_amount or application.amount_requested
    form.amount.data = f"{amount:f}" if amount else ""
    return form


def detail_context(application: AidApplication) -> dict:
    """What the aid partial of the staff review page shows (``ApplicationKind.detail_context``)."""
    standard = standard_for(application.region_code, application.area)
    return {
        "documents": files.files_of(application, purpose="document"),
        "visit_photos": files.files_of(application, purpose="visit_photo"),
        "visits": application.visits,
        "may_visit": review.may_record_visit(application, current_user),
        "visit_form": VisitForm(formdata=None, visited_on=local_today()),
        "figures_form": _figures_form(application),
        "standard": standard,
        "case": casefiles.case_of(application) if application.status == "approved" else None,
    }


def _load(public_id: str) -> AidApplication:
    application = workflow.load_for_reviewer(public_id, current_user)
    if not isinstance(application, AidApplication):
        raise NotFound()
    return application


def _review_page(application, **extra):
    from portal.staff.views import review_page

    status = extra.pop("status", 422)
    return review_page(application, status=status, **extra)


@bp.route("/staff/applications/<public_id>/visit", methods=["POST"])
@staff_only
@form_view
@files.allow_large_upload
def record_visit(public_id: str):
    """入户走访: the grassroots union records its visit to the household, with optional photos."""
    application = _load(public_id)
    form = VisitForm()
    if not form.validate_on_submit():
        return _review_page(application, visit_form=form, status=400 if form.csrf_failed else 422)
    photos = [f for f in request.files.getlist("photos") if f and f.filename]

    def record(prepared):
        visited = _load(public_id)  # again, in the writing transaction
        review.record_visit(
            visited,
            current_user,
            visited_on=form.visited_on.data,
            visitors=form.visitors.data,
            findings=form.findings.data,
        )
        for item in prepared:
            files.record_upload(item, owner=current_user, purpose="visit_photo", application=visited)

    try:
        files.commit_with_uploads(photos, record)  # photos are processed outside the write lock
    except DomainError as exc:
        form.add_error(exc)
        return _review_page(application, visit_form=form, status=exc.status_code)
    flash(_("The home visit was recorded."), "success")
    return redirect(url_for("staff.review", public_id=public_id, _anchor="visits"), code=303)


def _figures(public_id: str, decide, done_message: str):
    application = _load(public_id)
    form = FiguresForm()
    if form.validate_on_submit():
        amount = parse_money(form.amount.data)
        if save_form(
            form,
            lambda: decide(application, current_user, category=form.category.data, amount=amount, note=form.note.data),
        ):
            flash(done_message, "success")
            return redirect(url_for("staff.reviews"), code=303)
    return _review_page(application, figures_form=form, status=400 if form.csrf_failed else (form.domain_status or 422))


@bp.route("/staff/applications/<public_id>/recommend", methods=["POST"])
@staff_only
@form_view
def recommend(public_id: str):
    return _figures(public_id, review.recommend, _("Recommended and passed on to the county union."))


@bp.route("/staff/applications/<public_id>/approve", methods=["POST"])
@staff_only
@form_view
def approve(public_id: str):
    return _figures(public_id, review.approve, _("Approved. The case is now on public notice."))


@bp.route("/staff/applications/<public_id>/documents/<file_id>")
@staff_only
def staff_document(public_id: str, file_id: str):
    """A document or visit photo, for a reviewer whose scope holds the case (each view is logged)."""
    application = _load(public_id)
    stored = files.load_file(application, file_id)
    return files.send(stored, current_user, thumbnail=request.args.get("size") == "thumb")


# --- Case files -------------------------------------------------------------------------------------


@bp.route("/staff/cases")
@staff_only
def cases():
    due_only = request.args.get("due") == "1"
    status = request.args.get("status") if request.args.get("status") in ("open", "closed", "all") else "open"
    pagination = casefiles.cases_in_scope(
        current_user, status=None if status == "all" else status, due_only=due_only, page=page_arg()
    )
    return render_template(
        "aid/staff_cases.html",
        title=_("Case files"),
        pagination=pagination,
        due_only=due_only,
        status=status,
        due_count=casefiles.due_count(current_user),
        review_due=casefiles.review_due,
    )


def _case_page(case, *, payment_form=None, visit_form=None, close_form=None, status=200):
    payment_form = payment_form or PaymentForm(formdata=None, paid_on=local_today())
    return render_template(
        "aid/staff_case.html",
        title=_("Case file of %(name)s", name=case.household.name),
        case=case,
        union_path=unions.full_name(case.union),
        totals=casefiles.totals_by_year(case),
        visits=casefiles.visits_of(case),
        due=casefiles.review_due(case),
        payment_form=payment_form,
        visit_form=visit_form or VisitForm(formdata=None, visited_on=local_today()),
        close_form=close_form or CloseForm(formdata=None),
        form=payment_form,
    ), status


@bp.route("/staff/cases/<public_id>")
@staff_only
def case(public_id: str):
    return _case_page(casefiles.load_for_staff(public_id, current_user))


@bp.route("/staff/cases/<public_id>/payments", methods=["POST"])
@staff_only
@form_view
def record_payment(public_id: str):
    case = casefiles.load_for_staff(public_id, current_user)
    form = PaymentForm()
    if form.validate_on_submit():
        amount = parse_money(form.amount.data)
        if save_form(
            form,
            lambda: casefiles.record_payment(
                case,
                current_user,
                amount=amount,
                paid_on=form.paid_on.data,
                method=form.method.data,
                reference=form.reference.data,
            ),
        ):
            flash(_("The payment was recorded."), "success")
            return redirect(url_for("aid.case", public_id=public_id, _anchor="payments"), code=303)
    return _case_page(case, payment_form=form, status=400 if form.csrf_failed else (form.domain_status or 422))


@bp.route("/staff/cases/<public_id>/recheck", methods=["POST"])
@staff_only
@form_view
def recheck(public_id: str):
    case = casefiles.load_for_staff(public_id, current_user)
    form = VisitForm()
    if form.validate_on_submit() and save_form(
        form,
        lambda: casefiles.recheck(
            case,
            current_user,
            visited_on=form.visited_on.data,
            visitors=form.visitors.data,
            findings=form.findings.data,
        ),
    ):
        flash(_("The re-check was recorded; the file is valid for another 12 months."), "success")
        return redirect(url_for("aid.case", public_id=public_id), code=303)
    return _case_page(case, visit_form=form, status=400 if form.csrf_failed else (form.domain_status or 422))


@bp.route("/staff/cases/<public_id>/close", methods=["POST"])
@staff_only
@form_view
def close_case(public_id: str):
    case = casefiles.load_for_staff(public_id, current_user)
    form = CloseForm()
    if form.validate_on_submit():
        if form.confirmed.data != "yes":
            return render_form("aid/staff_case_close.html", form, title=_("Close this case file?"), case=case)
        if save_form(form, lambda: casefiles.close(case, current_user, reason=form.reason.data)):
            flash(_("The case file was closed."), "success")
            return redirect(url_for("aid.case", public_id=public_id), code=303)
    return _case_page(case, close_form=form, status=400 if form.csrf_failed else (form.domain_status or 422))
