"""Loans at the desk: lending with and without a reservation, no copy when all are lent or set
aside, returns that pass the copy to the line, one renewal only while nobody waits, the overdue list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound as HTTPNotFound

from portal.core import capacity
from portal.core.errors import CapacityFull, Conflict, InvalidTransition, NotFound
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.libraries.models import LibraryBook, LibraryHold, LibraryLoan
from portal.libraries.services import hold_board, holds, loans
from tests.libraries.test_holds import NOW, fresh, messages_of, partner_station, person, reserve


@pytest.fixture(autouse=True)
def _english_messages(request):
    """Refusals are matched by their English text (the message ids), whatever the default language
    (inside the test's own application context, when it has one)."""
    from flask_babel import force_locale

    if "ctx" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("ctx")
    with force_locale("en"):
        yield


ISBN = "9787530216781"  # a valid ISBN-13


@pytest.fixture
def shelf(make_library, make_entry):
    """A library of 香坊区 (county_a1) holding one copy of 平凡的世界 (ISBN above)."""
    library_id = make_library()
    book_id = make_entry(library_id, "平凡的世界", isbn=ISBN, copies=1, author="路遥")
    fresh()
    return library_id, book_id


def lend(readers, library_id, who="member", isbn=ISBN, now=NOW) -> LibraryLoan:
    loan = loans.lend(person(readers["county"]), library_id, person(readers[who]), isbn, now=now)
    db.session.commit()
    return loan


def pool_of(book_id: int) -> int:
    return db.session.get(LibraryBook, book_id).pool_id


# --- Lending -------------------------------------------------------------------------------------------


def test_lending_without_a_reservation_takes_a_free_copy_due_in_thirty_days(ctx, readers, shelf):
    library_id, book_id = shelf
    loan = lend(readers, library_id, isbn="978-7-5302-1678-1")  # as typed, hyphens and all
    assert loan.book_id == book_id and loan.hold_id is None
    assert loan.due_on == date(2027, 1, 6)  # 7 December (Harbin) + 30 days
    assert loan.lent_by_id == readers["county"].id
    assert capacity.counts(pool_of(book_id)) == (1, 1, 0)
    (message,) = messages_of(readers["member"], "library_loan.lent")
    assert (message.params["year"], message.params["month"], message.params["day"]) == (2027, 1, 6)


def test_lending_to_a_member_whose_reservation_is_ready_collects_it_and_keeps_its_copy(ctx, readers, shelf):
    library_id, book_id = shelf
    hold = reserve(readers["member"], book_id)
    hold_board.mark_ready(person(readers["county"]), hold.id, now=NOW)
    db.session.commit()
    loan = lend(readers, library_id)
    db.session.refresh(hold)
    assert hold.status == "collected" and hold.closed_at == NOW
    assert (loan.hold_id, loan.claim_id) == (hold.id, hold.claim_id)
    assert capacity.counts(pool_of(book_id)) == (1, 1, 0)  # the same copy, not a second one


def test_a_reservation_still_being_prepared_can_be_collected_too(ctx, readers, shelf):
    library_id, book_id = shelf
    hold = reserve(readers["member"], book_id)
    loan = lend(readers, library_id)
    assert loan.hold_id == hold.id and db.session.get(LibraryHold, hold.id).status == "collected"


def test_collecting_at_a_partner_rest_station(app, ctx, readers, shelf, add_stations):
    library_id, book_id = shelf
    station_id = partner_station(app, add_stations, library_id, readers["county"])
    hold = reserve(readers["member"], book_id, station_id)
    hold_board.mark_ready(person(readers["county"]), hold.id, now=NOW)
    db.session.commit()
    assert messages_of(readers["member"], "library_hold.ready")[0].params["place"] == "驿站0"
    (line,) = holds.holds_of(person(readers["member"]))
    assert line.pickup == "驿站0" and line.collect_by == date(2026, 12, 10)
    loan = lend(readers, library_id, now=NOW + timedelta(days=1))  # handed over at the station
    assert loan.hold_id == hold.id and db.session.get(LibraryHold, hold.id).status == "collected"
    assert holds.holds_of(person(readers["member"])) == []


def test_no_copy_is_free_when_all_are_set_aside_for_reservations(ctx, readers, shelf):
    library_id, book_id = shelf
    reserve(readers["member"], book_id)  # the only copy is set aside for them
    with pytest.raises(CapacityFull) as refused:
        loans.lend(person(readers["county"]), library_id, person(readers["member2"]), ISBN, now=NOW)
    assert "set aside for reservations" in str(refused.value.message) and refused.value.field == "isbn"
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(LibraryLoan.id))) == 0
    assert capacity.counts(pool_of(book_id)) == (1, 1, 0)


