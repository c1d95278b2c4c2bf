"""The worker's station finder (list, map, detail, report) and the staff's station pages."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from portal.core import exports, scope
from portal.core.assets import asset_url
from portal.core.db import utcnow
from portal.core.forms import ConfirmForm, choices, form_view, render_form, save_form
from portal.core.geo import haversine_m
from portal.core.i18n import fmt_distance
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.validators import InvalidInput, clean_line, decimal_or_none
from portal.core.web import arg_int, page_arg
from portal.extensions import db
from portal.stations import importer, reports, search, services
from portal.stations.forms import ImportForm, ReportForm, ResolveForm, StationForm
from portal.stations.hours import LOCAL_ZONE, is_overnight, parse_open_hours, week_summary, weekly_table
from portal.stations.models import AMENITY_ICONS, AMENITY_LABELS, Station, amenity_codes
from portal.unions import services as unions

bp = Blueprint("stations", __name__)
staff_bp = Blueprint("stations_staff", __name__, url_prefix="/staff/stations")
staff_only = require_role("staff", "admin")


def _point(lat_raw, lng_raw) -> tuple[float, float] | None:
    """A position from the query; anything but ASCII decimals in range (float() would take "١٢",
    "nan" or "1e308") is no position at all."""
    lat = decimal_or_none(lat_raw, low=-90, high=90)
    lng = decimal_or_none(lng_raw, low=-180, high=180)
    return None if lat is None or lng is None else (lat, lng)


PER_PAGE = 20  # a page of 20 stations stays well under 60 KB of HTML
MAX_PAGE = math.ceil(search.MAX_LIMIT / PER_PAGE)
REGION_COOKIE = "station_region"  # the district last chosen in the finder (a union code; never a position)
REGION_COOKIE_AGE = 365 * 24 * 3600

_districts_cache: dict[str, tuple[float, Markup]] = {}


def _district_options_html() -> Markup:
    """The district picker's <option>s grouped by city, in the reader's language, as HTML.

    Kept for STATION_DISTRICTS_CACHE_SECONDS per process: the union tree hardly changes, and
    loading, translating and writing out its ~150 places was most of every list page's time.
    """
    ttl = current_app.config["STATION_DISTRICTS_CACHE_SECONDS"]
    key = str(get_locale())
    cached = _districts_cache.get(key)
    if ttl and cached is not None and cached[0] > time.monotonic():
        return cached[1]
    parts = [Markup('<option value="">%s</option>') % _("— choose a district —")]
    for city, places in unions.places_by_city(located_only=True, city_centres=True):
        parts.append(Markup('<optgroup label="%s">') % city)
        parts.extend(Markup('<option value="%s">%s</option>') % (code, name) for code, name in places)
        parts.append(Markup("</optgroup>"))
    html = Markup("").join(parts)
    _districts_cache[key] = (time.monotonic() + ttl, html)
    return html


_centres_cache: dict[str, tuple[float, tuple[float, float, str]]] = {}


def _centre(code: str | None) -> tuple[float, float, str] | None:
    """``services.centre_of``, kept like the picker: every list page asks for one. Only known
    districts are kept (a bounded set); any other code is looked up and forgotten."""
    if not code:
        return None
    ttl = current_app.config["STATION_DISTRICTS_CACHE_SECONDS"]
    cached = _centres_cache.get(code)
    if ttl and cached is not None and cached[0] > time.monotonic():
        return cached[1]
    centre = services.centre_of(code)
    if centre is not None and ttl:
        _centres_cache[code] = (time.monotonic() + ttl, centre)
    return centre


def district_options():
    """selected code → the picker's options with that one selected (one string replace per page)."""
    html = _district_options_html()

    def options(selected: str | None) -> Markup:
        if not selected:
            return html
        target = Markup('<option value="%s">') % selected
        return html.replace(target, Markup('<option value="%s" selected>') % selected, 1)

    return options


