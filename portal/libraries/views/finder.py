"""The public library pages: the list (nearest first, open now, today's free places) and one
library's page (hours, closures, phone, address, navigation, partner rest stations)."""

from __future__ import annotations

import time

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from portal.core.db import utcnow
from portal.core.geo import haversine_m
from portal.core.hours import is_overnight, parse_open_hours, weekly_table
from portal.core.i18n import gettext as _
from portal.core.i18n import weekday_names
from portal.core.navigation import navigation_links
from portal.core.time import local_today
from portal.core.validators import decimal_or_none
from portal.libraries.services import directory, slots
from portal.libraries.views.blueprint import bp
from portal.stations import services as stations
from portal.unions import services as unions


def status_label(status: directory.Status, today) -> tuple[str, str, str]:
    """(css class, pill text, detail): 开放中 / 今日闭馆 / 已闭馆 · 明天 09:00 开放."""
    if status.state == "open":
        return "is-open", _("Library open now"), ""
    if status.state == "closed_today":
        return "is-suspended", _("Closed today"), ""
    if status.opens_at is None:
        return "is-closed", _("Library closed now"), ""
    opens = status.opens_at
    time = opens.strftime("%H:%M")
    days = (opens.date() - today).days
    if days == 0:
        when = _("Opens today at %(time)s", time=time)
    elif days == 1:
        when = _("Opens tomorrow at %(time)s", time=time)
    else:
        when = _("Opens %(day)s at %(time)s", day=weekday_names()[opens.weekday()], time=time)
    return "is-closed", _("Library closed now"), when


_districts: dict[str, tuple[float, list]] = {}


def _district_groups() -> list:
    """The district picker's groups (cities and their counties), kept per language for
    STATION_DISTRICTS_CACHE_SECONDS like the stations' finder: the union tree hardly changes and
    reading it was most of this page's time."""
    ttl = current_app.config["STATION_DISTRICTS_CACHE_SECONDS"]
    key = str(get_locale())
    cached = _districts.get(key)
    if ttl and cached is not None and cached[0] > time.monotonic():
        return cached[1]
    groups = [
        (city, [(code, str(name)) for code, name in places])
        for city, places in unions.places_by_city(located_only=True, city_centres=True)
    ]
    _districts[key] = (time.monotonic() + ttl, groups)
    return groups


def _point():
    lat = decimal_or_none(request.args.get("lat"), low=-90, high=90)
    lng = decimal_or_none(request.args.get("lng"), low=-180, high=180)
    return None if lat is None or lng is None else (lat, lng)


def _origin():
    """Where the list starts: the phone's position, a district chosen, the person's work
    district, or the portal's own — with the words that say so."""
    point = _point()
    if point is not None:
        return point, _("your location"), "position", ""
    region = request.args.get("region") or ""
    for code, kind in (
        (region, "region"),
        (stations.work_district_code(current_user), "default"),
        (current_app.config.get("STATION_DEFAULT_REGION"), "default"),
    ):
        centre = stations.centre_of(code) if code else None
        if centre is not None:
            return centre[:2], centre[2], kind, code
    return None, "", None, ""


@bp.route("")
def index():
    now = utcnow()
    origin, origin_label, origin_kind, region = _origin()
    cards = directory.nearest_libraries(*origin, now=now) if origin is not None else directory.all_libraries(now=now)
    free = slots.free_places_today([c.id for c in cards], now)
    today = local_today(now)
    position = origin if origin_kind == "position" else (None, None)
    return render_template(
        "libraries/index.html",
        title=_("Worker libraries"),
        cards=cards,
        labels={c.id: status_label(c.status, today) for c in cards},
        free=free,
        origin_label=origin_label,
        origin_kind=origin_kind,
        region=region,
        districts=_district_groups(),
        position=position,
    )


@bp.route("/<int:library_id>")
def detail(library_id: int):
    now = utcnow()
    library = directory.get_public(library_id)
    today = local_today(now)
    closed = library.id in directory.closed_on([library.id], now)
    schedule = parse_open_hours(library.open_hours)
    point = _point()
    distance = haversine_m(point[0], point[1], library.lat, library.lng) if point is not None else None
    return render_template(
        "libraries/detail.html",
        title=library.name,
        library=library,
        status=status_label(directory.status_of(library.open_hours, now, closed_today=closed), today),
        distance=distance,
        free_today=slots.free_places_today([library.id], now).get(library.id, 0),
        week=weekly_table(schedule),
        always_open=schedule.always_open,
        weekdays=weekday_names(),
        is_overnight=is_overnight,
        closures=directory.upcoming_closures(library.id, today),
        partners=directory.partner_stations(library.id),
        nav_links=navigation_links(library),
    )
