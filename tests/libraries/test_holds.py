"""Reservations (预约借书): members reserve a title at a library, wait in a first-come line with
their position, get a copy when one is free, and staff mark it ready at the pickup place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import has_app_context
from sqlalchemy import select

from portal.accounts.models import User
from portal.core import capacity
from portal.core.errors import Conflict, InvalidTransition, NotAllowed, NotFound
from portal.core.notify import Message
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.libraries.models import LibraryBook, LibraryHold
from portal.libraries.services import books, directory, hold_board, holds


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


NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 7 December 2026, 10:00 in Harbin


# --- Helpers the other test modules of this area use too ------------------------------------------


def fresh() -> None:
    """End the test session's reading transaction: on SQLite (WAL) it keeps reading the snapshot it
    began with, without the rows the factories have committed since in their own contexts."""
    if has_app_context():
        db.session.rollback()


def person(user) -> User:
    """A fixture's (detached) user, loaded in the current session."""
    return db.session.get(User, user.id)


def messages_of(user, template: str | None = None) -> list[Message]:
    stmt = select(Message).where(Message.user_id == user.id).order_by(Message.id)
    if template:
        stmt = stmt.where(Message.template == template)
    return list(db.session.scalars(stmt))


def reserve(user, book_id: int, station_id: int | None = None, now: datetime = NOW) -> LibraryHold:
    hold = holds.reserve(person(user), book_id, station_id, now=now)
    db.session.commit()
    return hold


def partner_station(app, add_stations, library_id: int, county) -> int:
    """A rest station of 香坊区 made a partner of the library (as its staff would)."""
    (station_id,) = add_stations([(45.71, 126.66)])
    with app.app_context():
        directory.set_partner_stations(person(county), directory.get_public(library_id), [station_id])
        db.session.commit()
    fresh()
    return station_id


@pytest.fixture
def shelf(make_library, make_entry):
    """A library of 香坊区 (county_a1) holding one copy of a title."""
    library_id = make_library()
    book_id = make_entry(library_id, "平凡的世界", copies=1, author="路遥")
    fresh()
    return library_id, book_id


# --- Reserving ---------------------------------------------------------------------------------------


def test_a_member_reserving_a_free_copy_has_it_set_aside_and_is_told(ctx, readers, shelf):
    _library_id, book_id = shelf
    hold = reserve(readers["member"], book_id)
    assert hold.status == "allocated" and hold.allocated_at == NOW
    assert capacity.counts(db.session.get(LibraryBook, book_id).pool_id) == (1, 1, 0)
    (message,) = messages_of(readers["member"], "library_hold.allocated")
    assert message.params["title"] == "平凡的世界"


def test_when_no_copy_is_free_members_line_up_in_order_with_their_positions(ctx, readers, shelf):
    _library_id, book_id = shelf
    reserve(readers["member"], book_id)
    second = reserve(readers["member2"], book_id)
    third = reserve(readers["member3"], book_id)
    assert (second.status, third.status) == ("queued", "queued")
    assert [line.position for line in holds.holds_of(person(readers["member2"]))] == [1]
    assert [line.position for line in holds.holds_of(person(readers["member3"]))] == [2]
    assert holds.queue_length(book_id) == 2
    assert not messages_of(readers["member2"], "library_hold.allocated")

    holds.cancel(person(readers["member2"]), second.id, now=NOW)  # leaving the line moves the next up
    db.session.commit()
    assert [line.position for line in holds.holds_of(person(readers["member3"]))] == [1]


def test_reserving_the_same_title_twice_is_refused_with_a_clear_message(ctx, readers, shelf):
    _library_id, book_id = shelf
    reserve(readers["member"], book_id)
    with pytest.raises(Conflict) as refused:
        holds.reserve(person(readers["member"]), book_id, now=NOW)
    assert "already reserved" in str(refused.value.message)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(LibraryHold.id))) == 1