@dataclass
class Finder:
    """What the finder was asked and what it found, for the list and the map."""

    query: str
    amenities: list[str]
    open_now: bool
    page: int  # pages of PER_PAGE, nearest first: page 2 is the 21st to 40th nearest
    origin: tuple[float, float] | None = None
    origin_label: str = ""
    origin_kind: str | None = None  # "position", "region" (chosen now) or "default" (remembered or guessed)
    region_code: str | None = None  # a district chosen now: remembered in a cookie
    region_shown: str = ""  # the district the picker shows as chosen
    results: list | None = None  # None: nothing was asked (no place is known, no words)
    far: list = field(default_factory=list)
    radius_m: float | None = None

    @property
    def limit(self) -> int:
        return min(self.page * PER_PAGE, search.MAX_LIMIT)

    @property
    def has_more(self) -> bool:
        return (
            self.results is not None
            and not self.far
            and self.limit < search.MAX_LIMIT
            and (len(self.results) == PER_PAGE)
        )

    @property
    def all_found(self) -> list:
        return [*(self.results or []), *self.far]


def _default_region() -> tuple[tuple[float, float, str], str] | None:
    """The district a first visit opens on: the last one chosen here, the person's work district,
    or the portal's own (config); the first that is known and has a centre."""
    for code in (
        request.cookies.get(REGION_COOKIE),
        services.work_district_code(current_user),
        current_app.config.get("STATION_DEFAULT_REGION"),
    ):
        centre = _centre(code)
        if centre is not None:
            return centre, code
    return None


def _finder() -> Finder:
    """Read the finder's filters and run the search they ask for."""
    finder = Finder(
        query=clean_line(request.args.get("q"))[:30],
        amenities=[a for a in request.args.getlist("amenity") if a in AMENITY_LABELS],
        open_now=request.args.get("open_now") in ("1", "y", "on", "true"),
        page=arg_int("page", 1, low=1, high=MAX_PAGE),
    )
    # A district chosen in the form wins over an earlier position (the script clears the
    # district when it fills in a new position).
    region = request.args.get("region")
    centre = _centre(region)
    point = _point(request.args.get("lat"), request.args.get("lng"))
    if centre is not None:
        finder.origin, finder.origin_label, finder.origin_kind = centre[:2], centre[2], "region"
        finder.region_code = finder.region_shown = region
    elif point is not None:
        finder.origin, finder.origin_label, finder.origin_kind = point, _("your location"), "position"
    elif not finder.query and (default := _default_region()) is not None:
        (lat, lng, name), code = default
        finder.origin, finder.origin_label, finder.origin_kind = (lat, lng), name, "default"
        finder.region_shown = code
    if finder.query:
        finder.results = services.search_by_keyword(
            finder.query,
            amenities=finder.amenities,
            open_now=finder.open_now,
            near=finder.origin,
            limit=finder.limit,
        )[(finder.page - 1) * PER_PAGE :]
    elif finder.origin is not None:
        found = services.nearby_within(
            *finder.origin,
            radius_m=current_app.config["STATION_SEARCH_RADIUS_M"],
            limit=finder.limit,
            amenities=finder.amenities,
            open_now=finder.open_now,
        )
        finder.results, finder.far, finder.radius_m = (
            found.near[(finder.page - 1) * PER_PAGE :],
            found.far,
            found.radius_m,
        )
    return finder


def _remember_region(response, finder: Finder):
    if finder.region_code and request.cookies.get(REGION_COOKIE) != finder.region_code:
        response.set_cookie(REGION_COOKIE, finder.region_code, max_age=REGION_COOKIE_AGE, httponly=True, samesite="Lax")
    return response


def status_labeller():
    """A function status → (css class, pill text, detail): 营业中 / 休息中 · 明天 08:00 开放 / 暂停开放.

    Each distinct status is translated once per page: a list repeats the same few.
    """
    today = utcnow().astimezone(LOCAL_ZONE).date()
    cache: dict = {}

    def label(status: services.Status) -> tuple[str, str, str]:
        key = (status.state, status.opens_at)
        if key not in cache:
            cache[key] = _status_label(status, today)
        return cache[key]

    return label


def _status_label(status: services.Status, today) -> tuple[str, str, str]:
    if status.state == "open":
        return "is-open", _("Open now"), ""
    if status.state == "suspended":
        return "is-suspended", _("Temporarily closed"), ""
    if status.opens_at is None:
        return "is-closed", _("Closed now"), ""
    opens = status.opens_at
    time = opens.strftime("%H:%M")
    days = (opens.date() - today).days
    if days == 0:
        when = _("Opens today at %(time)s", time=time)
    elif days == 1:
        when = _("Opens tomorrow at %(time)s", time=time)
    else:
        when = _("Opens %(day)s at %(time)s", day=_weekday_names()[opens.weekday()], time=time)
    return "is-closed", _("Closed now"), when


