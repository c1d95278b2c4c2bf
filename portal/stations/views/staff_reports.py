"""The staff's side of problem reports: the list, resolving one, the audited reveal of a reporter's phone."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.i18n import gettext as _
from portal.core.web import page_arg
from portal.extensions import db
from portal.stations import reports
from portal.stations.forms import ResolveForm
from portal.stations.views.blueprints import staff_bp, staff_only


def _reports_page(*, revealed: dict[int, str] | None = None):
    status = request.args.get("status", "open")
    pagination = reports.reports_in_scope(current_user, status=status, page=page_arg())
    return render_template(
        "stations/staff_reports.html",
        title=_("Problem reports"),
        pagination=pagination,
        status=status,
        form=ResolveForm(),
        revealed=revealed or {},
    )


@staff_bp.route("/reports", endpoint="reports")
@staff_only
def reports_list():
    return _reports_page()


@staff_bp.route("/reports/<int:report_id>/resolve", methods=["POST"])
@staff_only
def resolve(report_id: int):
    form = ResolveForm()
    note = form.note.data if form.validate() else None
    reports.resolve_report(current_user, report_id, note)
    db.session.commit()
    flash(_("The report is marked as resolved. The person who reported it has been told."), "success")
    return redirect(url_for("stations_staff.reports"), code=303)


@staff_bp.route("/reports/<int:report_id>/reveal-phone", methods=["POST"])
@staff_only
def reveal_phone(report_id: int):
    """Show one reporter's full number (to call them back); the view is written to the audit trail."""
    phone = reports.reveal_reporter_phone(current_user, report_id)
    db.session.commit()  # the audit event of this view
    return _reports_page(revealed={report_id: phone})
