"""The member's one page of the libraries: visits booked (and in line), reservations with their
place in the queue, and books on loan with their due dates."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from portal.core.db import utcnow
from portal.core.forms import ConfirmForm
from portal.core.i18n import gettext as _
from portal.core.time import local_today
from portal.libraries.services import holds, loans, visit_lists, visits
from portal.libraries.views.blueprint import bp


@bp.route("/mine")
@login_required
def mine():
    now = utcnow()
    suspension = visits.active_suspension(current_user.id, now)
    return render_template(
        "libraries/mine.html",
        title=_("My bookings and books"),
        visit_lines=visit_lists.visits_of(current_user, now),
        hold_lines=holds.holds_of(current_user),
        loan_lines=loans.loans_of(current_user, now=now),
        suspension=visits.suspended_message(suspension) if suspension else None,
        today=local_today(now),
        button=ConfirmForm(),
    )
