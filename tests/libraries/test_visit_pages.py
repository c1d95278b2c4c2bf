"""The visit pages as people use them: the booking page's day tabs and slots, booking, the visit's
QR code and code, cancelling with a confirmation step; the desk's check-in and the day's visits for
the library's own staff — and who may open what (anonymous, worker, member, staff in and out of
the library's part of the tree, admin). The clock is fixed at Monday 8 March 2027, 07:00 Beijing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.notify import Message
from portal.extensions import db
from portal.libraries.models import LibrarySuspension, LibraryVisit
from portal.libraries.services import visit_desk
from portal.libraries.views import visits as visit_views
from tests.helpers import csrf_token, login_as, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2027, 3, 8)
LOGIN = "login"


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


NINE = "2027-03-08T01:00Z"  # 09:00 in Beijing, as the page writes a slot


@pytest.fixture
def clock(monkeypatch):
    """The pages' clock: clock.now = … moves it."""

    class Clock:
        now = at(7)

    monkeypatch.setattr(visit_views, "_now", lambda: Clock.now)
    return Clock


@pytest.fixture
def library_id(make_library):
    return make_library(open_hours="08:00-20:00", places_per_slot=2)


def english(client):
    client.set_cookie("lang", "en")  # the English catalogue is the message ids: stable texts
    return client


def signed_in(app, person):
    client = english(app.test_client())
    if person is not None:
        login_as(client, person)
    return client


def book(client, library_id, slot=NINE):
    return post_form(client, f"/libraries/{library_id}/book", {"slot": slot}, token_from="/")


def visit_of(app, user) -> LibraryVisit:
    with app.app_context():
        return db.session.scalars(select(LibraryVisit).where(LibraryVisit.user_id == user.id)).one()


