"""Home, the services list, messages, the privacy notice, settings and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from portal.accounts import services as accounts
from portal.core import notify, workflow
from portal.core.i18n import gettext as _
from portal.core.web import LARGE_TEXT_COOKIE, page_arg, redirect_back
from portal.extensions import db
from portal.main.tiles import all_tiles

bp = Blueprint("main", __name__)


def _for_viewer(user):
    """What the home page shows this person: their member card, their open applications, and the
    tiles left to offer (a member has no union to join: the card shortcut replaces that tile)."""
    if not user.is_authenticated:
        return None, [], all_tiles()
    from portal.membership import services as membership

    card = membership.membership_of(user)
    card = card if card is not None and card.is_active else None
    in_progress = membership.applications_of(user, open_only=True)
    tiles = [t for t in all_tiles() if not (card is not None and t.key == "membership")]
    return card, in_progress, tiles


@bp.route("/")
def home():
    card, in_progress, tiles = _for_viewer(current_user)
    return render_template(
        "main/home.html",
        title=_("Home"),
        tiles=tiles,
        card=card,
        open_applications=in_progress,
        operator=current_app.config["PORTAL_OPERATOR_NAME"],
    )


@bp.route("/services")
def services():
    return render_template("main/services.html", title=_("Services"), tiles=all_tiles())


@bp.route("/messages")
@login_required
def messages():
    page = page_arg()
    pagination = notify.messages_for(current_user, page=page)
    return render_template("main/messages.html", title=_("Messages"), pagination=pagination)


@bp.route("/messages/read", methods=["POST"])
@login_required
def mark_messages_read():
    notify.mark_all_read(current_user)
    db.session.commit()
    return redirect_back("main.messages")


@bp.route("/tracker")
@login_required
def tracker():
    """我的办理: every application of every kind, each with its timeline and any decision's reason."""
    applications = workflow.applications_of(current_user)
    return render_template(
        "main/tracker.html",
        title=_("My applications"),
        applications=applications,
        timelines=workflow.timelines(applications),
    )


@bp.route("/privacy")
def privacy():
    return render_template(
        "main/privacy.html", title=_("Privacy notice"), version=current_app.config["PRIVACY_NOTICE_VERSION"]
    )


@bp.route("/settings/text-size", methods=["POST"])
def text_size():
    """The 适老化 large-text mode: stored on the account, or in a cookie before sign-in."""
    enabled = request.form.get("large") == "1"
    response = redirect_back()
    if current_user.is_authenticated:
        accounts.set_large_text(current_user, enabled)
        db.session.commit()
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if enabled else "0",
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


@bp.route("/favicon.ico")
def favicon():
    """Browsers (and WeChat's) ask for /favicon.ico whatever the page links: the SVG icon."""
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)


@bp.route("/healthz")
def healthz():
    try:
        # No rollback here: the request ends as every reading request does (core.db: COMMIT on
        # PostgreSQL, where a ROLLBACK makes psycopg drop the connection's prepared statements —
        # every load-balancer check would make the next pages plan their statements again).
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy"
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")