def test_a_member_in_line_cannot_borrow_ahead_of_the_line(ctx, readers, shelf):
    library_id, book_id = shelf
    reserve(readers["member"], book_id)
    reserve(readers["member2"], book_id)
    with pytest.raises(CapacityFull) as refused:
        loans.lend(person(readers["county"]), library_id, person(readers["member2"]), ISBN, now=NOW)
    assert "number 1 in line" in str(refused.value.message)


def test_the_same_member_cannot_borrow_the_same_title_twice(ctx, readers, make_library, make_entry):
    library_id = make_library()
    make_entry(library_id, "平凡的世界", isbn=ISBN, copies=2)
    fresh()
    lend(readers, library_id)
    with pytest.raises(Conflict):
        loans.lend(person(readers["county"]), library_id, person(readers["member"]), ISBN, now=NOW)


def test_lending_refuses_unknown_books_bad_isbns_and_non_members(ctx, readers, shelf):
    library_id, _book_id = shelf
    staff, member = person(readers["county"]), person(readers["member"])
    with pytest.raises(InvalidInput) as refused:
        loans.lend(staff, library_id, member, "9787020002207", now=NOW)  # valid, not in this catalogue
    assert refused.value.field == "isbn" and "no book with this ISBN" in str(refused.value.message)
    with pytest.raises(InvalidInput) as refused:
        loans.lend(staff, library_id, member, "9787530216782", now=NOW)  # wrong check digit
    assert refused.value.field == "isbn"
    with pytest.raises(InvalidInput) as refused:
        loans.lend(staff, library_id, person(readers["worker"]), ISBN, now=NOW)
    assert refused.value.field == "member"


def test_staff_lend_only_at_libraries_in_their_subtree(ctx, readers, shelf):
    library_id, _book_id = shelf
    with pytest.raises(HTTPNotFound):
        loans.lend(person(readers["county_other"]), library_id, person(readers["member"]), ISBN, now=NOW)


# --- Returning -----------------------------------------------------------------------------------------


def test_a_returned_copy_goes_to_the_first_in_line_who_is_told(ctx, readers, shelf):
    library_id, book_id = shelf
    loan = lend(readers, library_id)
    first = reserve(readers["member2"], book_id)
    second = reserve(readers["member3"], book_id)
    returned = loans.return_loan(person(readers["county"]), library_id, loan_id=loan.id, now=NOW + timedelta(days=5))
    db.session.commit()
    assert returned.loan.returned_at == NOW + timedelta(days=5)
    assert [h.id for h in returned.allocated] == [first.id]
    assert db.session.get(LibraryHold, first.id).status == "allocated"
    assert messages_of(readers["member2"], "library_hold.allocated")
    assert [line.position for line in holds.holds_of(person(readers["member3"]))] == [1]
    assert db.session.get(LibraryHold, second.id).status == "queued"
    with pytest.raises(InvalidTransition):  # returning twice
        loans.return_loan(person(readers["county"]), library_id, loan_id=loan.id, now=NOW)


def test_a_return_by_isbn_names_the_member_when_several_have_the_title(ctx, readers, make_library, make_entry):
    library_id = make_library()
    make_entry(library_id, "平凡的世界", isbn=ISBN, copies=2)
    fresh()
    lend(readers, library_id, "member")
    lend(readers, library_id, "member2")
    staff = person(readers["county"])
    with pytest.raises(InvalidInput) as refused:
        loans.return_loan(staff, library_id, isbn=ISBN, now=NOW)
    assert refused.value.field == "member"
    db.session.rollback()
    returned = loans.return_loan(staff, library_id, isbn=ISBN, member_user=person(readers["member2"]), now=NOW)
    db.session.commit()
    assert returned.loan.user_id == readers["member2"].id
    returned = loans.return_loan(staff, library_id, isbn=ISBN, now=NOW)  # only one left out: the ISBN is enough
    assert returned.loan.user_id == readers["member"].id


# --- Renewing ------------------------------------------------------------------------------------------


