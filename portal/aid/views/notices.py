"""公示: each county's public notice of approved aid cases (anyone may read), and objections
(signed in; the objector is recorded for staff, never shown)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.aid.forms import ObjectionForm
from portal.aid.services import notices
from portal.aid.views.blueprint import bp
from portal.core.forms import form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.unions import services as unions


def _county(code: str):
    county = notices.county_for(code)
    if county is None:
        abort(404)
    return county


@bp.route("/notices")
def notice_board():
    return render_template(
        "aid/notices_index.html", title=_("Public notices of hardship aid"), counties=notices.counties_with_notices()
    )


@bp.route("/notices/<code>")
def notice_list(code: str):
    county = _county(code)
    return render_template(
        "aid/notices.html",
        title=_("Public notice: %(county)s", county=county.name),
        county=county,
        county_path=unions.full_name(county),
        entries=notices.notices(county),
    )


@bp.route("/notices/<code>/<public_id>/object", methods=["GET", "POST"])
@login_required
@form_view
def object_to(code: str, public_id: str):
    county = _county(code)
    application = notices.load_on_notice(county, public_id)
    entry = next((e for e in notices.notices(county) if e.public_id == public_id), None)
    form = ObjectionForm()
    if form.validate_on_submit() and save_form(
        form, lambda: notices.object_to(county, public_id, current_user, form.reason.data)
    ):
        flash(_("Your objection was received. The county union will look into it."), "success")
        return redirect(url_for("aid.notice_list", code=code), code=303)
    return render_form(
        "aid/object.html",
        form,
        title=_("Object to a case on notice"),
        county=county,
        entry=entry,
        application=application,
    )