class ListPieces:
    """The repeated parts of a station list, each written once per page and reused.

    Profiling the list page (issue 7) showed its time going to the same few things written
    again for every station: the amenity chips (an icon and a label each, escaped one by one),
    the status pill and the distance (a translation each). Stations share them — a few amenity
    sets, a few statuses — so each distinct one is built once, as HTML, and reused.
    """

    def __init__(self, sprite: str):
        self.sprite = sprite
        self.status_label = status_labeller()
        self.labels = {code: str(label) for code, label in AMENITY_LABELS.items()}
        self._amenities: dict[int, Markup] = {}
        self._chips: dict[str, str] | None = None
        self._status: dict[tuple, Markup] = {}
        self._metres = _("%(n)d m")  # the patterns, translated once
        self._km = _("%(n)s km")

    def amenities(self, mask: int) -> Markup:
        if mask not in self._amenities:
            if self._chips is None:  # each of the ten chips, escaped once
                self._chips = {
                    code: str(
                        Markup('<li><svg aria-hidden="true"><use href="%s#%s"/></svg>%s</li>')
                        % (self.sprite, AMENITY_ICONS[code], label)
                    )
                    for code, label in self.labels.items()
                }
            chips = "".join(self._chips[code] for code in amenity_codes(mask))
            self._amenities[mask] = Markup(f'<ul class="amenities" role="list">{chips}</ul>')  # noqa: S704 (escaped above)
        return self._amenities[mask]

    def status(self, status: services.Status) -> Markup:
        key = (status.state, status.opens_at)
        if key not in self._status:
            css, pill, when = self.status_label(status)
            html = Markup('<span class="status-pill %s">%s</span>') % (css, pill)
            if when:
                html += Markup('<span class="opens">%s</span>') % when
            self._status[key] = html
        return self._status[key]

    def distance(self, metres: float) -> str:
        """As core.i18n.fmt_distance (350米 / 1.2公里), with the patterns translated once per page."""
        if metres < 1000:
            return self._metres % {"n": round(metres)}
        km = metres / 1000
        return self._km % {"n": f"{km:.1f}" if km < 100 else f"{km:.0f}"}


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
    finder = _finder()
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
    return _remember_region(response, finder)


def _map_config() -> dict:
    return {
        "tiles": current_app.config.get("STATION_MAP_TILES") or "",
        "label_tiles": current_app.config.get("STATION_MAP_LABEL_TILES") or "",
        "tile_crs": current_app.config.get("STATION_MAP_TILE_CRS", "wgs84"),
        "tile_subdomains": current_app.config.get("STATION_MAP_TILE_SUBDOMAINS", "abc"),
        "attribution": current_app.config.get("STATION_MAP_ATTRIBUTION") or "",
    }


@bp.route("/stations/map")
def map_view():
    finder = _finder()
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
            **_map_config(),
        )
    )
    return _remember_region(response, finder)


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
    origin = _point(request.args.get("lat"), request.args.get("lng"))
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
        weekdays=_weekday_names(),
        is_overnight=is_overnight,
        being_checked=reports.has_open_reports(station),
        my_reports=reports.reports_of(current_user, station),
        nav_links=services.navigation_links(station),
        amenity_labels=AMENITY_LABELS,
        amenity_icons=AMENITY_ICONS,
    )


def _weekday_names():
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def hours_text(open_hours: str) -> str:
    """Opening hours in the reader's words: 周一至周五 08:30-17:30；周六 09:00-17:00 (staff tables)."""
    try:
        schedule = parse_open_hours(open_hours)
    except ValueError:
        return open_hours
    if schedule.always_open:
        return _("Open 24 hours, every day")
    names = _weekday_names()
    lines = []
    for (first, last), ranges in week_summary(schedule):
        if (first, last) == (0, 6):
            days = _("Every day")
        elif first == last:
            days = names[first]
        else:
            days = _("%(first)s to %(last)s", first=names[first], last=names[last])
        times = ", ".join(
            _("%(start)s to %(end)s the next day", start=a, end=b) if is_overnight(a, b) else f"{a}-{b}"
            for a, b in ranges
        )
        lines.append(f"{days} {times}")
    return _("; ").join(lines) if lines else _("Closed")


# --- Staff -----------------------------------------------------------------------------------------------------


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
    return render_form("stations/staff_form.html", form, title=_("New station"), station=None, **_map_config())


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
    return render_form("stations/staff_form.html", form, title=_("Edit station"), station=station, **_map_config())


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
