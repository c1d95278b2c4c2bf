"""The public library pages and the staff's library management pages, in Chinese, by who may see them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.core.db import utcnow
from portal.core.time import local_today
from portal.extensions import db
from portal.libraries.models import Library, LibraryClosure
from tests.helpers import login_as, page_text, post_form


def test_the_list_shows_the_nearest_first_with_distance_and_free_places(client, app, make_library):
    far = make_library(name="远处书屋", lat=45.90, lng=126.64)
    near = make_library(name="近处书屋", lat=45.757, lng=126.6425, places_per_slot=5)
    text = page_text(client.get("/libraries?lat=45.7569&lng=126.6424"))
    assert text.index("近处书屋") < text.index("远处书屋")
    assert "米" in text or "m" in text
    assert f"/libraries/{near}" in client.get("/libraries?lat=45.7569&lng=126.6424").get_data(as_text=True)
    assert far


def test_the_list_without_a_position_opens_on_a_district_and_has_an_empty_state(client, app, tree):
    text = page_text(client.get("/libraries"))
    assert "还没有" in text or "暂无" in text


def test_the_detail_page_has_hours_phone_navigation_and_partner_stations(client, app, make_library, add_stations):
    library_id = make_library(name="香坊书屋", phone="0451-82345678", open_hours="Mon-Fri 09:00-17:00")
    (station,) = add_stations([(45.75, 126.64)], union="county_a1")
    with app.app_context():
        from portal.libraries.models import LibraryPartnerStation

        db.session.add(LibraryPartnerStation(library_id=library_id, station_id=station))
        db.session.add(LibraryClosure(library_id=library_id, day=local_today() + timedelta(days=3), reason="盘点闭馆"))
        db.session.commit()
    response = client.get(f"/libraries/{library_id}")
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert response.status_code == 200
    assert "0451-82345678" in text and "周一" in text and "盘点闭馆" in text
    assert "uri.amap.com" in html and "api.map.baidu.com" in html
    assert f"/stations/{station}" in html
    assert client.get("/libraries/999999").status_code == 404


def test_staff_add_and_edit_a_library_in_their_subtree(client, app, readers, tree):
    login_as(client, readers["county"])
    response = post_form(
        client,
        "/staff/libraries/new",
        {
            "name": "新书屋",
            "address": "香坊大街1号",
            "lat": "45.71",
            "lng": "126.66",
            "open_hours": "Mon-Fri 09:00-17:00",
            "slot_minutes": "30",
            "places_per_slot": "6",
            "union_code": tree["county_a1"].code,
        },
    )
    assert response.status_code == 303
    with app.app_context():
        library = db.session.scalar(select(Library).where(Library.name == "新书屋"))
        assert (library.slot_minutes, library.places_per_slot) == (30, 6)
        library_id = library.id
    bad = post_form(client, f"/staff/libraries/{library_id}/edit", {"name": "", "address": "x", "lat": "1", "lng": "1"})
    assert bad.status_code == 422 and "请输入" in page_text(bad)
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    assert (
        post_form(client, f"/staff/libraries/{library_id}/closures", {"day": day, "reason": "盘点"}).status_code == 303
    )
    with app.app_context():
        assert db.session.scalar(select(LibraryClosure.reason)) == "盘点"


def test_staff_of_another_county_get_404_and_workers_403(client, app, readers, make_library):
    library_id = make_library(union="county_a1")
    login_as(client, readers["county_other"])
    for url in (
        f"/staff/libraries/{library_id}",
        f"/staff/libraries/{library_id}/edit",
        f"/staff/libraries/{library_id}/closures",
        f"/staff/libraries/{library_id}/partners",
    ):
        assert client.get(url).status_code == 404, url
    response = post_form(client, f"/staff/libraries/{library_id}/edit", {"name": "夺取"}, token_from="/staff/libraries")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Library, library_id).name != "夺取"
    login_as(client, readers["member"])
    assert client.get("/staff/libraries").status_code == 403
    assert client.get(f"/staff/libraries/{library_id}").status_code == 403


def test_the_members_page_asks_the_same_statements_for_one_loan_or_many(app, client, readers, make_library, make_entry):
    """No query per book or per library on 我的预约与借阅 (loans and holds read with their book and library)."""
    from portal.accounts.models import User
    from portal.libraries.models import LibraryBook
    from portal.libraries.services import holds, loans
    from tests.helpers import login_as, statements_of

    libraries = [make_library(), make_library()]
    entries = [make_entry(libraries[n % 2], f"书{n}") for n in range(6)]

    def borrow_and_reserve(start, stop):
        with app.app_context():
            staff, member = db.session.get(User, readers["county"].id), db.session.get(User, readers["member"].id)
            for entry_id in entries[start:stop]:
                entry = db.session.get(LibraryBook, entry_id)
                loans.lend(staff, entry.library_id, member, entry.isbn)
            db.session.commit()
            other = db.session.get(User, readers["member2"].id)
            for entry_id in entries[start:stop]:
                holds.reserve(other, entry_id)  # lent out: the second member joins the line
            db.session.commit()

    login_as(client, readers["member"])
    borrow_and_reserve(0, 1)
    few = statements_of(app, client, "/libraries/mine")
    borrow_and_reserve(1, 5)
    many = statements_of(app, client, "/libraries/mine")
    assert len(many) == len(few), many
