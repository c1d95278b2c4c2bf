"""The finder's state: what was asked (place, words, filters, page), where the search starts
(a position, a district chosen now or remembered, the work district, the portal's own) and what
it found; the district picker, written once per locale and process."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from portal.core.i18n import gettext as _
from portal.core.validators import clean_line
from portal.core.web import arg_int
from portal.stations import search, services
from portal.stations.models import AMENITY_LABELS
from portal.stations.views.blueprints import parse_point
from portal.unions import services as unions

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


def read_finder() -> Finder:
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
    point = parse_point(request.args.get("lat"), request.args.get("lng"))
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


def remember_region(response, finder: Finder):
    """Keep a district chosen now in a cookie, so the next visit opens on it."""
    if finder.region_code and request.cookies.get(REGION_COOKIE) != finder.region_code:
        response.set_cookie(REGION_COOKIE, finder.region_code, max_age=REGION_COOKIE_AGE, httponly=True, samesite="Lax")
    return response
