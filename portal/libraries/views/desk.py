"""The staff desk on a phone: lend (the member card's QR or the member number, then each book's
ISBN), take books back, renew; and the overdue list with phones for a reminder call.

Every field is a plain text input that works typed; ``static/js/desk-scan.js`` adds a camera button
where the browser has a BarcodeDetector. The member being served is remembered in the (signed)
session for a while, so that several books are lent or returned after one scan of the card.
"""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from portal.accounts import services as accounts
from portal.core import audit
from portal.core.forms import PortalForm, form_view, render_form, save_form
from portal.core.i18n import fmt_date
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.isbn import format_isbn13
from portal.core.masking import mask_name, mask_phone
from portal.core.scope import require_role
from portal.core.time import local_today
from portal.core.validators import InvalidInput, parse_int
from portal.core.web import MAX_DB_INTEGER, write_during_read
from portal.libraries.services import directory, loans
from portal.libraries.views.blueprint import staff_bp
from portal.membership import services as membership

staff_only = require_role("staff", "admin")
READER_KEY = "library_desk"
READER_MINUTES = 20  # the member at the desk is forgotten after this long without an action


class DeskForm(PortalForm):
    action = HiddenField()
    member = StringField(_l("Member card or member number"), validators=[Optional(), Length(max=600)])
    isbn = StringField(_l("ISBN"), validators=[Optional(), Length(max=40)])
    loan_id = HiddenField()


def _reader(library_id: int):
    """The member being served at this library's desk (remembered in the session), or None."""
    kept = session.get(READER_KEY)
    if not isinstance(kept, list) or len(kept) != 3 or kept[0] != library_id:
        return None
    _library, user_id, at = kept
    if not isinstance(user_id, int) or not isinstance(at, int | float) or time.time() - at > READER_MINUTES * 60:
        session.pop(READER_KEY, None)
        return None
    user = accounts.get_user(user_id)
    if user is None or not _is_member(user):
        session.pop(READER_KEY, None)
        return None
    return user


def _keep_reader(library_id: int, user) -> None:
    session[READER_KEY] = [library_id, user.id, int(time.time())]


def _is_member(user) -> bool:
    found = membership.membership_of(user)
    return found is not None and found.is_active


def _member_from(text: str | None):
    """The member a scanned card or a typed member number names; InvalidInput on the field otherwise."""
    found = membership.membership_at_desk(text)
    if found is None:
        raise InvalidInput(
            _l(
                "No active member has this card or member number. A card's code is valid for a day: "
                "ask the member to open their card again."
            ),
            field="member",
        )
    return found.user


def _loan_id(value: str | None) -> int:
    try:
        return parse_int(value, low=1, high=MAX_DB_INTEGER, field="isbn")
    except InvalidInput:
        raise InvalidInput(_l("Choose a loan from the list."), field="isbn") from None


def _act(form: DeskForm, library, reader):
    """Run the desk action the form names; returns (message, reader to keep) or raises DomainError."""
    action = form.action.data
    typed_member = (form.member.data or "").strip()
    member = _member_from(typed_member) if typed_member else reader
    if action == "find":
        if not typed_member:
            raise InvalidInput(_l("Scan the member card or type the member number."), field="member")
        return None, member
    if action == "lend":
        if member is None:
            raise InvalidInput(_l("Scan the member card or type the member number first."), field="member")
        if not (form.isbn.data or "").strip():
            if typed_member:  # the card alone: show the reader's loans and reservations first
                return None, member
            raise InvalidInput(_l("Scan or type the book's ISBN."), field="isbn")
        loan = loans.lend(current_user, library.id, member, form.isbn.data or "")
        return _("Lent: %(title)s, due on %(date)s.", title=loan.book.title, date=fmt_date(loan.due_on)), member
    if action == "return":
        if form.loan_id.data:
            returned = loans.return_loan(current_user, library.id, loan_id=_loan_id(form.loan_id.data))
        else:
            if not (form.isbn.data or "").strip():
                raise InvalidInput(_l("Scan or type the book's ISBN."), field="isbn")
            returned = loans.return_loan(current_user, library.id, isbn=form.isbn.data, member_user=member)
        message = _("Returned: %(title)s.", title=returned.loan.book.title)
        if returned.allocated:
            message += " " + _("It is reserved: put it aside for the next reader (see Reservations).")
        return message, member
    if action == "renew":
        loan = loans.renew(current_user, _loan_id(form.loan_id.data), library_id=library.id)
        return _(
            "Renewed: %(title)s is now due on %(date)s.", title=loan.book.title, date=fmt_date(loan.due_on)
        ), member
    raise InvalidInput(_l("Choose what to do."))


@staff_bp.route("/<int:library_id>/desk", methods=["GET", "POST"])
@staff_only
@form_view
def desk(library_id: int):
    library = directory.library_in_scope(current_user, library_id)
    reader = _reader(library.id)
    form = DeskForm()
    if request.method == "POST" and form.validate_on_submit():
        if form.action.data == "clear":
            session.pop(READER_KEY, None)
            return redirect(url_for("libraries_staff.desk", library_id=library.id), code=303)
        done = save_form(form, lambda: _act(form, library, reader))
        if done:
            message, served = done if isinstance(done, tuple) else (None, reader)
            if served is not None:
                _keep_reader(library.id, served)
            if message:
                flash(message, "success")
            return redirect(url_for("libraries_staff.desk", library_id=library.id), code=303)
    if reader is not None:
        _keep_reader(library.id, reader)  # still at the desk
    today = local_today()
    out, late = loans.counts_at(current_user, library.id, today)
    reader_membership = membership.membership_of(reader) if reader is not None else None
    return render_form(
        "libraries/desk.html",
        form,
        title=_("Lend and return"),
        library=library,
        reader=reader,
        reader_name=mask_name(reader.name) if reader is not None else "",
        reader_number=_mask_number(reader_membership.member_number) if reader_membership else "",
        loans=loans.loans_at(current_user, library.id, reader) if reader is not None else [],
        to_collect=loans.holds_to_collect(current_user, library.id, reader) if reader is not None else [],
        out=out,
        late=late,
        today=today,
        format_isbn=format_isbn13,
        section="desk",
    )


def _mask_number(number: str) -> str:
    return number[:2] + "*" * max(len(number) - 6, 0) + number[-4:] if len(number) > 6 else number


@staff_bp.route("/<int:library_id>/overdue")
@staff_only
def overdue(library_id: int):
    """Loans past their due date, longest first: masked names, and the phone for a reminder call
    (each showing of the list is logged, as any staff view of phone numbers is)."""
    library = directory.library_in_scope(current_user, library_id)
    today = local_today()
    late = loans.overdue(current_user, library.id, today)
    if late:
        count = len(late)
        write_during_read(
            lambda: audit.record(
                "sensitive.phone_viewed",
                library,
                actor=current_user,
                union_id=library.union_id,
                note=f"overdue loans: {count}",
            )
        )
        late = loans.overdue(current_user, library.id, today)  # read again after that commit
    rows = [
        {
            "loan": loan,
            "name": mask_name(loan.user.name),
            "phone": loan.user.phone,
            "phone_masked": mask_phone(loan.user.phone),
            "days": (today - loan.due_on).days,
        }
        for loan in late
    ]
    return render_template(
        "libraries/overdue.html",
        title=_("Overdue loans"),
        library=library,
        rows=rows,
        today=today,
        format_isbn=format_isbn13,
        section="overdue",
    )
