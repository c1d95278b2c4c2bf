"""Scope is data: a staff member acts on their union's subtree, an admin everywhere, a worker nowhere."""

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from portal.accounts.models import User
from portal.core import scope
from portal.extensions import db
from portal.unions.models import Union


def _ids_in_scope(user):
    stmt = scope.scoped(select(Union.code), user, Union.id)
    return set(db.session.scalars(stmt))


@pytest.fixture
def people(tree, make_user):
    return {
        "worker": make_user("worker"),
        "grassroots_staff": make_user("staff", union=tree["grassroots_a1"]),
        "county_staff": make_user("staff", union=tree["county_a1"]),
        "sibling_county_staff": make_user("staff", union=tree["county_a2"]),
        "city_staff": make_user("staff", union=tree["city_a"]),
        "admin": make_user("admin"),
    }


def _load(people, key):
    return db.session.get(User, people[key].id)


def test_staff_scope_is_their_union_and_everything_below(ctx, people):
    assert _ids_in_scope(_load(people, "county_staff")) == {"CA1", "GA1", "GA1B"}
    assert _ids_in_scope(_load(people, "grassroots_staff")) == {"GA1"}
    assert _ids_in_scope(_load(people, "city_staff")) == {"CA", "CA1", "CA2", "GA1", "GA1B", "GA2"}


def test_admin_scope_is_everything_and_worker_scope_is_empty(ctx, people):
    assert len(_ids_in_scope(_load(people, "admin"))) == 11
    assert _ids_in_scope(_load(people, "worker")) == set()


def test_subtree_range_does_not_leak_into_siblings_with_longer_ids(ctx, make_union):
    # Paths compare as strings: /1/2/ must not contain /1/20/ or /1/2x/.
    root = make_union("R", level="national")
    province = make_union("PR", level="province", parent=root)
    cities = [make_union(f"C{i}", level="city", parent=province) for i in range(25)]
    staff_city = db.session.get(Union, cities[1].id)
    from portal.unions.models import in_subtree

    inside = set(db.session.scalars(select(Union.code).where(in_subtree(Union.path, staff_city.path))))
    assert inside == {staff_city.code}


@pytest.mark.parametrize(
    "who, target, allowed",
    [
        ("county_staff", "grassroots_a1", True),
        ("county_staff", "county_a1", True),
        ("county_staff", "grassroots_a2", False),  # a sibling county's union
        ("county_staff", "city_a", False),  # above them
        ("sibling_county_staff", "grassroots_a1", False),
        ("grassroots_staff", "grassroots_a1", True),
        ("grassroots_staff", "grassroots_a1b", False),
        ("city_staff", "grassroots_a2", True),
        ("admin", "grassroots_b1", True),
        ("worker", "grassroots_a1", False),
    ],
)
def test_may_act_on(ctx, people, tree, who, target, allowed):
    user = _load(people, who)
    union = db.session.get(Union, tree[target].id)
    assert scope.may_act_on(user, union) is allowed


def test_disabled_staff_act_on_nothing(ctx, tree, make_user):
    staff = make_user("staff", union=tree["county_a1"], active=False)
    user = db.session.get(User, staff.id)
    assert _ids_in_scope(user) == set()
    assert not scope.may_act_on(user, db.session.get(Union, tree["grassroots_a1"].id))


def test_load_in_scope_is_404_outside(app, people, tree):
    with app.test_request_context():
        staff = _load(people, "county_staff")
        assert scope.load_in_scope(Union, tree["grassroots_a1"].id, staff).code == "GA1"
        with pytest.raises(NotFound):
            scope.load_in_scope(Union, tree["grassroots_a2"].id, staff)
