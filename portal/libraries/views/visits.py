"""Visits (预约到馆): the booking page with its day tabs and slots, booking, one's visit (status,
QR code and code), cancelling with a confirmation step; for staff, the desk's check-in (a typed code,
or the camera through static/js/checkin.js) and the day's visits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import segno
from babel.dates import format_skeleton
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.core.db import utcnow
from portal.core.errors import DomainError, NotFound
from portal.core.forms import ConfirmForm, PortalForm, form_view, render_form, save_form
from portal.core.i18n import fmt_date, fmt_time
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import mask_name
from portal.core.scope import require_role
from portal.core.time import local_today, start_of_local_day
from portal.core.validators import InvalidInput
from portal.core.web import commit_action
from portal.extensions import login_manager
from portal.libraries.services import directory, slots, visit_desk, visit_lists, visits
from portal.libraries.views.blueprint import bp, staff_bp

SLOT_FIELD_MAX = 40
CODE_FIELD_MAX = 400
STAFF_DAYS_RANGE = 366  # a token, or the link a phone's camera app read from the QR code


# --- Helpers -----------------------------------------------------------------------------------------


def _now() -> datetime:
    return utcnow()


def _public_url(endpoint: str, **values) -> str:
    """An absolute URL for the QR code: PUBLIC_BASE_URL when set, else this request's address."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _qr_svg(data: str) -> str:
    """The QR code as inline SVG (segno: no image request, no script)."""
    return segno.make(data, error="m").svg_inline(scale=5, dark="#1b1b1f", light="#ffffff", border=2, omitsize=True)


def _day_arg(name: str = "day") -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_l("Choose a day such as 2026-12-07."), field=name) from None


def _slot_arg(raw: str | None) -> datetime | None:
    """The slot's start as the page wrote it (UTC, ISO 8601), or None when it is not one."""
    raw = (raw or "").strip()
    if not raw or len(raw) > SLOT_FIELD_MAX:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None or not 2000 <= moment.year <= 2999:  # far years cannot be turned into Beijing time
        return None
    return moment


def slot_value(start: datetime) -> str:
    return start.strftime("%Y-%m-%dT%H:%MZ")


def day_label(day: date, today: date) -> str:
    """今天 / 明天 / 12月9日周三."""
    if day == today:
        return _("Today")
    if (day - today).days == 1:
        return _("Tomorrow")
    return format_skeleton("MMMEd", day, locale=get_locale())


def when_text(start: datetime, end: datetime) -> str:
    """2026年12月7日 09:00–10:00, in the reader's language and Beijing time (flashes)."""
    return f"{fmt_date(start)} {fmt_time(start)}–{fmt_time(end)}"


# --- Booking -----------------------------------------------------------------------------------------


@bp.route("/<int:library_id>/book", methods=["GET", "POST"])
def book(library_id: int):
    """GET: the bookable days as tabs and the chosen day's slots. POST (signed in): book the slot
    named by the hidden field ``slot`` — a place, or a place on the waiting list when it is full."""
    now = _now()
    if request.method == "POST":
        return _book_slot(library_id, now)
    library = directory.get_public(library_id)
    days = slots.bookable_days(now)
    today = days[0]
    day = _day_arg() or today
    if not days[0] <= day <= days[-1]:
        day = today
    # Slots that have begun are left out: on a phone, today's list starts with what can be booked.
    day_slots = [s for s in slots.slots_for_day(library, day, now) if s.state != "started"]
    mine, suspension, upcoming = {}, None, 0
    if current_user.is_authenticated:
        first = start_of_local_day(day)
        mine = visit_lists.booked_slots(current_user.id, library.id, first, first + timedelta(days=1))
        suspension = visits.active_suspension(current_user.id, now)
        upcoming = visit_lists.upcoming_count(current_user.id, now)
    return render_template(
        "libraries/visit_book.html",
        title=_("Book a visit"),
        library=library,
        days=[(d, day_label(d, today)) for d in days],
        day=day,
        slots=day_slots,
        closure=slots.closure_reason(library.id, day) if any(s.state == "closed" for s in day_slots) else None,
        mine=mine,
        suspension=suspension,
        suspension_text=visits.suspended_message(suspension) if suspension else None,
        upcoming=upcoming,
        limit=current_app.config["LIBRARY_MAX_UPCOMING_VISITS"],
        days_ahead=current_app.config["LIBRARY_BOOK_DAYS_AHEAD"],
        slot_value=slot_value,
    )


