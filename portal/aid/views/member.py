"""The member's side of hardship aid: the aid home page, applying (drafts kept), documents, sending,
replying to the union, withdrawing, and the case file with its payments."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.aid.forms import ApplyForm, ReplyForm
from portal.aid.models import AidApplication
from portal.aid.services import applications, casefiles, notices
from portal.aid.views.blueprint import bp
from portal.aid.views.check import region_choices
from portal.core import files, workflow
from portal.core.errors import DomainError
from portal.core.forms import ConfirmForm, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.validators import parse_int, parse_money
from portal.core.web import commit_action

KINDS = ("aid",)


def _load_own(public_id: str) -> AidApplication:
    return workflow.load_for_applicant(public_id, current_user, KINDS)


@bp.route("")
def index():
    """困难帮扶: what it is, the self-check, the member's applications and case files, the notices."""
    context = {"applications": [], "cases": [], "open_application": None, "is_member": False}
    if current_user.is_authenticated:
        context["applications"] = applications.applications_of(current_user)
        context["cases"] = casefiles.cases_of_household(current_user)
        context["open_application"] = applications.open_application(current_user)
        try:
            applications.membership_for_applying(current_user)
            context["is_member"] = True
        except DomainError:
            pass
    return render_template("aid/index.html", title=_("Hardship aid"), **context)


# --- The application form ------------------------------------------------------------------------


def _details(form: ApplyForm) -> applications.AidDetails:
    """The form's text as the service's numbers (the form's validators have checked each field)."""
    rows = [
        applications.MemberRow(
            relation=row.relation.data,
            name=row.name.data or "",
            age=parse_int(row.age.data, low=0, high=130) if row.age.data else 0,
            health=row.health.data,
            occupation=row.occupation.data or "",
            monthly_income=parse_money(row.monthly_income.data, blank_is_zero=True),
        )
        for row in form.member_rows()
    ]
    medical = parse_money(form.medical_spending.data, blank_is_zero=True)
    essential = (
        medical
        + parse_money(form.education_spending.data, blank_is_zero=True)
        + parse_money(form.disaster_spending.data, blank_is_zero=True)
    )
    return applications.AidDetails(
        region_code=form.region.data or "",
        area=form.area.data if form.area.data in ("urban", "rural") else "urban",
        members=rows,
        essential_spending=essential,
        medical_spending=medical,
        main_cause=form.main_cause.data,
        secondary_causes=list(form.secondary_causes.data or []),
        account=form.account.data or "",
        help_type=form.help_type.data,
        amount_requested=parse_money(form.amount_requested.data, blank_is_zero=True),
        bank_name=form.bank_name.data or "",
        bank_account=form.bank_account.data or None,
        finance_consent=bool(form.finance_consent.data),
    )


def _fill(form: ApplyForm, application: AidApplication) -> None:
    form.region.data = application.region_code
    form.area.data = application.area
    while len(form.members.entries):
        form.members.pop_entry()
    for member in application.members:
        form.members.append_entry(
            {
                "relation": member.relation,
                "name": member.name,
                "age": str(member.age),
                "health": member.health,
                "occupation": member.occupation,
                "monthly_income": f"{member.monthly_income:f}" if member.monthly_income else "",
            }
        )
    form.medical_spending.data = f"{application.medical_spending:f}" if application.medical_spending else ""
    rest = application.essential_spending - application.medical_spending
    form.education_spending.data = f"{rest:f}" if rest else ""
    form.main_cause.data = application.main_cause
    form.secondary_causes.data = application.secondary_cause_list
    form.account.data = application.account
    form.help_type.data = application.help_type
    form.amount_requested.data = f"{application.amount_requested:f}" if application.amount_requested else ""
    form.bank_name.data = application.bank_name
    form.finance_consent.data = application.finance_consent_at is not None


def _apply_page(form: ApplyForm, application: AidApplication | None):
    return render_form(
        "aid/apply.html",
        form,
        title=_("Apply for hardship aid"),
        application=application,
    )


def _form_view(application: AidApplication | None):
    form = ApplyForm()
    form.region.choices = region_choices()
    if request.method == "GET":
        if application is not None:
            _fill(form, application)
        else:
            form.members[0].form.relation.data = "self"
            form.members[0].form.name.data = current_user.name
        return _apply_page(form, application)
    if request.form.get("add_member") and len(form.members.entries) < form.members.max_entries:
        form.members.append_entry()  # a row more, without JavaScript; nothing is saved yet
        return _apply_page(form, application)
    if form.validate_on_submit():
        saved = save_form(form, lambda: applications.save_draft(current_user, _details(form), application=application))
        if saved:
            flash(_("Saved. Add your documents, then send the application."), "success")
            return redirect(url_for("aid.application", public_id=saved.public_id, _anchor="documents"), code=303)
    return _apply_page(form, application)


