"""The desk's side of visits: the QR code a visit carries, checking a visitor in, and the day's
visits as the library's staff see them.

The rules, in domain words:

* A visit's QR code is a token signed with the site's key naming the visit and its code; it is
  good from the moment it is made until LIBRARY_BOOK_DAYS_AHEAD + 1 days later, so a code made at
  booking still works on the day. A forged, altered or expired one is refused.
* Staff of the library's part of the tree (else 404) check a visit in by its 6-character code
  (typed in either case, with spaces, hyphens or full-width characters) or its QR token (or the
  link a phone's camera app opened from it): a booking of this library, booked, from 30 minutes
  before its slot until the slot ends, once. Checking in gives the person's quota place back (the
  visit no longer counts as upcoming).
* The day board lists each slot with who booked, waits, came or did not come, names masked.

Check-in is a compare-and-set on the visit, in the lock order ``visits`` describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portal.core import audit, capacity, scope
from portal.core.db import utcnow
from portal.core.errors import Conflict, InvalidTransition, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import mask_name
from portal.core.time import local_today, start_of_local_day
from portal.core.validators import InvalidInput, fold_fullwidth
from portal.extensions import db
from portal.libraries.models import Library, LibraryVisit
from portal.libraries.services import slots
from portal.libraries.services.visits import CODE_ALPHABET, CODE_LENGTH, MAX_ID, local_moment

QR_SALT = "library-visit"
CHECK_IN_EARLY = timedelta(minutes=30)


# --- The QR code --------------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=QR_SALT)


def token_max_age() -> timedelta:
    """A QR code made when the visit was booked still works on the day of the visit."""
    return timedelta(days=current_app.config["LIBRARY_BOOK_DAYS_AHEAD"] + 1)


def visit_token(visit: LibraryVisit, now: datetime | None = None) -> str:
    """A signed token naming the visit (and its code), made at ``now``: what the QR code carries."""
    issued = int((now or utcnow()).timestamp())
    return _serializer().dumps([visit.id, visit.code, issued])


def read_token(token: str, now: datetime | None = None) -> tuple[int, str]:
    """(visit id, code) from a token; a forged, altered or expired one is refused."""
    now = now or utcnow()
    try:
        visit_id, code, issued = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise InvalidInput(_l("This QR code is not a valid library booking."), field="code") from None
    if not (isinstance(visit_id, int) and isinstance(code, str) and isinstance(issued, int)):
        raise InvalidInput(_l("This QR code is not a valid library booking."), field="code")
    if now - datetime.fromtimestamp(issued, UTC) > token_max_age():
        raise InvalidInput(
            _l("This QR code has expired. Ask the visitor to open the booking again, or type its code."),
            field="code",
        )
    return visit_id, code


# --- Check-in at the desk ------------------------------------------------------------------------------


def library_for_staff(staff, library_id: int) -> Library:
    """A library in the staff member's subtree (admins: any), else 404."""
    library = None
    if 0 < library_id <= MAX_ID:
        library = db.session.scalars(
            scope.scoped(select(Library).where(Library.id == library_id), staff, Library.union_id)
        ).first()
    if library is None:
        raise NotFound()
    return library


def normalise_code(raw: str | None) -> str:
    return fold_fullwidth(raw or "").replace(" ", "").replace("-", "").strip().upper()


def _visit_for(raw: str | None, now: datetime) -> LibraryVisit:
    text = fold_fullwidth(raw or "").strip()
    if "code=" in text:  # a phone's camera app opened the QR code's link: the token is in it
        text = (parse_qs(urlsplit(text).query).get("code") or [""])[0].strip()
    code = normalise_code(text)
    if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code):
        visit = db.session.scalars(select(LibraryVisit).where(LibraryVisit.code == code)).first()
    elif 20 <= len(text) <= 400:
        visit_id, code = read_token(text, now)
        visit = db.session.scalars(
            select(LibraryVisit).where(LibraryVisit.id == visit_id, LibraryVisit.code == code)
        ).first()
    else:
        raise InvalidInput(_l("Type the 6-character code of the booking, or scan its QR code."), field="code")
    if visit is None:
        raise InvalidInput(_l("No booking has this code. Please check it and try again."), field="code")
    return visit