def test_the_line_refuses_the_same_person_even_when_the_first_check_is_passed(ctx, readers, shelf):
    """Two requests of one person at once both pass the look-up; the claim's unique key decides."""
    _library_id, book_id = shelf
    pool_id = db.session.get(LibraryBook, book_id).pool_id
    capacity.take(pool_id, holds.holder_of(readers["member"].id))  # the other request's claim
    with pytest.raises(Conflict) as refused:
        holds.reserve(person(readers["member"]), book_id, now=NOW)
    assert "already reserved" in str(refused.value.message)


def test_people_who_are_not_members_cannot_reserve(ctx, readers, shelf):
    _library_id, book_id = shelf
    with pytest.raises(NotAllowed):
        holds.reserve(person(readers["worker"]), book_id, now=NOW)


def test_a_member_has_at_most_the_configured_number_of_open_reservations(app, ctx, readers, make_library, make_entry):
    library_id = make_library()
    titles = [make_entry(library_id, f"书{n}") for n in range(3)]
    fresh()
    app.config["LIBRARY_MAX_OPEN_HOLDS"] = 2
    try:
        reserve(readers["member"], titles[0])
        reserve(readers["member"], titles[1])
        with pytest.raises(Conflict) as refused:
            holds.reserve(person(readers["member"]), titles[2], now=NOW)
        assert "2" in str(refused.value.message)
        db.session.rollback()
        holds.cancel(person(readers["member"]), holds.holds_of(person(readers["member"]))[0].hold.id, now=NOW)
        db.session.commit()
        assert reserve(readers["member"], titles[2]).status == "allocated"  # a cancelled one no longer counts
    finally:
        app.config["LIBRARY_MAX_OPEN_HOLDS"] = 5


def test_the_pickup_place_must_be_one_of_the_librarys_partner_rest_stations(
    app, ctx, readers, shelf, add_stations, make_library
):
    library_id, book_id = shelf
    station_id = partner_station(app, add_stations, library_id, readers["county"])
    other_library = make_library()
    stranger_station = partner_station(app, add_stations, other_library, readers["county"])
    with pytest.raises(InvalidInput) as refused:
        holds.reserve(person(readers["member"]), book_id, stranger_station, now=NOW)
    assert refused.value.field == "pickup"
    db.session.rollback()
    hold = reserve(readers["member"], book_id, station_id)
    assert hold.pickup_station_id == station_id
    assert messages_of(readers["member"], "library_hold.allocated")[0].params["place"] == "驿站0"


def test_an_entry_of_an_inactive_library_cannot_be_reserved(ctx, readers, shelf):
    library_id, book_id = shelf
    directory.set_active(None, directory.library_in_scope(person(readers["admin"]), library_id), False)
    db.session.commit()
    with pytest.raises(NotFound):
        holds.reserve(person(readers["member"]), book_id, now=NOW)


# --- Cancelling, promotion ----------------------------------------------------------------------------


def test_cancelling_a_copy_set_aside_passes_it_to_the_first_in_line_who_is_told(ctx, readers, shelf):
    _library_id, book_id = shelf
    first = reserve(readers["member"], book_id)
    second = reserve(readers["member2"], book_id)
    reserve(readers["member3"], book_id)
    holds.cancel(person(readers["member"]), first.id, now=NOW)
    db.session.commit()
    db.session.refresh(second)
    assert (first.status, second.status) == ("cancelled", "allocated")
    assert messages_of(readers["member2"], "library_hold.allocated")
    assert [line.position for line in holds.holds_of(person(readers["member3"]))] == [1]
    with pytest.raises(InvalidTransition):  # cancelling twice
        holds.cancel(person(readers["member"]), first.id, now=NOW)


def test_a_member_cannot_cancel_someone_elses_reservation(ctx, readers, shelf):
    _library_id, book_id = shelf
    hold = reserve(readers["member"], book_id)
    with pytest.raises(NotFound):
        holds.cancel(person(readers["member2"]), hold.id, now=NOW)
    db.session.rollback()
    assert db.session.get(LibraryHold, hold.id).status == "allocated"


