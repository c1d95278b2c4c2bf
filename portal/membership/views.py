"""The worker's side of membership: choose a union, apply, follow the review, the card, transfer, leave."""

from __future__ import annotations

import secrets

import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.core import workflow
from portal.core.db import utcnow
from portal.core.forms import ConfirmForm, choices, form_view, grouped_choices, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, parse_id_number
from portal.membership import identity, services
from portal.membership.choices import EMPLOYMENT_TYPES
from portal.membership.forms import (
    ChooseUnionFilter,
    IdentityChangeForm,
    LeaveForm,
    MembershipForm,
    ReplyForm,
    TransferForm,
)
from portal.unions import services as unions

bp = Blueprint("membership", __name__)

KINDS = services.KINDS
CARD_REFRESH_SECONDS = 60  # how often an open card page fetches a fresh QR code (card.js); config may override

# What joining gives, as the join page tells it: only what this portal runs now. An entry shows
# once its module registers the endpoint, like the home tiles.
JOIN_BENEFITS = (
    ("membership.card", _l("An electronic member card: its QR code shows you are a member")),
    ("stations.index", _l("Rest stations nearby: drinking water, charging, a place to rest")),
    ("aid.index", _l("Hardship aid when times are hard")),
    ("aid.insurance", _l("Mutual medical cover")),
    ("libraries.index", _l("Worker libraries: book a visit or a book")),
    ("volunteering.index", _l("Volunteering activities")),
    ("membership.index", _l("Apply, transfer and follow every step online")),
)


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for QR codes: PUBLIC_BASE_URL when set, else the address of this request."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_svg(data: str, scale: int = 5) -> str:
    """A QR code as inline SVG (segno: no images, no JavaScript)."""
    return segno.make(data, error="m").svg_inline(scale=scale, dark="#1b1b1f", light="#ffffff", border=2, omitsize=True)


def _region_choices():
    return grouped_choices(unions.places_by_city(value="region_code"), _("— please choose —"))


# --- Overview -------------------------------------------------------------------------------------


@bp.route("/membership")
@login_required
def index():
    membership = services.membership_of(current_user)
    applications = services.applications_of(current_user)
    return render_template(
        "membership/index.html",
        title=_("Union membership"),
        membership=membership,
        union_path=unions.full_name(membership.union) if membership else None,
        open_application=next((a for a in applications if a.open_key == f"{services.GROUP}:{current_user.id}"), None),
        applications=applications,
    )


# --- Choosing a union ------------------------------------------------------------------------------


def _chooser(mode: str):
    form = ChooseUnionFilter(request.args)
    form.work_region_code.choices = _region_choices()
    form.employment_type.choices = choices([("", _("— please choose —"))] + list(EMPLOYMENT_TYPES.items()))
    region = request.args.get("work_region_code") or None
    work = request.args.get("employment_type") or None
    query = (request.args.get("q") or "")[:30]
    suggestions = services.suggest_unions(region_code=region, employment_type=work, query=query)
    if mode == "transfer":  # one cannot move to the union one is in: do not offer it
        membership = services.membership_of(current_user)
        suggestions = [s for s in suggestions if s.union.id != membership.union_id]
    searched = bool(region or query)
    return render_template(
        "membership/choose.html",
        title=_("Choose a union") if mode == "join" else _("Transfer to another union"),
        form=form,
        suggestions=suggestions,
        searched=searched,
        mode=mode,
        next_endpoint="membership.apply_form" if mode == "join" else "membership.transfer_form",
        carry={"work_region_code": region or "", "employment_type": work or ""},
    )


@bp.route("/membership/apply")
@login_required
def apply():
    if services.open_application(current_user) or _is_member():
        return redirect(url_for("membership.index"))
    return _chooser("join")


def _is_member() -> bool:
    membership = services.membership_of(current_user)
    return membership is not None and membership.is_active


@bp.route("/membership/join/<code>")
def join(code: str):
    """The poster entry. A visitor lands on the union's join page (which union, what it gives,
    three steps, one button to register); after registering or signing in they come back to the
    form with the union chosen. Someone signed in goes straight to the form."""
    union = unions.find_by_code(code)
    if union is None or not union.accepts_members:
        abort(404)
    target = url_for("membership.apply_form", union=union.code, work_region_code=union.region_code or "")
    if current_user.is_authenticated:
        return redirect(target)
    benefits = [text for endpoint, text in JOIN_BENEFITS if endpoint in current_app.view_functions][:4]
    return render_template(
        "membership/join.html",
        title=_("Join %(union)s", union=union.name),
        union=union,
        parent_path=unions.full_name(union.parent) if union.parent else "",
        benefits=benefits,
        register_url=url_for("auth.register", next=target),
        login_url=url_for("auth.login", next=target),
    )


