"""Booking a visit, each refusal with its reason, the waiting list and its promotion, cancelling
until the slot begins, the booking's code and signed QR token, and check-in by the library's own
staff only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.accounts.models import User
from portal.core import capacity
from portal.core.capacity import CapacityClaim, CapacityPool
from portal.core.errors import CapacityFull, Conflict, DomainError, InvalidTransition, NotAllowed, NotFound
from portal.core.notify import Message
from portal.core.time import CalendarDay
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.libraries.models import Library, LibraryClosure, LibrarySuspension, LibraryVisit
from portal.libraries.services import slots, visit_desk, visit_lists, visits

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2027, 3, 8)
NOW = datetime(2027, 3, 8, 7, 0, tzinfo=SHANGHAI).astimezone(UTC)  # Monday 07:00 in Beijing


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


NINE = at(MONDAY, 9)
TEN = at(MONDAY, 10)


class World:
    def __init__(self, make_library, readers):
        self.make_library = make_library
        self.people = readers
        self.library_id = self.library(places_per_slot=2)

    def library(self, **fields) -> int:
        library_id = self.make_library(**fields)
        db.session.commit()
        return library_id

    def user(self, key: str) -> User:
        return db.session.get(User, self.people[key].id)

    def book(self, key: str, start: datetime = NINE, *, library_id: int | None = None, now: datetime = NOW):
        booking = visits.book(self.user(key), library_id or self.library_id, start, now)
        db.session.commit()
        return booking

    def refusal(self, key: str, start: datetime, *, library_id: int | None = None, now: datetime = NOW):
        with pytest.raises(DomainError) as caught:
            visits.book(self.user(key), library_id or self.library_id, start, now)
        db.session.rollback()
        return caught.value


@pytest.fixture
def w(ctx, make_library, readers):
    with force_locale("en"):  # refusals are matched by their English text (the message ids)
        yield World(make_library, readers)


# --- Booking -----------------------------------------------------------------------------------------


def test_a_free_place_is_booked_with_a_six_character_code(w):
    booking = w.book("member")
    visit = booking.visit
    assert visit.status == "booked" and booking.position is None
    assert (visit.slot_start, visit.slot_end) == (NINE, TEN)
    assert len(visit.code) == 6 and set(visit.code) <= set(visits.CODE_ALPHABET)
    assert not set(visit.code) & set("0O1IL")
    pool_id = db.session.scalar(select(CapacityPool.id).where(CapacityPool.key == slots.pool_key(w.library_id, NINE)))
    assert capacity.counts(pool_id) == (2, 1, 0)


def test_codes_are_unique_even_when_the_first_one_drawn_is_taken(w, monkeypatch):
    first = w.book("member").visit
    drawn = iter([first.code, first.code, "ZZZZZ9"])
    monkeypatch.setattr(visits, "new_code", lambda: next(drawn))
    second = w.book("member2").visit
    assert second.code == "ZZZZZ9"


def test_a_full_slot_puts_people_on_the_waiting_list_in_order(w):
    w.book("member")
    w.book("member2")
    third = w.book("member3")
    worker = w.book("worker")
    assert (third.visit.status, third.position) == ("waiting", 1)
    assert (worker.visit.status, worker.position) == ("waiting", 2)
    assert visits.position_of(worker.visit) == 2


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (at(MONDAY, 9, 30), "no slot at that time"),  # not a slot's start
        (at(MONDAY, 21), "no slot at that time"),  # after closing
        (at(MONDAY + timedelta(days=8), 9), "at most 7 days ahead"),
        (datetime(9999, 12, 31, 23, 0, tzinfo=UTC), "at most 7 days ahead"),  # no Beijing date: no error
        (datetime(2000, 1, 1, tzinfo=UTC), "already begun"),
        (datetime(2027, 3, 8, 9, 0), "choose a slot"),  # naive: not a moment
    ],
)
def test_a_slot_that_cannot_be_booked_is_refused_with_its_reason(w, start, message):
    refusal = w.refusal("member", start)
    assert message in str(refusal.message)


def test_a_slot_that_has_begun_is_refused(w):
    refusal = w.refusal("member", NINE, now=at(MONDAY, 9, 1))
    assert isinstance(refusal, InvalidInput) and "already begun" in str(refusal.message)


def test_the_last_day_ahead_is_bookable_and_the_next_is_not(w):
    last = MONDAY + timedelta(days=7)
    assert w.book("member", at(last, 9)).visit.status == "booked"
    assert "at most 7 days ahead" in str(w.refusal("member2", at(last + timedelta(days=1), 9)).message)


def test_closure_days_and_public_holidays_are_refused(w):
    db.session.add(LibraryClosure(library_id=w.library_id, day=MONDAY, reason="盘点"))
    db.session.add(CalendarDay(day=MONDAY + timedelta(days=1), kind="holiday", name="测试节"))
    db.session.commit()
    assert "closed that day" in str(w.refusal("member", NINE).message)
    assert "closed that day" in str(w.refusal("member", at(MONDAY + timedelta(days=1), 9)).message)


def test_an_inactive_or_unknown_library_takes_no_bookings(w):
    db.session.get(Library, w.library_id).is_active = False
    db.session.commit()
    assert isinstance(w.refusal("member", NINE), NotFound)
    assert isinstance(w.refusal("member", NINE, library_id=2**31 - 1), NotFound)


def test_booking_the_same_slot_twice_is_a_conflict(w):
    w.book("member")
    refusal = w.refusal("member", NINE)
    assert isinstance(refusal, Conflict) and "already booked this slot" in str(refusal.message)
    w.book("member2")
    w.book("member3")  # waiting
    refusal = w.refusal("member3", NINE)
    assert isinstance(refusal, Conflict)


def test_at_most_two_upcoming_visits_booked_or_waiting(w):
    w.book("member", NINE)
    w.book("member2", TEN)
    w.book("member3", TEN)
    w.book("member", TEN)  # waiting: counts too
    refusal = w.refusal("member", at(MONDAY, 11))
    assert isinstance(refusal, CapacityFull) and "already have 2 upcoming library visits" in str(refusal.message)
    assert db.session.scalar(select(LibraryVisit.id).where(LibraryVisit.slot_start == at(MONDAY, 11))) is None


def test_the_limit_follows_the_configuration(app, w):
    w.book("member", NINE)
    w.book("member", TEN)
    app.config["LIBRARY_MAX_UPCOMING_VISITS"] = 3
    try:
        assert w.book("member", at(MONDAY, 11)).visit.status == "booked"
        app.config["LIBRARY_MAX_UPCOMING_VISITS"] = 1
        refusal = w.refusal("member", at(MONDAY, 12))
        assert "already have 1 upcoming library visits" in str(refusal.message)
    finally:
        app.config["LIBRARY_MAX_UPCOMING_VISITS"] = 2


def test_a_suspended_person_is_told_until_when(w):
    ends = datetime(2027, 3, 12, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
    db.session.add(
        LibrarySuspension(user_id=w.people["member"].id, starts_at=NOW - timedelta(days=2), ends_at=ends, no_shows=3)
    )
    db.session.commit()
    refusal = w.refusal("member", NINE)
    assert isinstance(refusal, NotAllowed)
    assert "until 2027-03-12 09:30 (Beijing time)" in str(refusal.message)
    assert w.book("member", at(MONDAY + timedelta(days=4), 10), now=ends).visit.status == "booked"  # over


# --- Cancelling and the waiting list ------------------------------------------------------------------


def test_cancelling_gives_the_place_to_the_first_in_line_who_is_told(w):
    first = w.book("member").visit
    w.book("member2")
    waiting = w.book("member3").visit
    later = w.book("worker").visit
    visits.cancel(w.user("member"), first.id, NOW)
    db.session.commit()
    assert db.session.get(LibraryVisit, first.id).status == "cancelled"
    assert db.session.get(LibraryVisit, waiting.id).status == "booked"
    assert db.session.get(LibraryVisit, later.id).status == "waiting"
    assert visits.position_of(db.session.get(LibraryVisit, later.id)) == 1
    (message,) = db.session.scalars(
        select(Message).where(Message.user_id == w.people["member3"].id, Message.template.like("library.%"))
    ).all()
    assert message.template == "library.visit_promoted"
    assert message.link == f"/libraries/visits/{waiting.id}"
    assert waiting.code in message.body and "2027-03-08 09:00–10:00" in message.body
    assert not db.session.scalars(
        select(Message).where(Message.user_id == w.people["worker"].id, Message.template.like("library.%"))
    ).all()


def test_leaving_the_waiting_list_moves_nobody_up_and_frees_the_quota(w):
    w.book("member")
    w.book("member2")
    waiting = w.book("member3").visit
    visits.cancel(w.user("member3"), waiting.id, NOW)
    db.session.commit()
    claim = db.session.get(CapacityClaim, waiting.quota_claim_id)
    assert claim.status == "released"
    w.book("member3", TEN)
    w.book("member3", at(MONDAY, 11))  # two upcoming again: the cancelled one no longer counts


def test_a_booking_can_be_cancelled_only_until_the_slot_begins(w):
    visit = w.book("member").visit
    with pytest.raises(InvalidTransition, match="only until it begins"):
        visits.cancel(w.user("member"), visit.id, NINE)
    db.session.rollback()
    visits.cancel(w.user("member"), visit.id, NINE - timedelta(seconds=1))
    db.session.commit()
    with pytest.raises(InvalidTransition):
        visits.cancel(w.user("member"), visit.id, NOW)  # twice


def test_someone_elses_visit_does_not_exist_for_them(w):
    visit = w.book("member").visit
    with pytest.raises(NotFound):
        visits.cancel(w.user("member2"), visit.id, NOW)
    with pytest.raises(NotFound):
        visits.visit_of(w.user("member2"), visit.id)


def test_my_visits_list_upcoming_first_then_recent_ones(w):
    later = w.book("member", at(MONDAY + timedelta(days=1), 9)).visit
    sooner = w.book("member", NINE).visit
    visits.cancel(w.user("member"), later.id, NOW)
    db.session.commit()
    lines = visit_lists.visits_of(w.user("member"), NOW)
    assert [(line.visit.id, line.upcoming) for line in lines] == [(sooner.id, True), (later.id, False)]
    assert lines[1].status_label == "Cancelled"


# --- The QR code and check-in -------------------------------------------------------------------------


def test_staff_check_in_by_typed_code_once(w):
    visit = w.book("member").visit
    county = w.user("county")
    typed = " " + visit.code.lower()[:3] + "-" + visit.code[3:] + " "  # as someone types it
    done = visit_desk.check_in(county, w.library_id, typed, at(MONDAY, 8, 45))
    db.session.commit()
    assert done.status == "checked_in" and done.checked_in_by_id == county.id
    assert db.session.get(CapacityClaim, visit.quota_claim_id).status == "released"  # no longer upcoming
    with pytest.raises(Conflict, match="Already checked in at 2027-03-08 08:45"):
        visit_desk.check_in(county, w.library_id, visit.code, at(MONDAY, 8, 50))


def test_check_in_by_the_signed_qr_token_or_the_link_it_carries(w):
    visit = w.book("member").visit
    token = visit_desk.visit_token(visit, NOW)
    link = f"https://example.org/staff/libraries/{w.library_id}/checkin?code={token}"
    assert visit_desk.check_in(w.user("admin"), w.library_id, link, at(MONDAY, 9, 5)).status == "checked_in"


def test_a_tampered_or_expired_qr_token_is_refused(w):
    visit = w.book("member").visit
    token = visit_desk.visit_token(visit, NOW)
    county = w.user("county")
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    with pytest.raises(InvalidInput, match="not a valid library booking"):
        visit_desk.check_in(county, w.library_id, tampered, at(MONDAY, 9))
    forged = visit_desk.URLSafeTimedSerializer("another-secret", salt="library-visit").dumps([visit.id, visit.code, 0])
    with pytest.raises(InvalidInput, match="not a valid library booking"):
        visit_desk.check_in(county, w.library_id, forged, at(MONDAY, 9))
    old = visit_desk.visit_token(visit, NOW - timedelta(days=9))
    with pytest.raises(InvalidInput, match="expired"):
        visit_desk.check_in(county, w.library_id, old, at(MONDAY, 9))
    assert db.session.get(LibraryVisit, visit.id).status == "booked"


def test_a_token_naming_another_visit_with_a_wrong_code_finds_nothing(w):
    visit = w.book("member").visit
    other = w.book("member2").visit
    token = visit_desk._serializer().dumps([other.id, visit.code, int(NOW.timestamp())])
    with pytest.raises(InvalidInput, match="No booking has this code"):
        visit_desk.check_in(w.user("county"), w.library_id, token, at(MONDAY, 9))


def test_only_staff_of_the_librarys_part_of_the_tree_check_in(w):
    visit = w.book("member").visit
    for key in ("county_other", "grassroots", "member2", "worker"):
        with pytest.raises(NotFound):
            visit_desk.check_in(w.user(key), w.library_id, visit.code, at(MONDAY, 9))
    assert db.session.get(LibraryVisit, visit.id).status == "booked"


def test_a_booking_of_another_library_is_refused_at_this_desk(w):
    other_library = w.library()
    visit = w.book("member", library_id=other_library).visit
    with pytest.raises(InvalidInput, match="another library"):
        visit_desk.check_in(w.user("county"), w.library_id, visit.code, at(MONDAY, 9))


@pytest.mark.parametrize(
    ("moment", "message"),
    [(at(MONDAY, 8, 29), "check-in opens 30 minutes before the slot, at 2027-03-08 08:30"), (TEN, "slot is over")],
)
def test_check_in_opens_half_an_hour_before_the_slot_and_closes_at_its_end(w, moment, message):
    visit = w.book("member").visit
    with pytest.raises(InvalidTransition, match=message):
        visit_desk.check_in(w.user("county"), w.library_id, visit.code, moment)


def test_people_waiting_or_cancelled_are_not_checked_in(w):
    w.book("member")
    w.book("member2")
    waiting = w.book("member3").visit
    with pytest.raises(InvalidTransition, match="waiting list"):
        visit_desk.check_in(w.user("county"), w.library_id, waiting.code, NINE)
    visits.cancel(w.user("member3"), waiting.id, NOW)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="cancelled"):
        visit_desk.check_in(w.user("county"), w.library_id, waiting.code, NINE)


def test_unreadable_input_says_what_to_type(w):
    with pytest.raises(InvalidInput, match="6-character code"):
        visit_desk.check_in(w.user("county"), w.library_id, "12", NINE)
    with pytest.raises(InvalidInput, match="No booking has this code"):
        visit_desk.check_in(w.user("county"), w.library_id, "ABCDEF", NINE)
