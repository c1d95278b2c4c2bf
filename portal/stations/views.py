"""The worker's station finder (list, map, detail, report) and the staff's station pages."""

from __future__ import annotations

import math

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import scope
from portal.core.forms import ConfirmForm, choices, form_view, grouped_choices, render_form, save_form
from portal.core.geo import haversine_m
from portal.core.i18n import fmt_distance
from portal.core.scope import require_role
from portal.core.validators import InvalidInput
from portal.core.web import page_arg
from portal.extensions import db
from portal.stations import importer, services
from portal.stations.forms import FinderForm, ImportForm, ReportForm, ResolveForm, StationForm
from portal.stations.hours import is_overnight, parse_open_hours, weekly_table
from portal.stations.models import AMENITY_LABELS, Station
from portal.unions import services as unions

bp = Blueprint("stations", __name__)
staff_bp = Blueprint("stations_staff", __name__, url_prefix="/staff/stations")
staff_only = require_role("staff", "admin")


def _point(lat_raw, lng_raw) -> tuple[float, float] | None:
    try:
        lat, lng = float(lat_raw), float(lng_raw)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def _district_choices():
    places = unions.places_by_city(located_only=True, city_centres=True)
    return grouped_choices(places, _("— choose a district —"))


def _finder():
    """Read the finder's filters and run the search they ask for."""
    form = FinderForm(request.args)
    form.region.choices = _district_choices()
    amenities = [a for a in request.args.getlist("amenity") if a in AMENITY_LABELS]
    open_now = request.args.get("open_now") in ("1", "y", "on", "true")
    limit = 50 if request.args.get("more") else 20
    # A district chosen in the form wins over an earlier position (the script clears the
    # district when it fills in a new position).
    centre = services.centre_of(request.args.get("region"))
    if centre is not None:
        origin, origin_label = centre[:2], centre[2]
    else:
        origin, origin_label = _point(request.args.get("lat"), request.args.get("lng")), _("your location")
    query = (request.args.get("q") or "").strip()[:30]
    if query:
        results = services.search_by_keyword(query, amenities=amenities, open_now=open_now, near=origin, limit=limit)
    elif origin is not None:
        results = services.nearby(*origin, limit=limit, amenities=amenities, open_now=open_now)
    else:
        results = None
    return form, results, origin, origin_label, limit


@bp.route("/stations")
def index():
    form, results, origin, origin_label, limit = _finder()
    return render_template(
        "stations/list.html",
        title=_("Rest stations"),
        form=form,
        results=results,
        origin=origin,
        origin_label=origin_label,
        limit=limit,
        amenity_labels=AMENITY_LABELS,
    )


def _map_config() -> dict:
    return {
        "tiles": current_app.config.get("STATION_MAP_TILES") or "",
        "tile_crs": current_app.config.get("STATION_MAP_TILE_CRS", "wgs84"),
        "tile_subdomains": current_app.config.get("STATION_MAP_TILE_SUBDOMAINS", "abc"),
        "attribution": current_app.config.get("STATION_MAP_ATTRIBUTION") or "",
    }


@bp.route("/stations/map")
def map_view():
    form, results, origin, origin_label, _limit = _finder()
    data = [
        {
            "id": f.station.id,
            "name": f.station.name,
            "address": f.station.address,
            "lat": f.station.lat,
            "lng": f.station.lng,
            "url": url_for("stations.detail", station_id=f.station.id),
            "distance": _distance_text(f.distance_m),
            "open": f.open_now,
            "status": _("Open now") if f.open_now else _("Closed"),
        }
        for f in (results or [])
    ]
    centre = origin or ((data[0]["lat"], data[0]["lng"]) if data else (45.7567, 126.6424))  # Harbin by default
    return render_template(
        "stations/map.html",
        title=_("Rest stations on the map"),
        form=form,
        results=results,
        origin=origin,
        origin_label=origin_label,
        centre=centre,
        station_data=data,
        **_map_config(),
    )


def _distance_text(metres) -> str:
    return fmt_distance(metres) if metres is not None else ""


@bp.route("/stations/<int:station_id>", methods=["GET", "POST"])
@form_view
def detail(station_id: int):
    station = services.get_public(station_id)
    form = ReportForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        if form.validate_on_submit() and save_form(
            form, lambda: services.report_problem(current_user, station, kind=form.kind.data, text=form.text.data)
        ):
            flash(_("Thank you. The union that runs this station has been told."), "success")
            return redirect(url_for("stations.detail", station_id=station.id), code=303)
    origin = _point(request.args.get("lat"), request.args.get("lng"))
    distance = haversine_m(origin[0], origin[1], station.lat, station.lng) if origin is not None else None
    schedule = parse_open_hours(station.open_hours)
    return render_form(
        "stations/detail.html",
        form,
        title=station.name,
        station=station,
        distance=distance,
        open_now=services.is_open_now(station),
        week=weekly_table(schedule),
        always_open=schedule.always_open,
        weekdays=_weekday_names(),
        is_overnight=is_overnight,
        reports=services.open_reports(station),
        nav_links=services.navigation_links(station),
        amenity_labels=AMENITY_LABELS,
    )


def _weekday_names():
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


# --- Staff -----------------------------------------------------------------------------------------------------


def _scoped_union_choices():
    return choices((u.code, "\u3000" * max(u.depth - 1, 0) + u.name) for u in unions.unions_in_scope(current_user))


@staff_bp.route("")
@staff_only
def manage():
    page = page_arg()
    query = (request.args.get("q") or "")[:30]
    pagination = services.staff_list(current_user, query=query, page=page)
    counts = services.open_report_counts([s.id for s in pagination.items])
    return render_template(
        "stations/staff_list.html", title=_("Rest stations"), pagination=pagination, q=query, report_counts=counts
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
    return render_form("stations/staff_form.html", form, title=_("New station"), station=None, **_map_config())


@staff_bp.route("/<int:station_id>/edit", methods=["GET", "POST"])
@staff_only
@form_view
def edit(station_id: int):
    station = scope.load_in_scope(Station, station_id, current_user)
    form = _station_form(station)
    if form.validate_on_submit() and save_form(
        form, lambda: services.update_station(current_user, station, form.data_for_service())
    ):
        flash(_("The station has been saved."), "success")
        return redirect(url_for("stations_staff.manage"), code=303)
    return render_form("stations/staff_form.html", form, title=_("Edit station"), station=station, **_map_config())


@staff_bp.route("/<int:station_id>/<any(deactivate, activate):action>", methods=["GET", "POST"])
@staff_only
@form_view
def toggle(station_id: int, action: str):
    """Deactivating hides a station from workers; it asks for confirmation first (no script needed)."""
    station = scope.load_in_scope(Station, station_id, current_user)
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
    return Response(
        services.export_csv(current_user),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="stations.csv"'},
    )


@staff_bp.route("/reports")
@staff_only
def reports():
    status = request.args.get("status", "open")
    pagination = services.reports_in_scope(current_user, status=status, page=page_arg())
    return render_template(
        "stations/staff_reports.html",
        title=_("Problem reports"),
        pagination=pagination,
        status=status,
        form=ResolveForm(),
    )


@staff_bp.route("/reports/<int:report_id>/resolve", methods=["POST"])
@staff_only
def resolve(report_id: int):
    form = ResolveForm()
    note = form.note.data if form.validate() else None
    services.resolve_report(current_user, report_id, note)
    db.session.commit()
    flash(_("The report is marked as resolved."), "success")
    return redirect(url_for("stations_staff.reports"), code=303)