def test_copies_added_by_the_catalogue_go_to_the_line_through_allocate_promoted(ctx, readers, shelf):
    library_id, book_id = shelf
    reserve(readers["member"], book_id)
    waiting = reserve(readers["member2"], book_id)
    entry = db.session.get(LibraryBook, book_id)
    saved = books.save_entry(library_id, books.EntryData(isbn=entry.isbn, title=entry.title, author="路遥", copies=2))
    assert [p.claim_id for p in saved.promoted] == [waiting.claim_id]
    allocated = holds.allocate_promoted(saved.promoted, now=NOW)
    db.session.commit()
    assert [h.id for h in allocated] == [waiting.id] and waiting.status == "allocated"
    assert holds.allocate_promoted(saved.promoted, now=NOW) == []  # compare-and-set: once


# --- Staff mark it ready --------------------------------------------------------------------------------


def test_marking_ready_tells_the_member_where_and_until_when(app, ctx, readers, shelf, add_stations):
    library_id, book_id = shelf
    station_id = partner_station(app, add_stations, library_id, readers["county"])
    hold = reserve(readers["member"], book_id, station_id)
    hold_board.mark_ready(person(readers["county"]), hold.id, library_id=library_id, now=NOW)
    db.session.commit()
    assert hold.status == "ready" and hold.ready_at == NOW
    # Three days to collect, to the end of the third day in Harbin: 10 December, until midnight.
    assert hold.expires_at == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)
    (message,) = messages_of(readers["member"], "library_hold.ready")
    assert message.params == {"title": "平凡的世界", "place": "驿站0", "year": 2026, "month": 12, "day": 10}
    assert "驿站0" in message.body and "2026-12-10" in message.body


def test_only_a_copy_set_aside_can_be_marked_ready(ctx, readers, shelf):
    library_id, book_id = shelf
    reserve(readers["member"], book_id)
    queued = reserve(readers["member2"], book_id)
    with pytest.raises(InvalidTransition):
        hold_board.mark_ready(person(readers["county"]), queued.id, library_id=library_id, now=NOW)


def test_staff_of_another_county_cannot_mark_ready(ctx, readers, shelf):
    library_id, book_id = shelf
    hold = reserve(readers["member"], book_id)
    with pytest.raises(NotFound):
        hold_board.mark_ready(person(readers["county_other"]), hold.id, now=NOW)
    with pytest.raises(NotFound):  # nor through a library of their own
        hold_board.mark_ready(person(readers["county"]), hold.id, library_id=library_id + 1000, now=NOW)
    hold_board.mark_ready(person(readers["admin"]), hold.id, now=NOW)
    assert hold.status == "ready"


def test_the_staff_board_groups_copies_to_prepare_by_pickup_place(
    app, ctx, readers, make_library, make_entry, add_stations
):
    library_id = make_library()
    station_id = partner_station(app, add_stations, library_id, readers["county"])
    a, b, c = (make_entry(library_id, title) for title in ("甲书", "乙书", "丙书"))
    fresh()
    reserve(readers["member"], a)
    reserve(readers["member2"], b, station_id)
    ready = reserve(readers["member3"], c)
    reserve(readers["member"], c)  # in line
    hold_board.mark_ready(person(readers["county"]), ready.id, now=NOW)
    db.session.commit()
    board = hold_board.board(person(readers["county"]), library_id)
    library_name = directory.get_public(library_id).name
    assert [(place, [h.book.title for h in items]) for place, items in board.to_prepare] == [
        (library_name, ["甲书"]),
        ("驿站0", ["乙书"]),
    ]
    assert [h.book.title for h in board.ready] == ["丙书"]
    assert [(entry.title, count) for entry, count in board.queues] == [("丙书", 1)]
