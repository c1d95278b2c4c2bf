"""The pages of reservations and the desk: a member reserves and cancels (after a confirmation),
staff prepare reservations and run the desk from a phone (card or member number, then ISBN),
and the overdue list; who may open what."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.libraries.models import LibraryHold, LibraryLoan
from portal.libraries.services import hold_board, holds, loans
from portal.membership import services as membership
from tests.helpers import csrf_token, login_as, page_text, post_form
from tests.libraries.test_holds import NOW, partner_station, person

ISBN = "9787530216781"
MAX_PAGE_BYTES = 60 * 1024


@pytest.fixture
def shelf(make_library, make_entry):
    library_id = make_library()
    return library_id, make_entry(library_id, "平凡的世界", isbn=ISBN, copies=1, author="路遥")


def signed_in(app, user):
    """A test client signed in as ``user``, reading pages in English (the message ids: the
    Chinese catalogue is completed later and must not break these tests)."""
    client = app.test_client()
    login_as(client, user)
    client.set_cookie("lang", "en")
    return client


def member_number(app, user) -> str:
    with app.app_context():
        return membership.membership_of(person(user)).member_number


def card_link(app, user) -> str:
    with app.app_context():
        token = membership.card_token(membership.membership_of(person(user)))
    return f"https://portal.example.cn/verify/{token}"


def hold_of(app, user, book_id):
    with app.app_context():
        return db.session.scalar(
            select(LibraryHold).where(LibraryHold.user_id == user.id, LibraryHold.book_id == book_id)
        )


def open_loans(app, user) -> list[LibraryLoan]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(LibraryLoan).where(LibraryLoan.user_id == user.id, LibraryLoan.returned_at.is_(None))
            )
        )


# --- The member's pages ------------------------------------------------------------------------------


def test_the_reserve_page_shows_the_title_where_it_is_the_line_and_the_pickup_choice(app, readers, shelf, add_stations):
    library_id, book_id = shelf
    partner_station(app, add_stations, library_id, readers["county"])
    client = signed_in(app, readers["member"])
    r = client.get(f"/libraries/entries/{book_id}/reserve")
    html = page_text(r)
    assert r.status_code == 200 and len(r.data) < MAX_PAGE_BYTES
    assert "平凡的世界" in html and "路遥" in html and "978-7530216781" in html
    assert "测试职工书屋" in html and "Waiting in line" in html
    assert 'name="pickup" type="radio" value="library"' in html or 'value="library"' in html
    assert "At the rest station 驿站0" in html
    assert "Reserve" in html


def test_someone_who_is_not_a_member_is_told_why_and_where_to_join(app, readers, shelf):
    _library_id, book_id = shelf
    html = page_text(signed_in(app, readers["worker"]).get(f"/libraries/entries/{book_id}/reserve"))
    assert "Reserving is for union members" in html and 'href="/membership/apply"' in html
    assert 'name="pickup"' not in html


def test_reserving_on_the_page_and_cancelling_after_a_confirmation(app, readers, shelf):
    _library_id, book_id = shelf
    url = f"/libraries/entries/{book_id}/reserve"
    first, second = signed_in(app, readers["member"]), signed_in(app, readers["member2"])
    assert post_form(first, url, {"pickup": "library"}).status_code == 303
    r = post_form(second, url, {"pickup": "library"}, follow_redirects=True)
    assert "you are number 1 in line" in page_text(r)
    assert "You are number 1 in line" in page_text(second.get(url))
    hold = hold_of(app, readers["member"], book_id)
    assert hold.status == "allocated"
    assert "A copy is set aside for you" in page_text(first.get(url))

    # Without JavaScript the first POST asks; the hold stays until the answer is yes.
    r = first.post(f"/libraries/holds/{hold.id}/cancel", data={"csrf_token": csrf_token(first, url)})
    assert r.status_code == 200 and "Cancel your reservation of 平凡的世界" in page_text(r)
    assert hold_of(app, readers["member"], book_id).status == "allocated"
    r = first.post(
        f"/libraries/holds/{hold.id}/cancel", data={"csrf_token": csrf_token(first, url), "confirmed": "yes"}
    )
    assert r.status_code == 303
    assert hold_of(app, readers["member"], book_id).status == "cancelled"
    assert hold_of(app, readers["member2"], book_id).status == "allocated"  # the copy passed on


def test_a_bad_pickup_choice_is_said_on_the_form(app, readers, shelf):
    _library_id, book_id = shelf
    client = signed_in(app, readers["member"])
    r = post_form(client, f"/libraries/entries/{book_id}/reserve", {"pickup": "999999"})
    assert r.status_code == 422 and "Choose the library or one of its partner rest stations" in page_text(r)
    assert hold_of(app, readers["member"], book_id) is None


def test_a_member_cannot_cancel_someone_elses_reservation(app, readers, shelf):
    _library_id, book_id = shelf
    owner = signed_in(app, readers["member"])
    post_form(owner, f"/libraries/entries/{book_id}/reserve", {"pickup": "library"})
    hold = hold_of(app, readers["member"], book_id)
    other = signed_in(app, readers["member2"])
    token = csrf_token(other, "/")
    for data in ({"csrf_token": token}, {"csrf_token": token, "confirmed": "yes"}):
        assert other.post(f"/libraries/holds/{hold.id}/cancel", data=data).status_code == 404
    assert hold_of(app, readers["member"], book_id).status == "allocated"


def test_a_member_renews_their_own_loan_once_and_is_told_when_they_cannot(app, readers, shelf):
    library_id, book_id = shelf
    with app.app_context():
        loan = loans.lend(person(readers["county"]), library_id, person(readers["member"]), ISBN, now=NOW)
        db.session.commit()
        loan_id = loan.id
    client = signed_in(app, readers["member"])
    page = f"/libraries/entries/{book_id}/reserve"
    token = csrf_token(client, page)
    assert "You have this book" in page_text(client.get(page))
    assert client.post(f"/libraries/loans/{loan_id}/renew", data={"csrf_token": token}).status_code == 303
    assert "Renewed: 平凡的世界 is now due on" in page_text(client.get(page))
    r = client.post(f"/libraries/loans/{loan_id}/renew", data={"csrf_token": token}, headers={"Referer": page})
    assert r.status_code == 303
    assert "renewed already" in page_text(client.get(page))
    stranger = signed_in(app, readers["member2"])
    assert (
        stranger.post(f"/libraries/loans/{loan_id}/renew", data={"csrf_token": csrf_token(stranger)}).status_code == 404
    )


# --- Who may open the staff pages ------------------------------------------------------------------


def test_staff_pages_answer_only_staff_of_the_librarys_subtree(app, readers, shelf):
    library_id, book_id = shelf
    with app.app_context():
        hold = holds.reserve(person(readers["member"]), book_id, now=NOW)
        db.session.commit()
        hold_id = hold.id
    pages = [f"/staff/libraries/{library_id}/{page}" for page in ("holds", "desk", "overdue")]
    expected = {"worker": 403, "member": 403, "county_other": 404, "county": 200, "admin": 200}
    for who, status in expected.items():
        client = signed_in(app, readers[who])
        for page in pages:
            assert client.get(page).status_code == status, (who, page)
    for page in pages:
        r = app.test_client().get(page)
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    outsider = signed_in(app, readers["county_other"])
    ready_url = f"/staff/libraries/{library_id}/holds/{hold_id}/ready"
    assert outsider.post(ready_url, data={"csrf_token": csrf_token(outsider)}).status_code == 404
    # Nor through a library of their own: the hold must be of the library in the address.
    other_library = outsider.post(
        f"/staff/libraries/{library_id + 100}/holds/{hold_id}/ready", data={"csrf_token": csrf_token(outsider)}
    )
    assert other_library.status_code == 404
    assert hold_of(app, readers["member"], book_id).status == "allocated"


# --- Reservations to prepare ---------------------------------------------------------------------------


def test_staff_see_what_to_prepare_by_pickup_place_and_mark_it_ready(app, readers, shelf, add_stations):
    library_id, book_id = shelf
    partner_station(app, add_stations, library_id, readers["county"])
    member = signed_in(app, readers["member"])
    station_value = re.search(r'value="(\d+)"', page_text(member.get(f"/libraries/entries/{book_id}/reserve")))
    post_form(member, f"/libraries/entries/{book_id}/reserve", {"pickup": station_value.group(1)})
    post_form(signed_in(app, readers["member2"]), f"/libraries/entries/{book_id}/reserve", {"pickup": "library"})
    staff = signed_in(app, readers["county"])
    html = page_text(staff.get(f"/staff/libraries/{library_id}/holds"))
    assert "Collect at 驿站0" in html and "王**" in html and "Mark as ready" in html
    assert "1 person waiting" in html
    hold = hold_of(app, readers["member"], book_id)
    r = staff.post(
        f"/staff/libraries/{library_id}/holds/{hold.id}/ready",
        data={"csrf_token": csrf_token(staff, f"/staff/libraries/{library_id}/holds")},
        follow_redirects=True,
    )
    html = page_text(r)
    assert "told to collect 平凡的世界 at 驿站0" in html and "Waiting to be collected" in html
    assert hold_of(app, readers["member"], book_id).status == "ready"


# --- The desk ------------------------------------------------------------------------------------------


def desk_post(client, library_id, **data):
    url = f"/staff/libraries/{library_id}/desk"
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_the_desk_lends_after_the_member_number_then_returns_and_renews_from_the_list(app, readers, shelf):
    library_id, book_id = shelf
    staff = signed_in(app, readers["county"])
    url = f"/staff/libraries/{library_id}/desk"
    html = page_text(staff.get(url))
    assert 'data-scan="qr_code"' in html and 'data-scan="ean_13"' in html and "js/desk-scan" in html
    assert "<script>" not in html  # the CSP allows no inline script

    assert desk_post(staff, library_id, action="lend", member=member_number(app, readers["member"])).status_code == 303
    html = page_text(staff.get(url))
    assert "王**" in html and "王读者" not in html and "Next reader" in html
    r = desk_post(staff, library_id, action="lend", isbn="978-7-5302-1678-1")
    assert r.status_code == 303
    assert "Lent: 平凡的世界, due on" in page_text(staff.get(url))
    (loan,) = open_loans(app, readers["member"])
    html = page_text(staff.get(url))
    assert f'name="loan_id" value="{loan.id}"' in html and "Renew" in html

    assert desk_post(staff, library_id, action="renew", loan_id=str(loan.id)).status_code == 303
    assert "Renewed: 平凡的世界" in page_text(staff.get(url))
    assert desk_post(staff, library_id, action="return", loan_id=str(loan.id)).status_code == 303
    assert "Returned: 平凡的世界." in page_text(staff.get(url))
    assert open_loans(app, readers["member"]) == []

    assert desk_post(staff, library_id, action="clear").status_code == 303
    assert "王**" not in page_text(staff.get(url))


def test_the_desk_reads_the_member_cards_qr_link_and_the_isbn_in_one_go(app, readers, shelf):
    library_id, _book_id = shelf
    staff = signed_in(app, readers["county"])
    r = desk_post(staff, library_id, action="lend", member=card_link(app, readers["member2"]), isbn=ISBN)
    assert r.status_code == 303
    (loan,) = open_loans(app, readers["member2"])
    assert loan.lent_by_id == readers["county"].id


def test_the_desk_collects_a_ready_reservation_from_the_readers_list(app, readers, shelf):
    library_id, book_id = shelf
    with app.app_context():
        hold = holds.reserve(person(readers["member"]), book_id, now=NOW)
        hold_board.mark_ready(person(readers["county"]), hold.id, now=NOW)
        db.session.commit()
        hold_id = hold.id
    staff = signed_in(app, readers["county"])
    desk_post(staff, library_id, action="find", member=member_number(app, readers["member"]))
    html = page_text(staff.get(f"/staff/libraries/{library_id}/desk"))
    assert "Reserved for this reader" in html and f'name="isbn" value="{ISBN}"' in html
    assert desk_post(staff, library_id, action="lend", isbn=ISBN).status_code == 303
    (loan,) = open_loans(app, readers["member"])
    assert loan.hold_id == hold_id


def test_the_desk_says_what_is_wrong_on_the_field_and_keeps_what_was_typed(app, readers, shelf):
    library_id, book_id = shelf
    staff = signed_in(app, readers["county"])
    r = desk_post(staff, library_id, action="lend", member="23000000000000", isbn=ISBN)
    assert r.status_code == 422 and "No active member has this card or member number" in page_text(r)
    r = desk_post(staff, library_id, action="lend", member=card_link(app, readers["member"])[:-3] + "xyz")
    assert r.status_code == 422  # a card code altered by one character
    with app.app_context():  # the only copy is set aside for member2
        holds.reserve(person(readers["member2"]), book_id, now=NOW)
        db.session.commit()
    r = desk_post(staff, library_id, action="lend", member=member_number(app, readers["member"]), isbn=ISBN)
    assert r.status_code == 409 and "No copy is free: all are lent or set aside for reservations." in page_text(r)
    assert f'value="{ISBN}"' in page_text(r)
    # A page left open past its token's life: said on the form, the typed ISBN kept.
    url = f"/staff/libraries/{library_id}/desk"
    r = staff.post(url, data={"csrf_token": "stale", "action": "return", "isbn": ISBN})
    assert r.status_code == 400 and "This page has expired" in page_text(r) and f'value="{ISBN}"' in page_text(r)
    assert open_loans(app, readers["member"]) == []


def test_staff_cannot_lend_at_another_countys_library(app, readers, shelf):
    library_id, _book_id = shelf
    outsider = signed_in(app, readers["county_other"])
    token = csrf_token(outsider, "/")
    r = outsider.post(
        f"/staff/libraries/{library_id}/desk",
        data={"csrf_token": token, "action": "lend", "member": member_number(app, readers["member"]), "isbn": ISBN},
    )
    assert r.status_code == 404 and open_loans(app, readers["member"]) == []


# --- Overdue -------------------------------------------------------------------------------------------


def test_the_overdue_list_shows_masked_names_and_the_phone_for_a_call_and_logs_the_view(app, readers, shelf):
    library_id, _book_id = shelf
    with app.app_context():
        loans.lend(person(readers["county"]), library_id, person(readers["member"]), ISBN, now=NOW - timedelta(days=40))
        db.session.commit()
    staff = signed_in(app, readers["county"])
    html = page_text(staff.get(f"/staff/libraries/{library_id}/overdue"))
    assert "平凡的世界" in html and "王**" in html and "王读者" not in html
    assert f'href="tel:{readers["member"].phone}"' in html and "days overdue" in html
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sensitive.phone_viewed")).all()
        assert event.actor_id == readers["county"].id and event.subject_id == str(library_id)
    assert "1 overdue" in page_text(staff.get(f"/staff/libraries/{library_id}/desk"))


def test_the_desk_knows_a_member_by_card_link_bare_token_or_member_number_as_typed(app, readers):
    link, number = card_link(app, readers["member"]), member_number(app, readers["member"])
    token = link.rsplit("/", 1)[1]
    fullwidth = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    with app.app_context():
        for text in (link, token, f" {token} ", number, f"{number[:4]} {number[4:8]}-{number[8:]}", fullwidth):
            found = membership.membership_at_desk(text)
            assert found is not None and found.user_id == readers["member"].id, text
        for text in ("", "x" * 700, token[:-2] + "zz", "12", "99999999999999"):
            assert membership.membership_at_desk(text) is None, text
        app.config["MEMBER_CARD_TOKEN_TTL"], ttl = -1, app.config["MEMBER_CARD_TOKEN_TTL"]
        try:
            assert membership.membership_at_desk(token) is None  # an expired code
        finally:
            app.config["MEMBER_CARD_TOKEN_TTL"] = ttl
        card = membership.membership_of(person(readers["member"]))
        card.card_version += 1  # a change of name or ID number: old codes stop working
        db.session.commit()
        assert membership.membership_at_desk(token) is None
        assert membership.membership_at_desk(number) is not None
