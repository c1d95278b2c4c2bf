"""The membership blueprint and what its pages share: public links and QR codes, the district
choices, "is this person a member"."""

from __future__ import annotations

import segno
from flask import Blueprint, current_app, url_for
from flask_login import current_user

from portal.core.forms import grouped_choices
from portal.core.i18n import gettext as _
from portal.membership import services
from portal.unions import services as unions

bp = Blueprint("membership", __name__)

KINDS = services.KINDS


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for QR codes: PUBLIC_BASE_URL when set, else the address of this request."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_svg(data: str, scale: int = 5) -> str:
    """A QR code as inline SVG (segno: no images, no JavaScript)."""
    return segno.make(data, error="m").svg_inline(scale=scale, dark="#1b1b1f", light="#ffffff", border=2, omitsize=True)


def region_choices():
    return grouped_choices(unions.places_by_city(value="region_code"), _("— please choose —"))


def is_member() -> bool:
    membership = services.membership_of(current_user)
    return membership is not None and membership.is_active