def check_in(staff, library_id: int, code_or_token: str | None, now: datetime | None = None) -> LibraryVisit:
    """Check a visitor in by the booking's code or QR token: staff of the library's part of the
    tree (else 404), a booking of this library, booked, from 30 minutes before its slot until the
    slot ends, once. The person's quota place is given back (the visit no longer counts as upcoming)."""
    now = now or utcnow()
    library = library_for_staff(staff, library_id)
    visit = _visit_for(code_or_token, now)
    if visit.library_id != library.id:
        raise InvalidInput(_l("This booking is for another library."), field="code")
    if visit.status == "checked_in":
        raise Conflict(
            _l("Already checked in at %(time)s.", time=local_moment(visit.checked_in_at or now)), field="code"
        )
    refusals = {
        "waiting": _l("This person is on the waiting list and has no place in this slot."),
        "cancelled": _l("This booking was cancelled."),
        "no_show": _l("This booking was marked as missed: the visitor did not come in time."),
        "lapsed": _l("This person was still on the waiting list when the slot began."),
    }
    if visit.status in refusals:
        raise InvalidTransition(refusals[visit.status], field="code")
    if now < visit.slot_start - CHECK_IN_EARLY:
        raise InvalidTransition(
            _l(
                "Too early: check-in opens 30 minutes before the slot, at %(time)s.",
                time=local_moment(visit.slot_start - CHECK_IN_EARLY),
            ),
            field="code",
        )
    if now >= visit.slot_end:
        raise InvalidTransition(_l("This slot is over."), field="code")
    changed = db.session.execute(
        update(LibraryVisit)
        .where(LibraryVisit.id == visit.id, LibraryVisit.status == "booked")
        .values(status="checked_in", checked_in_at=now, checked_in_by_id=staff.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # another desk was quicker
        raise Conflict(_l("Already checked in."), field="code")
    if visit.quota_claim_id is not None:
        capacity.release(visit.quota_claim_id)
    db.session.refresh(visit)
    audit.record("library_visit.checked_in", visit, actor=staff, union_id=library.union_id, to_state="checked_in")
    return visit


def recent_check_ins(library_id: int, now: datetime | None = None, *, limit: int = 10) -> list[LibraryVisit]:
    """Today's check-ins at the library, the latest first (the desk's list)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(LibraryVisit)
            .where(
                LibraryVisit.library_id == library_id,
                LibraryVisit.status == "checked_in",
                LibraryVisit.checked_in_at >= start_of_local_day(local_today(now)),
            )
            .options(joinedload(LibraryVisit.user))
            .order_by(LibraryVisit.checked_in_at.desc(), LibraryVisit.id.desc())
            .limit(limit)
        )
    )


@dataclass
class BoardSlot:
    """One slot of a day, as the library's staff see it: names masked."""

    start: datetime
    end: datetime
    capacity: int
    people: dict[str, list[str]]  # status → masked names, in booking (or line) order

    def count(self, status: str) -> int:
        return len(self.people.get(status, ()))


def day_board(library: Library, day: date, now: datetime | None = None) -> list[BoardSlot]:
    """The day's slots with who booked, waits, came or did not come (names masked)."""
    now = now or utcnow()
    board = {s.start: BoardSlot(s.start, s.end, s.capacity, {}) for s in slots.slots_for_day(library, day, now)}
    first = start_of_local_day(day)
    rows = db.session.scalars(
        select(LibraryVisit)
        .where(
            LibraryVisit.library_id == library.id,
            LibraryVisit.slot_start >= first,
            LibraryVisit.slot_start < first + timedelta(days=1),
            LibraryVisit.status != "cancelled",
        )
        .options(joinedload(LibraryVisit.user))
        .order_by(LibraryVisit.slot_start, LibraryVisit.claim_id)
    )
    for visit in rows:
        entry = board.setdefault(
            visit.slot_start, BoardSlot(visit.slot_start, visit.slot_end, library.places_per_slot, {})
        )
        entry.people.setdefault(visit.status, []).append(mask_name(visit.user.name))
    return [board[start] for start in sorted(board)]


__all__ = [
    "BoardSlot",
    "check_in",
    "day_board",
    "library_for_staff",
    "normalise_code",
    "read_token",
    "recent_check_ins",
    "token_max_age",
    "visit_token",
]
