"""The worker's station pages: the list, the map and a station's page (where a problem is reported)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.assets import asset_url
from portal.core.forms import form_view, render_form, save_form
from portal.core.geo import haversine_m
from portal.core.hours import is_overnight, parse_open_hours, weekly_table
from portal.core.i18n import fmt_distance
from portal.core.i18n import gettext as _
from portal.stations import reports, services
from portal.stations.forms import ReportForm
from portal.stations.models import AMENITY_ICONS, AMENITY_LABELS
from portal.stations.views.blueprints import bp, map_config, parse_point
from portal.stations.views.finder import Finder, district_options, read_finder, remember_region
from portal.stations.views.labels import ListPieces, status_labeller, weekday_names


def _detail_url(finder: Finder):
    """station id → its detail link, built once per page (url_for per row is measurable on a list of 50).

    The link carries the position only when it is the visitor's own ("距您…"), never a district centre.
    """
    marker = 9_876_543_210
    origin = finder.origin if finder.origin_kind == "position" else (None, None)
    template = url_for("stations.detail", station_id=marker, lat=origin[0], lng=origin[1]).replace(str(marker), "{}")
    return template.format


def _filter_summary(finder: Finder) -> list[str]:
    """The active filters as the bar shows them: 营业中 · 饮用水 · 充电."""
    return ([_("Open now")] if finder.open_now else []) + [str(AMENITY_LABELS[a]) for a in finder.amenities]


@bp.route("/stations")
def index():
    finder = read_finder()
    response = make_response(
        render_template(
            "stations/list.html",
            title=_("Rest stations"),
            finder=finder,
            filters=_filter_summary(finder),
            detail_url=_detail_url(finder),
            district_options=district_options(),
            pieces=ListPieces(asset_url("img/icons.svg")),
            amenity_icons=AMENITY_ICONS,
        )
    )
    return remember_region(response, finder)


@bp.route("/stations/map")
def map_view():
    finder = read_finder()
    data = []
    status_label = status_labeller()
    for f in finder.all_found:
        css, pill, when = status_label(f.status)
        data.append(
            {
                "id": f.station.id,
                "name": f.station.name,
                "address": f.station.address,
                "lat": f.station.lat,
                "lng": f.station.lng,
                "url": url_for("stations.detail", station_id=f.station.id),
                "distance": _distance_text(f.distance_m),
                "open": f.open_now,
                "status": " · ".join(filter(None, (pill, when))),
            }
        )
    centre = finder.origin or ((data[0]["lat"], data[0]["lng"]) if data else (45.7567, 126.6424))  # Harbin
    response = make_response(
        render_template(
            "stations/map.html",
            title=_("Rest stations on the map"),
            finder=finder,
            filters=_filter_summary(finder),
            status_label=status_labeller(),
            centre=centre,
            station_data=data,
            **map_config(),
        )
    )
    return remember_region(response, finder)


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
        if form.validate_on_submit():
            result = save_form(
                form, lambda: reports.report_problem(current_user, station, kind=form.kind.data, text=form.text.data)
            )
            if result:
                _report, merged = result
                flash(
                    _("Added to the report you sent earlier today. The union that runs this station has been told.")
                    if merged
                    else _("Thank you. The union that runs this station has been told."),
                    "success",
                )
                return redirect(url_for("stations.detail", station_id=station.id, _anchor="my-reports"), code=303)
    origin = parse_point(request.args.get("lat"), request.args.get("lng"))
    distance = haversine_m(origin[0], origin[1], station.lat, station.lng) if origin is not None else None
    schedule = parse_open_hours(station.open_hours)
    return render_form(
        "stations/detail.html",
        form,
        title=station.name,
        station=station,
        distance=distance,
        status=status_labeller()(services.station_status(station)),
        week=weekly_table(schedule),
        always_open=schedule.always_open,
        weekdays=weekday_names(),
        is_overnight=is_overnight,
        being_checked=reports.has_open_reports(station),
        my_reports=reports.reports_of(current_user, station),
        nav_links=services.navigation_links(station),
        amenity_labels=AMENITY_LABELS,
        amenity_icons=AMENITY_ICONS,
    )