@bp.route("/apply", methods=["GET", "POST"])
@login_required
@form_view
def apply():
    try:
        applications.membership_for_applying(current_user)
    except DomainError:
        return redirect(url_for("aid.index"))
    current = applications.open_application(current_user)
    if current is not None:
        if current.status in applications.EDITABLE:
            return redirect(url_for("aid.edit", public_id=current.public_id))
        return redirect(url_for("aid.application", public_id=current.public_id))
    return _form_view(None)


@bp.route("/applications/<public_id>/edit", methods=["GET", "POST"])
@login_required
@form_view
def edit(public_id: str):
    application = _load_own(public_id)
    if application.status not in applications.EDITABLE:
        return redirect(url_for("aid.application", public_id=public_id))
    return _form_view(application)


# --- The application's page ------------------------------------------------------------------------


def _application_page(application: AidApplication, *, reply_form=None, upload_error: str | None = None, status=200):
    case = casefiles.case_of(application) if application.status == "approved" else None
    return render_template(
        "aid/application.html",
        title=_("My hardship aid application"),
        application=application,
        timeline=workflow.timeline(application),
        documents=files.files_of(application, purpose="document"),
        missing=applications.missing_for_submission(application) if application.status == "draft" else [],
        editable=applications.documents_open(application),
        form=reply_form or ReplyForm(),
        case=case,
        totals=casefiles.totals_by_year(case) if case else [],
        upload_error=upload_error,
        masked_name=notices.masked_name,
    ), status


@bp.route("/applications/<public_id>")
@login_required
def application(public_id: str):
    return _application_page(_load_own(public_id))


@bp.route("/applications/<public_id>/documents", methods=["POST"])
@login_required
@files.allow_large_upload
def upload(public_id: str):
    """Add documents while the application is a draft or the union asked for more."""
    application = _load_own(public_id)
    if not applications.documents_open(application):
        return redirect(url_for("aid.application", public_id=public_id), code=303)
    chosen = [f for f in request.files.getlist("files") if f and f.filename]
    if not chosen:
        return _application_page(application, upload_error=_("Please choose a photo or a PDF first."), status=422)

    def add(prepared):
        # loaded again, in the writing transaction: it may have been sent meanwhile
        applications.add_documents(_load_own(public_id), current_user, prepared)

    try:
        files.commit_with_uploads(chosen, add)  # sniffing, re-encoding, sealing outside the write lock
    except DomainError as exc:
        return _application_page(application, upload_error=str(exc.message), status=exc.status_code)
    flash(_("%(num)d file(s) added.", num=len(chosen)), "success")
    return redirect(url_for("aid.application", public_id=public_id, _anchor="documents"), code=303)


@bp.route("/applications/<public_id>/documents/<file_id>")
@login_required
def document(public_id: str, file_id: str):
    application = _load_own(public_id)
    stored = files.load_file(application, file_id)
    return files.send(stored, current_user, thumbnail=request.args.get("size") == "thumb")


@bp.route("/applications/<public_id>/documents/<file_id>/delete", methods=["POST"])
@login_required
def delete_document(public_id: str, file_id: str):
    application = _load_own(public_id)
    if applications.documents_open(application):
        commit_action(lambda: applications.remove_document(application, current_user, file_id))
        flash(_("The file was removed."), "success")
    return redirect(url_for("aid.application", public_id=public_id, _anchor="documents"), code=303)


@bp.route("/applications/<public_id>/submit", methods=["POST"])
@login_required
def submit(public_id: str):
    application = _load_own(public_id)
    try:
        commit_action(lambda: applications.submit(application, current_user))
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("aid.application", public_id=public_id), code=303)
    flash(_("Your application has been sent to your union."), "success")
    return redirect(url_for("aid.application", public_id=public_id), code=303)


@bp.route("/applications/<public_id>/reply", methods=["POST"])
@login_required
@form_view
def reply(public_id: str):
    """The member answers the union's request for more information (new documents go in first)."""
    application = _load_own(public_id)
    form = ReplyForm()
    if form.validate_on_submit() and save_form(
        form, lambda: workflow.resubmit(application, current_user, reply=form.reply.data)
    ):
        flash(_("Your reply has been sent to the union."), "success")
        return redirect(url_for("aid.application", public_id=public_id), code=303)
    return _application_page(application, reply_form=form, status=400 if form.csrf_failed else 422)


@bp.route("/applications/<public_id>/withdraw", methods=["GET", "POST"])
@login_required
@form_view
def withdraw(public_id: str):
    application = _load_own(public_id)
    form = ConfirmForm()
    if form.validate_on_submit() and save_form(form, lambda: workflow.withdraw(application, current_user)):
        flash(_("Your application was withdrawn."), "success")
        return redirect(url_for("aid.index"), code=303)
    return render_form("aid/withdraw.html", form, title=_("Withdraw this application?"), application=application)


@bp.route("/cases/<public_id>")
@login_required
def my_case(public_id: str):
    case = casefiles.load_for_household(public_id, current_user)
    return redirect(url_for("aid.application", public_id=case.application.public_id, _anchor="case"))
