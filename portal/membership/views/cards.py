"""The member card (a page, and an image with a freshly signed QR code) and its public check."""

from __future__ import annotations

import secrets

from flask import Response, abort, current_app, render_template
from flask_login import current_user, login_required

from portal.core.db import utcnow
from portal.core.i18n import gettext as _
from portal.membership import services
from portal.membership.views.blueprint import bp, public_url, qr_svg

CARD_REFRESH_SECONDS = 60  # how often an open card page fetches a fresh QR code (card.js); config may override


def _active_membership():
    membership = services.membership_of(current_user)
    return membership if membership is not None and membership.is_active else None


@bp.route("/me/card")
@login_required
def card():
    membership = _active_membership()
    if membership is None:
        return render_template(
            "membership/no_card.html", title=_("Member card"), open_application=services.open_application(current_user)
        )
    return render_template(
        "membership/card.html",
        title=_("Member card"),
        membership=membership,
        stamp=secrets.token_urlsafe(6),  # a fresh image (and QR token) each time the page opens
        issued_at=utcnow(),
        refresh_seconds=current_app.config.get("MEMBER_CARD_REFRESH_SECONDS", CARD_REFRESH_SECONDS),
        ttl_hours=max(current_app.config["MEMBER_CARD_TOKEN_TTL"] // 3600, 1),
    )


@bp.route("/me/card.svg")
@login_required
def card_image():
    """The card as one image, with a QR code signed just now: the card page fetches it again
    on every opening and, while open, every minute (static/js/card.js)."""
    membership = _active_membership()
    if membership is None:
        abort(404)
    link = public_url("membership.verify", token=services.card_token(membership))
    qr = qr_svg(link).replace("<svg ", '<svg x="462" y="160" width="176" height="176" ', 1)
    name = membership.union.name
    union_lines = [name[i : i + 16] for i in range(0, len(name), 16)][:2]
    svg = render_template("membership/card.svg", membership=membership, qr=qr, union_lines=union_lines)
    return Response(svg, mimetype="image/svg+xml")


@bp.route("/verify/<token>")
def verify(token: str):
    result = services.verify_card(token[:400])
    return render_template("membership/verify.html", title=_("Member card check"), result=result, checked_at=utcnow())