def html(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ")  # Babel's narrow space in "9:00 AM"


# --- Booking -----------------------------------------------------------------------------------------


def test_anyone_sees_the_days_and_slots_and_is_asked_to_sign_in_to_book(app, clock, library_id):
    page = html(english(app.test_client()).get(f"/libraries/{library_id}/book"))
    assert page.count(f"/libraries/{library_id}/book?day=") == 8  # today and the 7 days ahead
    assert 'aria-current="page">Today<' in page
    assert "8:00 AM" in page and "7:00 PM" in page and "8:00 PM–" not in page
    assert 'name="slot"' not in page
    assert "Sign in to book" in page


def test_a_member_books_a_slot_and_sees_the_qr_code_and_the_code(app, clock, library_id, readers):
    client = signed_in(app, readers["member"])
    page = html(client.get(f"/libraries/{library_id}/book"))
    assert f'name="slot" value="{NINE}"' in page and ">Book<" in page
    response = book(client, library_id)
    visit = visit_of(app, readers["member"])
    assert response.status_code == 303 and response.headers["Location"] == f"/libraries/visits/{visit.id}"
    page = html(client.get(f"/libraries/visits/{visit.id}"))
    assert "Booked: " in page  # the flash
    assert 'class="segno"' in page and visit.code in page
    assert f"/libraries/visits/{visit.id}/cancel" in page
    booking_page = html(client.get(f"/libraries/{library_id}/book"))
    assert f"/libraries/visits/{visit.id}" in booking_page and "Booked: view" in booking_page


def test_a_full_slot_offers_the_waiting_list_and_tells_the_place_in_line(app, clock, library_id, readers):
    for key in ("member", "member2"):
        book(signed_in(app, readers[key]), library_id)
    client = signed_in(app, readers["member3"])
    page = html(client.get(f"/libraries/{library_id}/book"))
    assert "Join the waiting list" in page and "Full" in page
    book(client, library_id)
    visit = visit_of(app, readers["member3"])
    page = html(client.get(f"/libraries/visits/{visit.id}"))
    assert "number 1 on the waiting list" in page
    assert 'class="segno"' not in page  # no pass while waiting


def test_a_refused_booking_returns_to_the_day_with_the_reason(app, clock, library_id, readers):
    client = signed_in(app, readers["member"])
    response = book(client, library_id, slot="2027-03-08T01:30Z")
    assert response.status_code == 303 and response.headers["Location"].endswith("day=2027-03-08")
    assert "no slot at that time" in html(client.get(response.headers["Location"]))
    response = book(client, library_id, slot="not a time")
    assert response.status_code == 303
    assert "Please choose a slot" in html(client.get(response.headers["Location"]))


def test_a_suspended_person_reads_until_when_on_the_booking_page(app, clock, library_id, readers):
    with app.app_context():
        db.session.add(
            LibrarySuspension(
                user_id=readers["member"].id, starts_at=at(6), ends_at=at(9, 30, date(2027, 3, 12)), no_shows=3
            )
        )
        db.session.commit()
    page = html(signed_in(app, readers["member"]).get(f"/libraries/{library_id}/book"))
    assert "until 2027-03-12 09:30 (Beijing time)" in page


def test_a_bad_day_is_a_clear_refusal_and_a_day_out_of_reach_shows_today(app, clock, library_id):
    client = english(app.test_client())
    assert client.get(f"/libraries/{library_id}/book?day=2027-13-01").status_code == 422
    page = html(client.get(f"/libraries/{library_id}/book?day=2030-01-01"))
    assert 'aria-current="page">Today<' in page


# --- The visit and cancelling ----------------------------------------------------------------------------


def test_cancelling_asks_first_and_the_first_in_line_gets_the_place(app, clock, library_id, readers):
    for key in ("member", "member2", "member3"):
        book(signed_in(app, readers[key]), library_id)
    client = signed_in(app, readers["member"])
    visit = visit_of(app, readers["member"])
    page = html(client.get(f"/libraries/visits/{visit.id}/cancel"))
    assert "Yes, cancel it" in page and 'data-confirm="' in page
    response = post_form(client, f"/libraries/visits/{visit.id}/cancel", {})
    assert response.status_code == 303
    assert "Your booking has been cancelled" in html(client.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(LibraryVisit, visit.id).status == "cancelled"
        promoted = visit_of(app, readers["member3"])
        assert promoted.status == "booked"
        assert (
            db.session.scalar(
                select(Message.link).where(
                    Message.user_id == readers["member3"].id, Message.template == "library.visit_promoted"
                )
            )
            == f"/libraries/visits/{promoted.id}"
        )


def test_a_slot_that_has_begun_can_no_longer_be_cancelled(app, clock, library_id, readers):
    client = signed_in(app, readers["member"])
    book(client, library_id)
    visit = visit_of(app, readers["member"])
    clock.now = at(9)
    assert "Cancel the booking" not in html(client.get(f"/libraries/visits/{visit.id}"))
    response = post_form(client, f"/libraries/visits/{visit.id}/cancel", {}, token_from="/")
    assert response.status_code == 409 and "only until it begins" in html(response)
    assert visit_of(app, readers["member"]).status == "booked"


# --- The desk ---------------------------------------------------------------------------------------------


def test_staff_check_a_visitor_in_by_the_code_and_see_who_it_was(app, clock, library_id, readers):
    book(signed_in(app, readers["member"]), library_id)
    visit = visit_of(app, readers["member"])
    clock.now = at(8, 40)
    desk = signed_in(app, readers["county"])
    page = html(desk.get(f"/staff/libraries/{library_id}/checkin"))
    assert 'id="scan-button" hidden' in page and "js/checkin" in page
    response = post_form(desk, f"/staff/libraries/{library_id}/checkin", {"code": visit.code.lower()})
    assert response.status_code == 303
    page = html(desk.get(response.headers["Location"]))
    assert "Checked in: 王**" in page and "9:00 AM" in page
    assert visit_of(app, readers["member"]).status == "checked_in"
    again = post_form(desk, f"/staff/libraries/{library_id}/checkin", {"code": visit.code})
    assert again.status_code == 422 and "Already checked in" in html(again)


def test_the_qr_codes_link_opens_the_desk_with_the_token_filled_in(app, clock, library_id, readers):
    book(signed_in(app, readers["member"]), library_id)
    visit = visit_of(app, readers["member"])
    with app.app_context():
        token = visit_desk.visit_token(visit, at(7))
    clock.now = at(8, 45)
    desk = signed_in(app, readers["admin"])
    page = html(desk.get(f"/staff/libraries/{library_id}/checkin?code={token}"))
    assert f'value="{token}"' in page
    response = post_form(desk, f"/staff/libraries/{library_id}/checkin", {"code": token})
    assert response.status_code == 303


def test_a_forged_token_is_refused_at_the_desk(app, clock, library_id, readers):
    book(signed_in(app, readers["member"]), library_id)
    visit = visit_of(app, readers["member"])
    with app.app_context():
        token = visit_desk.visit_token(visit, at(7))
    clock.now = at(8, 45)
    desk = signed_in(app, readers["county"])
    # A whole new signature: changing only the last base64 characters can leave the signature's
    # bytes unchanged (their low bits are padding), and the "forgery" then passes.
    body, signature = token.rsplit(".", 1)
    forged = body + "." + ("A" * len(signature) if not signature.startswith("A") else "B" * len(signature))
    response = post_form(desk, f"/staff/libraries/{library_id}/checkin", {"code": forged})
    assert response.status_code == 422 and "not a valid library booking" in html(response)
    assert visit_of(app, readers["member"]).status == "booked"


def test_the_days_visits_show_counts_and_masked_names(app, clock, library_id, readers):
    for key in ("member", "member2", "member3"):
        book(signed_in(app, readers[key]), library_id)
    page = html(signed_in(app, readers["county"]).get(f"/staff/libraries/{library_id}/visits?day=2027-03-08"))
    assert "Booked 2 of 2" in page and "waiting 1" in page
    assert "王**" in page and "赵**" in page and "王读者" not in page
    assert (
        signed_in(app, readers["county"]).get(f"/staff/libraries/{library_id}/visits?day=2029-01-01").status_code == 422
    )


# --- Who may open what ---------------------------------------------------------------------------------

PERSONAS = ("anonymous", "worker", "member", "county", "county_other", "grassroots", "admin")


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        # route → (anonymous, worker, member, county, county_other, grassroots, admin)
        ("/libraries/{library}/book", (200, 200, 200, 200, 200, 200, 200)),
        ("/libraries/visits/{visit}", (LOGIN, 404, 200, 404, 404, 404, 404)),
        ("/libraries/visits/{visit}/cancel", (LOGIN, 404, 200, 404, 404, 404, 404)),
        ("/staff/libraries/{library}/checkin", (LOGIN, 403, 403, 200, 404, 404, 200)),
        ("/staff/libraries/{library}/visits", (LOGIN, 403, 403, 200, 404, 404, 200)),
    ],
)
def test_who_may_open_the_visit_pages(app, clock, library_id, readers, route, expected):
    book(signed_in(app, readers["member"]), library_id)
    path = route.format(library=library_id, visit=visit_of(app, readers["member"]).id)
    for persona, want in zip(PERSONAS, expected, strict=True):
        response = signed_in(app, None if persona == "anonymous" else readers[persona]).get(path)
        if want == LOGIN:
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], persona
        else:
            assert response.status_code == want, (persona, path, response.status_code)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", LOGIN), ("worker", 403), ("county_other", 404), ("grassroots", 404), ("county", 303)],
)
def test_only_the_librarys_own_staff_check_in(app, clock, library_id, readers, persona, expected):
    book(signed_in(app, readers["member"]), library_id)
    visit = visit_of(app, readers["member"])
    clock.now = at(8, 45)
    client = signed_in(app, None if persona == "anonymous" else readers[persona])
    token = csrf_token(client, "/")
    response = client.post(f"/staff/libraries/{library_id}/checkin", data={"code": visit.code, "csrf_token": token})
    if expected == LOGIN:
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    else:
        assert response.status_code == expected
    assert visit_of(app, readers["member"]).status == ("checked_in" if expected == 303 else "booked")


def test_booking_needs_an_account_and_anyone_signed_in_may_book(app, clock, library_id, readers):
    response = book(english(app.test_client()), library_id)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    for persona in ("worker", "county_other", "admin"):
        assert book(signed_in(app, readers[persona]), library_id, slot="2027-03-08T02:00Z").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(LibraryVisit.id).where(LibraryVisit.user_id == readers["worker"].id))
        assert db.session.get(User, readers["admin"].id) is not None


def test_a_day_of_quarter_hour_slots_stays_a_light_page(app, clock, make_library, readers):
    library_id = make_library(open_hours="24h", slot_minutes=15)
    response = signed_in(app, readers["member"]).get(f"/libraries/{library_id}/book?day=2027-03-09")
    assert response.status_code == 200
    assert html(response).count('name="slot"') == 96 and html(response).count('name="csrf_token"') <= 2
    assert len(response.data) < 60 * 1024