@bp.route("/membership/join/<code>/qr.svg")
def join_qr(code: str):
    union = unions.find_by_code(code)
    if union is None or not union.accepts_members:
        abort(404)
    svg = segno.make(public_url("membership.join", code=union.code), error="m")
    from io import BytesIO

    out = BytesIO()
    svg.save(out, kind="svg", scale=10, border=2, title=union.name)
    return Response(
        out.getvalue(),
        mimetype="image/svg+xml",
        headers={"Content-Disposition": f'inline; filename="join-{union.code}.svg"'},
    )


# --- Applying ----------------------------------------------------------------------------------------


def _derived_from_id(form: MembershipForm):
    """Birth date and gender read back from a typed ID number, when it is valid."""
    if not form.id_number.data or form.id_number.errors:
        return None
    try:
        return parse_id_number(form.id_number.data)
    except InvalidInput:
        return None


def _prepare(form: MembershipForm, union_code: str | None):
    form.work_region_code.choices = _region_choices()
    if not current_user.has_id_number:
        form.id_number.flags.required = True  # the service requires it; the label says so
    union = unions.find_by_code(union_code)
    return union, unions.full_name(union) if union else None


@bp.route("/membership/apply/form", methods=["GET", "POST"])
@login_required
@form_view
def apply_form():
    if services.open_application(current_user) or _is_member():
        return redirect(url_for("membership.index"))
    form = MembershipForm()
    if request.method == "GET":
        form.union_code.data = request.args.get("union", "")
        form.real_name.data = current_user.name
        form.work_region_code.data = request.args.get("work_region_code", "")
        form.employment_type.data = request.args.get("employment_type") or None
    union, union_path = _prepare(form, form.union_code.data)
    if form.validate_on_submit():
        application = save_form(
            form, lambda: services.apply(current_user, form.data_for_service(), consent=form.consent.data)
        )
        if application:
            flash(_("Your application has been sent. The union usually replies within a few days."), "success")
            return redirect(url_for("membership.application", public_id=application.public_id), code=303)
    return render_form(
        "membership/apply_form.html",
        form,
        title=_("Apply to join"),
        union=union,
        union_path=union_path,
        has_id=current_user.has_id_number,
        identity_locked=identity.is_locked(current_user),
        editing=None,
        derived=_derived_from_id(form),
    )


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
    union, union_path = _prepare(form, form.union_code.data)
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
        derived=_derived_from_id(form),
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


# --- The member card and its verification ----------------------------------------------------------------


def _active_membership():
    membership = services.membership_of(current_user)
    return membership if membership is not None and membership.is_active else None


@bp.route("/me/card")
@login_required
def card():
    membership = _active_membership()
    if membership is None:
        return render_template(
            "membership/no_card.html", title=_("Member card"), open_application=services.open_application(current_user)
        )
    return render_template(
        "membership/card.html",
        title=_("Member card"),
        membership=membership,
        stamp=secrets.token_urlsafe(6),  # a fresh image (and QR token) each time the page opens
        issued_at=utcnow(),
        refresh_seconds=current_app.config.get("MEMBER_CARD_REFRESH_SECONDS", CARD_REFRESH_SECONDS),
        ttl_hours=max(current_app.config["MEMBER_CARD_TOKEN_TTL"] // 3600, 1),
    )


@bp.route("/me/card.svg")
@login_required
def card_image():
    """The card as one image, with a QR code signed just now: the card page fetches it again
    on every opening and, while open, every minute (static/js/card.js)."""
    membership = _active_membership()
    if membership is None:
        abort(404)
    link = public_url("membership.verify", token=services.card_token(membership))
    qr = qr_svg(link).replace("<svg ", '<svg x="462" y="160" width="176" height="176" ', 1)
    name = membership.union.name
    union_lines = [name[i : i + 16] for i in range(0, len(name), 16)][:2]
    svg = render_template("membership/card.svg", membership=membership, qr=qr, union_lines=union_lines)
    return Response(svg, mimetype="image/svg+xml")


@bp.route("/verify/<token>")
def verify(token: str):
    result = services.verify_card(token[:400])
    return render_template("membership/verify.html", title=_("Member card check"), result=result, checked_at=utcnow())


# --- Transfer and leaving -----------------------------------------------------------------------------------


@bp.route("/membership/transfer")
@login_required
def transfer():
    if not _is_member():
        return redirect(url_for("membership.index"))
    return _chooser("transfer")


@bp.route("/membership/transfer/form", methods=["GET", "POST"])
@login_required
@form_view
def transfer_form():
    if not _is_member():
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
    if not _is_member():
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