def test_a_loan_is_renewed_once_for_another_thirty_days(ctx, readers, shelf):
    library_id, _book_id = shelf
    loan = lend(readers, library_id)
    loans.renew(person(readers["member"]), loan.id, now=NOW)
    db.session.commit()
    assert (loan.renewals, loan.due_on) == (1, date(2027, 2, 5))
    with pytest.raises(InvalidTransition) as refused:
        loans.renew(person(readers["member"]), loan.id, now=NOW)
    assert "renewed already" in str(refused.value.message)


def test_renewal_is_refused_while_someone_waits_for_the_title(ctx, readers, shelf):
    library_id, book_id = shelf
    loan = lend(readers, library_id)
    reserve(readers["member2"], book_id)
    (line,) = loans.loans_of(person(readers["member"]))
    assert not line.renewable
    with pytest.raises(InvalidTransition) as refused:
        loans.renew(person(readers["member"]), loan.id, now=NOW)
    assert "waiting" in str(refused.value.message)
    db.session.rollback()
    assert db.session.get(LibraryLoan, loan.id).due_on == date(2027, 1, 6)


def test_staff_in_scope_renew_for_a_member_and_others_cannot(ctx, readers, shelf):
    library_id, _book_id = shelf
    loan = lend(readers, library_id)
    for stranger in ("member2", "county_other", "worker"):
        with pytest.raises(NotFound):
            loans.renew(person(readers[stranger]), loan.id, now=NOW)
    loans.renew(person(readers["county"]), loan.id, now=NOW)
    assert loan.renewals == 1


@pytest.fixture
def other_desk(make_library):
    """A second library of the same county (made before the test's own transaction)."""
    return make_library()


def test_a_desk_renews_only_its_own_librarys_loans(ctx, readers, other_desk, shelf):
    """Two libraries of the same county, both in its staff's scope: one's desk cannot renew the
    other's loan."""
    library_id, _book_id = shelf
    loan = lend(readers, library_id)
    with pytest.raises(NotFound):
        loans.renew(person(readers["county"]), loan.id, library_id=other_desk, now=NOW)
    assert loan.renewals == 0
    loans.renew(person(readers["county"]), loan.id, library_id=library_id, now=NOW)
    assert loan.renewals == 1


def test_a_returned_loan_cannot_be_renewed(ctx, readers, shelf):
    library_id, _book_id = shelf
    loan = lend(readers, library_id)
    loans.return_loan(person(readers["county"]), library_id, loan_id=loan.id, now=NOW)
    db.session.commit()
    with pytest.raises(InvalidTransition) as refused:
        loans.renew(person(readers["member"]), loan.id, now=NOW)
    assert "returned" in str(refused.value.message)


# --- Lists ---------------------------------------------------------------------------------------------


def test_the_overdue_list_holds_loans_past_their_due_date(ctx, readers, make_library, make_entry):
    library_id = make_library()
    first = make_entry(library_id, "早借的书", copies=1)
    later = make_entry(library_id, "晚借的书", copies=1)
    fresh()
    isbn_of = {b: db.session.get(LibraryBook, b).isbn for b in (first, later)}
    lend(readers, library_id, "member", isbn_of[first], now=NOW)
    lend(readers, library_id, "member2", isbn_of[later], now=NOW + timedelta(days=10))
    staff = person(readers["county"])
    assert loans.overdue(staff, library_id, date(2027, 1, 6)) == []  # due today is not overdue
    assert [loan.book.title for loan in loans.overdue(staff, library_id, date(2027, 1, 7))] == ["早借的书"]
    assert [loan.book.title for loan in loans.overdue(staff, library_id, date(2027, 2, 1))] == ["早借的书", "晚借的书"]
    with pytest.raises(HTTPNotFound):
        loans.overdue(person(readers["county_other"]), library_id, date(2027, 2, 1))


def test_a_member_sees_their_loans_first_due_first(ctx, readers, make_library, make_entry):
    library_id = make_library()
    ids = [make_entry(library_id, title, copies=1) for title in ("一", "二")]
    fresh()
    isbns = [db.session.get(LibraryBook, b).isbn for b in ids]
    lend(readers, library_id, isbn=isbns[0], now=NOW + timedelta(days=3))
    lend(readers, library_id, isbn=isbns[1], now=NOW)
    lines = loans.loans_of(person(readers["member"]), now=NOW + timedelta(days=31))
    assert [(line.loan.book.title, line.overdue, line.renewable) for line in lines] == [
        ("二", True, True),
        ("一", False, True),
    ]
