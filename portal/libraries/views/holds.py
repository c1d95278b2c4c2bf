"""Reservations: a member reserves a title (to collect at the library or a partner rest station),
cancels, renews a loan; the library's staff see what to fetch and mark it ready."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import RadioField

from portal.core import capacity
from portal.core.forms import PortalForm, choices, form_view, render_form, save_form
from portal.core.i18n import fmt_date
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.isbn import format_isbn13
from portal.core.masking import mask_name
from portal.core.scope import require_role
from portal.core.time import local_today
from portal.core.validators import InvalidInput, parse_int
from portal.core.web import MAX_DB_INTEGER, commit_action, redirect_back
from portal.libraries.services import directory, hold_board, holds, loans
from portal.libraries.views.blueprint import bp, staff_bp
from portal.membership import services as membership

staff_only = require_role("staff", "admin")
AT_LIBRARY = "library"


class ReserveForm(PortalForm):
    pickup = RadioField(_l("Where will you collect it?"), default=AT_LIBRARY, validate_choice=False)


def mine_url() -> str | None:
    """The member's page of bookings, holds and loans (the lead's), once it exists."""
    return url_for("libraries.mine") if "libraries.mine" in current_app.view_functions else None


def _pickup_choice(value: str | None) -> int | None:
    if not value or value == AT_LIBRARY:
        return None
    try:
        return parse_int(value, low=1, high=MAX_DB_INTEGER, field="pickup")
    except InvalidInput:
        raise InvalidInput(_l("Choose the library or one of its partner rest stations."), field="pickup") from None


@bp.route("/entries/<int:book_id>/reserve", methods=["GET", "POST"])
@login_required
@form_view
def reserve(book_id: int):
    """预约借书: the title, where it is, how many wait; the pickup place; members reserve."""
    entry = holds.load_entry(book_id)
    library = entry.library
    stations = directory.partner_stations(library.id)
    form = ReserveForm()
    form.pickup.choices = choices([(AT_LIBRARY, library.name)] + [(str(s.id), s.name) for s in stations])
    if form.validate_on_submit():

        def work():
            return holds.reserve(current_user, entry.id, _pickup_choice(form.pickup.data))

        hold = save_form(form, work)
        if hold:
            if hold.status == "allocated":
                flash(_("Reserved: a copy is set aside for you. You will get a message when it is ready."), "success")
            else:
                position = capacity.position_in_line(hold.claim_id) or 1
                flash(_("Reserved: you are number %(position)d in line.", position=position), "success")
            return redirect(url_for("libraries.reserve", book_id=entry.id), code=303)
    mine = holds.mine_of(current_user, entry)
    copies, taken, waiting = capacity.counts(entry.pool_id)
    return render_form(
        "libraries/reserve.html",
        form,
        title=_("Reserve %(title)s", title=entry.title),
        entry=entry,
        isbn=format_isbn13(entry.isbn),
        library=library,
        stations=stations,
        copies=copies,
        free=max(copies - taken, 0),
        waiting=waiting,
        is_member=holds.may_reserve(current_user),
        open_application=membership.open_application(current_user),
        mine=mine,
        pickup=holds.pickup_name(mine.hold, {s.id: s.name for s in stations}) if mine.hold else None,
        collect_by=holds.last_collect_day(mine.hold) if mine.hold else None,
        mine_url=mine_url(),
    )


@bp.route("/holds/<int:hold_id>/cancel", methods=["POST"])
@login_required
def cancel_hold(hold_id: int):
    """Cancel one's own reservation, after a confirmation (data-confirm with JavaScript, a page
    of its own without)."""
    hold = holds.load_own_hold(current_user, hold_id)
    if request.form.get("confirmed") != "yes":
        return render_template(
            "libraries/hold_cancel.html",
            title=_("Cancel the reservation?"),
            hold=hold,
            back=url_for("libraries.reserve", book_id=hold.book_id),
        )
    commit_action(lambda: holds.cancel(current_user, hold.id))
    flash(_("Your reservation of %(title)s is cancelled.", title=hold.book.title), "success")
    return redirect(mine_url() or url_for("libraries.reserve", book_id=hold.book_id), code=303)


@bp.route("/loans/<int:loan_id>/renew", methods=["POST"])
@login_required
def renew_loan(loan_id: int):
    """The member renews their own loan (once, while nobody waits for the title)."""
    loan = commit_action(lambda: loans.renew(current_user, loan_id))
    flash(_("Renewed: %(title)s is now due on %(date)s.", title=loan.book.title, date=fmt_date(loan.due_on)), "success")
    return redirect_back("libraries.index") if not mine_url() else redirect(mine_url(), code=303)


# --- Staff ---------------------------------------------------------------------------------------


@staff_bp.route("/<int:library_id>/holds", endpoint="holds")
@staff_only
def holds_board(library_id: int):
    """What to fetch (by pickup place) with a 备好了 button, what waits to be collected, the queues."""
    library = directory.library_in_scope(current_user, library_id)
    board = hold_board.board(current_user, library.id)
    return render_template(
        "libraries/holds_staff.html",
        title=_("Reservations"),
        library=library,
        board=board,
        today=local_today(),
        mask_name=mask_name,
        format_isbn=format_isbn13,
        last_collect_day=holds.last_collect_day,
        section="holds",
    )


@staff_bp.route("/<int:library_id>/holds/<int:hold_id>/ready", methods=["POST"])
@staff_only
def hold_ready(library_id: int, hold_id: int):
    """备好了: the copy is at the pickup place; the member is told where and until when."""
    library = directory.library_in_scope(current_user, library_id)
    hold = commit_action(lambda: hold_board.mark_ready(current_user, hold_id, library_id=library.id))
    flash(
        _(
            "Ready: the member has been told to collect %(title)s at %(place)s by %(date)s.",
            title=hold.book.title,
            place=holds.pickup_name(hold),
            date=fmt_date(holds.last_collect_day(hold)),
        ),
        "success",
    )
    return redirect(url_for("libraries_staff.holds", library_id=library.id), code=303)
