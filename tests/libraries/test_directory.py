"""Finding libraries: the shared exact nearest search, opening state, closures and holidays, and
staff keeping their libraries only within their part of the union tree."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.core.errors import NotAllowed
from portal.core.geo import haversine_m
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.libraries.models import Library, LibraryClosure, LibraryPartnerStation
from portal.libraries.services import directory
from portal.stations import search as station_search

HARBIN = (45.7569, 126.6424)
# Wednesday 9 December 2026, 10:00 and 21:00 in Beijing.
WED_10 = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
WED_21 = datetime(2026, 12, 9, 13, 0, tzinfo=UTC)


def _brute_force(lat, lng, limit):
    rows = db.session.execute(select(Library.id, Library.lat, Library.lng).where(Library.is_active.is_(True))).all()
    return [i for _d, i in sorted((haversine_m(lat, lng, a, b), i) for i, a, b in rows)[:limit]]


def test_the_nearest_search_is_one_shared_function_for_stations_and_libraries():
    """Not a copy: both kinds of place describe their index and call core.nearest."""
    import inspect

    assert "nearest_places(STATIONS" in inspect.getsource(station_search.nearest)
    assert "nearest(LIBRARIES" in inspect.getsource(directory.nearest_libraries)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=st.lists(st.tuples(st.floats(45.0, 46.5), st.floats(126.0, 129.0)), min_size=1, max_size=25),
    query=st.tuples(st.floats(44.0, 47.0), st.floats(125.0, 130.0)),
    limit=st.integers(1, 10),
)
def test_nearest_libraries_equal_a_brute_force_scan(app, tree, points, query, limit):
    with app.app_context():
        db.session.execute(Library.__table__.delete())
        union_id = db.session.scalar(select(Library.union_id).limit(1)) or _union_id()
        for i, (lat, lng) in enumerate(points):
            db.session.add(
                Library(
                    name=f"书屋{i}",
                    address="路",
                    lat=round(lat, 6),
                    lng=round(lng, 6),
                    open_hours="24h",
                    union_id=union_id,
                )
            )
        db.session.flush()
        found = [c.id for c in directory.nearest_libraries(*query, limit=limit, now=WED_10)]
        assert found == _brute_force(*query, limit)
        db.session.rollback()


def _union_id():
    from portal.unions.models import Union

    return db.session.scalar(select(Union.id).where(Union.code == "CA1"))


def test_hidden_libraries_are_not_found(app, make_library):
    shown = make_library(lat=HARBIN[0], lng=HARBIN[1])
    hidden = make_library(lat=HARBIN[0] + 0.001, lng=HARBIN[1])
    with app.app_context():
        db.session.get(Library, hidden).is_active = False
        db.session.commit()
        assert [c.id for c in directory.nearest_libraries(*HARBIN, now=WED_10)] == [shown]
        with pytest.raises(Exception) as refused:
            directory.get_public(hidden)
        assert getattr(refused.value, "status_code", None) == 404


def test_open_now_follows_the_hours_closures_and_public_holidays(app, make_library):
    library_id = make_library(open_hours="Mon-Fri 09:00-17:00")
    with app.app_context():
        library = db.session.get(Library, library_id)
        assert directory.status_of(library.open_hours, WED_10).is_open
        evening = directory.status_of(library.open_hours, WED_21)
        assert evening.state == "resting" and evening.opens_at.hour == 9 and evening.opens_at.day == 10
        db.session.add(LibraryClosure(library_id=library_id, day=date(2026, 12, 9), reason="盘点"))
        db.session.commit()
        assert directory.closed_on([library_id], WED_10) == {library_id}
        card = directory.nearest_libraries(library.lat, library.lng, now=WED_10)[0]
        assert card.status.state == "closed_today"
        from portal.core.time import CalendarDay

        db.session.add(CalendarDay(day=date(2026, 12, 10), kind="holiday", name="测试节"))
        db.session.commit()
        assert directory.closed_on([library_id], datetime(2026, 12, 10, 2, 0, tzinfo=UTC)) == {library_id}


def test_staff_of_a_sibling_county_cannot_change_the_library(app, make_library, readers):
    library_id = make_library(union="county_a1")
    with app.app_context():
        from portal.accounts.models import User

        other = db.session.get(User, readers["county_other"].id)
        library = db.session.get(Library, library_id)
        with pytest.raises(NotAllowed):
            directory.update_library(other, library, {"name": "改名", "address": "x", "lat": 45, "lng": 126})
        with pytest.raises(NotAllowed):
            directory.add_closure(other, library, date(2026, 12, 20), "", today=date(2026, 12, 5))
        assert [lib.id for lib in directory.staff_libraries(other)] == []
        mine = db.session.get(User, readers["county"].id)
        assert [lib.id for lib in directory.staff_libraries(mine)] == [library_id]


def test_library_fields_are_checked_with_clear_messages(app, readers, tree):
    from portal.accounts.models import User

    with app.app_context():
        staff = db.session.get(User, readers["county"].id)
        good = {"name": "书屋", "address": "路1号", "lat": "45.7", "lng": "126.6", "open_hours": "09:00-17:00"}
        for change, field in (
            ({"name": ""}, "name"),
            ({"lat": "北纬45"}, "lat"),
            ({"open_hours": "whenever"}, "open_hours"),
            ({"slot_minutes": "5"}, "slot_minutes"),
            ({"places_per_slot": "１０００"}, "places_per_slot"),
            ({"union_code": tree["county_a2"].code}, "union_code"),
        ):
            with pytest.raises(InvalidInput) as refused:
                directory.create_library(staff, good | change)
            assert refused.value.field == field
        library = directory.create_library(staff, good | {"places_per_slot": "１２"})
        assert library.places_per_slot == 12 and library.union_id == tree["county_a1"].id
        db.session.rollback()


def test_partner_stations_must_be_in_the_staff_members_subtree(app, make_library, readers, add_stations):
    from portal.accounts.models import User

    library_id = make_library(union="county_a1")
    (mine,) = add_stations([(45.75, 126.64)], union="county_a1")
    (theirs,) = add_stations([(45.76, 126.64)], union="county_a2")
    with app.app_context():
        staff = db.session.get(User, readers["county"].id)
        library = db.session.get(Library, library_id)
        with pytest.raises(InvalidInput):
            directory.set_partner_stations(staff, library, [mine, theirs])
        directory.set_partner_stations(staff, library, [mine])
        db.session.commit()
        assert db.session.scalars(select(LibraryPartnerStation.station_id)).all() == [mine]
        assert [s.id for s in directory.partner_stations(library_id)] == [mine]