def _book_slot(library_id: int, now: datetime):
    """Book the slot named by the form (signed in); the service loads the library (a 404 when it
    takes no bookings), once."""
    if not current_user.is_authenticated:
        directory.get_public(library_id)  # a library that does not exist: 404, not the sign-in page
        return login_manager.unauthorized()
    start = _slot_arg(request.form.get("slot"))
    back = url_for("libraries.book", library_id=library_id, day=local_today(start).isoformat() if start else None)

    def book_visit():  # what the answer shows, read before the commit expires the visit
        booking = visits.book(current_user, library_id, start, now)
        visit = booking.visit
        return visit.id, visit.status, visit.slot_start, visit.slot_end, booking.position, visit.library.name

    try:
        visit_id, status, slot_start, slot_end, position, library_name = commit_action(book_visit)
    except NotFound:
        raise
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(back, code=303)
    if status == "booked":
        flash(
            _(
                "Booked: %(library)s, %(when)s. Show the QR code or the code at the desk.",
                library=library_name,
                when=when_text(slot_start, slot_end),
            ),
            "success",
        )
    else:
        flash(
            _(
                "This slot is full: you are number %(position)d on the waiting list. If a place comes "
                "free it is yours at once, and we will tell you.",
                position=position or 0,
            ),
            "info",
        )
    return redirect(url_for("libraries.visit", visit_id=visit_id), code=303)


@bp.route("/visits/<int:visit_id>")
@login_required
def visit(visit_id: int):
    """One's own visit: its status and time, the QR code and the code while it can be used, the
    place in line while waiting, the way to cancel."""
    found = visits.visit_of(current_user, visit_id)
    now = _now()
    usable = found.status == "booked" and now < found.slot_end
    qr = None
    if usable:
        token = visit_desk.visit_token(found, now)
        qr = _qr_svg(_public_url("libraries_staff.checkin", library_id=found.library_id, code=token))
    return render_template(
        "libraries/visit_detail.html",
        title=_("My library visit"),
        visit=found,
        status_text=visits.status_label(found.status),
        position=visits.position_of(found),
        usable=usable,
        qr=qr,
        may_cancel=found.status in ("booked", "waiting") and now < found.slot_start,
    )


@bp.route("/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@login_required
@form_view
def cancel_visit(visit_id: int):
    """Cancelling asks first (a page, no script needed); the place goes to the first in line."""
    found = visits.visit_of(current_user, visit_id)
    form = ConfirmForm()
    if form.validate_on_submit() and save_form(form, lambda: visits.cancel(current_user, found.id, _now())):
        flash(_("Your booking has been cancelled."), "success")
        return redirect(url_for("libraries.visit", visit_id=found.id), code=303)
    return render_form(
        "libraries/visit_cancel.html",
        form,
        title=_("Cancel the booking"),
        visit=found,
        may_cancel=found.status in ("booked", "waiting") and _now() < found.slot_start,
    )


# --- Staff: check-in and the day's visits -----------------------------------------------------------


class CheckInForm(PortalForm):
    code = StringField(
        _l("Booking code"),
        validators=[
            DataRequired(message=_l("Type the 6-character code, or scan the QR code.")),
            Length(max=CODE_FIELD_MAX),
        ],
    )


staff_only = require_role("staff", "admin")


@staff_bp.route("/<int:library_id>/checkin", methods=["GET", "POST"])
@staff_only
@form_view
def checkin(library_id: int):
    """The desk: type the code (always works) or scan the QR code with the camera (checkin.js,
    where the browser has BarcodeDetector); the same form either way."""
    library = visit_desk.library_for_staff(current_user, library_id)
    form = CheckInForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args.get("code", "")[:CODE_FIELD_MAX]  # opened from the QR code's link
    if form.validate_on_submit():
        done = save_form(form, lambda: visit_desk.check_in(current_user, library.id, form.code.data, _now()))
        if done:
            flash(
                _(
                    "Checked in: %(name)s, %(when)s.",
                    name=mask_name(done.user.name),
                    when=when_text(done.slot_start, done.slot_end),
                ),
                "success",
            )
            return redirect(url_for("libraries_staff.checkin", library_id=library.id), code=303)
    return render_form(
        "libraries/checkin.html",
        form,
        title=_("Check visitors in"),
        library=library,
        recent=visit_desk.recent_check_ins(library.id, _now()),
        mask_name=mask_name,
    )


@staff_bp.route("/<int:library_id>/visits", endpoint="visits")
@staff_only
def visits_day(library_id: int):
    """A day's slots at the library: how many booked, waiting, checked in and missed, and who
    (names masked)."""
    library = visit_desk.library_for_staff(current_user, library_id)
    now = _now()
    today = local_today(now)
    day = _day_arg() or today
    if abs((day - today).days) > STAFF_DAYS_RANGE:
        raise InvalidInput(_l("Choose a day within a year of today."), field="day")
    return render_template(
        "libraries/visits_day.html",
        title=_("Visits"),
        library=library,
        day=day,
        day_text=day_label(day, today),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        board=visit_desk.day_board(library, day, now),
        closure=slots.closure_reason(library.id, day),
        status_label=visits.status_label,
    )
