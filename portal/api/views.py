"""/api/v1 endpoints. Errors are ``{"error": "…"}`` in the request's language, never an HTML page."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from portal.core.i18n import gettext as _

from portal.core.errors import DomainError
from portal.core.validators import InvalidInput, decimal_or_none
from portal.core.web import arg_int
from portal.stations import search, services
from portal.stations.models import AMENITIES

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    # A malformed query is a bad request, whatever the same refusal would be on a form.
    status = 400 if isinstance(exc, InvalidInput) else exc.status_code
    return jsonify(error=str(exc.message)), status


def _number(name: str, low: float, high: float, *, required: bool = True) -> float | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        if required:
            raise InvalidInput(_("The parameter %(name)s is required.", name=name))
        return None
    value = decimal_or_none(raw, low=low, high=high)
    if value is None:
        raise InvalidInput(_("%(name)s must be a number from %(low)s to %(high)s.", name=name, low=low, high=high))
    return value


def _integer(name: str, low: int, default: int | None) -> int | None:
    return arg_int(name, default, low=low)


def _flag(name: str) -> bool:
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise InvalidInput(_("%(name)s must be 1 or 0.", name=name))


@bp.route("/stations/nearby")
def stations_nearby():
    """The nearest rest stations to a WGS-84 point, nearest first. ``limit`` above 50 is clamped to 50."""
    lat = _number("lat", -90, 90)
    lng = _number("lng", -180, 180)
    limit = min(_integer("limit", 1, search.DEFAULT_LIMIT), search.MAX_LIMIT)
    radius = _integer("radius_m", 1, None)
    if radius is not None and radius > search.HALF_CIRCUMFERENCE_M:
        radius = None  # a circle larger than the Earth: no radius at all
    amenities = request.args.getlist("amenity")
    unknown = [a for a in amenities if a not in AMENITIES]
    if unknown:
        raise InvalidInput(
            _("Unknown amenity: %(codes)s. Known: %(known)s.", codes=", ".join(unknown), known=", ".join(AMENITIES))
        )
    stations = services.nearby_summaries(
        lat, lng, limit=limit, amenities=amenities, open_now=_flag("open_now"), radius_m=radius
    )
    return jsonify(stations=stations)
