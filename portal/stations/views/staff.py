"""The staff's station pages: the list of their subtree's stations, adding, editing, hiding and
showing again, the CSV import and export."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import exports, scope
from portal.core.forms import ConfirmForm, choices, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.validators import InvalidInput
from portal.core.web import page_arg
from portal.extensions import db
from portal.stations import importer, reports, services
from portal.stations.forms import ImportForm, StationForm
from portal.stations.models import Station
from portal.stations.views.blueprints import map_config, staff_bp, staff_only
from portal.stations.views.labels import hours_text
from portal.unions import services as unions


def _station_in_scope(station_id: int) -> Station:
    """The staff member's station, or 404 — also for ids beyond the INTEGER column (PostgreSQL
    refuses to compare with them, which would be a 500)."""
    if not 0 < station_id <= services.MAX_ID:
        abort(404)
    return scope.load_in_scope(Station, station_id, current_user)


def _scoped_union_choices():
    return choices((u.code, "\u3000" * max(u.depth - 1, 0) + u.name) for u in unions.unions_in_scope(current_user))


@staff_bp.route("")
@staff_only
def manage():
    page = page_arg()
    query = (request.args.get("q") or "")[:30]
    pagination = services.staff_list(current_user, query=query, page=page)
    counts = reports.open_counts([s.id for s in pagination.items])
    return render_template(
        "stations/staff_list.html",
        title=_("Station management"),
        pagination=pagination,
        q=query,
        report_counts=counts,
        hours_text=hours_text,
    )


def _station_form(station: Station | None):
    form = StationForm(obj=station if request.method == "GET" and station else None)
    form.union_code.choices = _scoped_union_choices()
    if request.method == "GET":
        if station is not None:
            form.amenities.data = station.amenities
            form.union_code.data = station.union.code
            form.lat.data, form.lng.data = f"{station.lat:.6f}", f"{station.lng:.6f}"
        elif current_user.role == "staff":
            form.union_code.data = current_user.union.code
    return form


@staff_bp.route("/new", methods=["GET", "POST"])
@staff_only
@form_view
def new():
    form = _station_form(None)
    if form.validate_on_submit():
        station = save_form(form, lambda: services.create_station(current_user, form.data_for_service()))
        if station:
            flash(_("The station has been added."), "success")
            return redirect(url_for("stations_staff.manage"), code=303)
    return render_form("stations/staff_form.html", form, title=_("New station"), station=None, **map_config())


@staff_bp.route("/<int:station_id>/edit", methods=["GET", "POST"])
@staff_only
@form_view
def edit(station_id: int):
    station = _station_in_scope(station_id)
    form = _station_form(station)
    if form.validate_on_submit() and save_form(
        form, lambda: services.update_station(current_user, station, form.data_for_service())
    ):
        flash(_("The station has been saved."), "success")
        return redirect(url_for("stations_staff.manage"), code=303)
    return render_form("stations/staff_form.html", form, title=_("Edit station"), station=station, **map_config())


@staff_bp.route("/<int:station_id>/<any(deactivate, activate):action>", methods=["GET", "POST"])
@staff_only
@form_view
def toggle(station_id: int, action: str):
    """Deactivating hides a station from workers; it asks for confirmation first (no script needed)."""
    station = _station_in_scope(station_id)
    form = ConfirmForm()
    if form.validate_on_submit() and save_form(
        form, lambda: services.set_active(current_user, station, action == "activate")
    ):
        flash(
            _("The station is visible to workers again.")
            if action == "activate"
            else _("The station is hidden from workers."),
            "info",
        )
        return redirect(url_for("stations_staff.manage"), code=303)
    return render_form(
        "stations/staff_confirm.html",
        form,
        title=_("Hide the station") if action == "deactivate" else _("Show the station again"),
        station=station,
        action=action,
    )


@staff_bp.route("/import", methods=["GET", "POST"])
@staff_only
@form_view
def import_csv():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
        try:
            report = importer.import_stations(data, actor=current_user, valid_rows_only=form.valid_rows_only.data)
        except InvalidInput as exc:
            db.session.rollback()
            form.add_error(exc)
        else:
            if report.imported:
                db.session.commit()
                flash(
                    _(
                        "Imported: %(created)d new, %(updated)d updated.",
                        created=report.created,
                        updated=report.updated,
                    ),
                    "success",
                )
            else:
                db.session.rollback()
    status_form = render_form("stations/staff_import.html", form, title=_("Import stations"), report=report)
    if report is not None and not report.imported:
        return status_form[0], 422
    return status_form


@staff_bp.route("/export.csv")
@staff_only
def export_csv():
    return exports.csv_response("stations.csv", services.EXPORT_COLUMNS, services.export_rows(current_user))
