"""Joining: the overview, choosing a union, the poster entry with its QR code, the application form."""

from __future__ import annotations

from io import BytesIO

import segno
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.core.forms import choices, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, parse_id_number
from portal.membership import identity, services
from portal.membership.choices import EMPLOYMENT_TYPES
from portal.membership.forms import ChooseUnionFilter, MembershipForm
from portal.membership.views.blueprint import bp, is_member, public_url, region_choices
from portal.unions import services as unions

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


def chooser(mode: str):
    """The union chooser, for joining (``mode`` "join") or for a transfer ("transfer")."""
    form = ChooseUnionFilter(request.args)
    form.work_region_code.choices = region_choices()
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
    if services.open_application(current_user) or is_member():
        return redirect(url_for("membership.index"))
    return chooser("join")


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
    out = BytesIO()
    svg.save(out, kind="svg", scale=10, border=2, title=union.name)
    return Response(
        out.getvalue(),
        mimetype="image/svg+xml",
        headers={"Content-Disposition": f'inline; filename="join-{union.code}.svg"'},
    )


# --- Applying ----------------------------------------------------------------------------------------


def derived_from_id(form: MembershipForm):
    """Birth date and gender read back from a typed ID number, when it is valid."""
    if not form.id_number.data or form.id_number.errors:
        return None
    try:
        return parse_id_number(form.id_number.data)
    except InvalidInput:
        return None


def prepare_form(form: MembershipForm, union_code: str | None):
    """Fill the membership form's choices; the chosen union and its full name."""
    form.work_region_code.choices = region_choices()
    if not current_user.has_id_number:
        form.id_number.flags.required = True  # the service requires it; the label says so
    union = unions.find_by_code(union_code)
    return union, unions.full_name(union) if union else None


@bp.route("/membership/apply/form", methods=["GET", "POST"])
@login_required
@form_view
def apply_form():
    if services.open_application(current_user) or is_member():
        return redirect(url_for("membership.index"))
    form = MembershipForm()
    if request.method == "GET":
        form.union_code.data = request.args.get("union", "")
        form.real_name.data = current_user.name
        form.work_region_code.data = request.args.get("work_region_code", "")
        form.employment_type.data = request.args.get("employment_type") or None
    union, union_path = prepare_form(form, form.union_code.data)
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
        derived=derived_from_id(form),
    )
