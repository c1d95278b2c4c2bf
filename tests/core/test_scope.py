"""Scope is data: a staff member acts on their union's subtree, an admin everywhere, a worker nowhere."""

import csv
import io
import re
from contextlib import contextmanager, nullcontext

import pytest
from flask import has_app_context
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from portal.accounts.models import User
from portal.core import scope, workflow
from portal.core.audit import AuditEvent
from portal.core.errors import NotAllowed
from portal.core.errors import NotFound as DomainNotFound
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.stations import importer
from portal.stations import reports as station_reports
from portal.stations import services as stations
from portal.stations.models import Station, StationReport
from portal.unions.models import Union, in_subtree
from tests.helpers import csrf_token, login_as, page_text


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
    # Paths compare as strings: /1/2/3/ must not contain /1/2/30/ or /1/2/3x/. Enough cities that
    # one id is a prefix of a sibling's (3 and 30-42) — with fewer, this test could not fail.
    root = make_union("R", level="national")
    province = make_union("PR", level="province", parent=root)
    cities = [make_union(f"C{i}", level="city", parent=province) for i in range(40)]
    ids = {c.id for c in cities}
    staff_city = next(c for c in cities if any(o != c.id and str(o).startswith(str(c.id)) for o in ids))
    staff_city = db.session.get(Union, staff_city.id)

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


# --- Siblings whose ids share a prefix: 4 and 41 ------------------------------------------------
#
# Paths are strings: /1/2/3/4/ is a prefix of /1/2/3/41/ once its trailing "/" is lost. A subtree
# test written as LIKE '/1/2/3/4%' or startswith("/1/2/3/4") lets staff of union 4 see and act on
# everything of union 41. The tree above (ids 1-11, no two siblings sharing a prefix) cannot
# notice; these tests run every scoped path — the helper, the services, the pages — on
# ``prefix_siblings`` (tests/conftest.py), where they can.

SIBLINGS = (4, 41)
OTHER = {4: 41, 41: 4}
# Applicants' names, one per kind of application, told apart by surname: 赵 files with union 4,
# 钱 with union 41.
GIVEN_NAMES = "一二三四五六七八九"
SURNAME = {4: "赵", 41: "钱"}


@pytest.fixture
def siblings(app, prefix_siblings, make_user, make_kind_application):
    """Union 4 and union 41 each with an open application of every registered kind, a station and
    an open problem report on it; staff of each, staff of their city (the common ancestor), an admin."""
    u = prefix_siblings
    world = {
        "unions": u,
        "staff": {4: make_user("staff", union=u[4]), 41: make_user("staff", union=u[41])},
        "city_staff": make_user("staff", union=u[3]),
        "admin": make_user("admin"),
        "applications": {4: {}, 41: {}},  # union id → kind → public id
        "stations": {},  # union id → station id
        "reports": {},  # union id → report id
    }
    assert workflow.KINDS, "no kind of application is registered"
    for ident in SIBLINGS:
        for i, kind in enumerate(sorted(workflow.KINDS)):
            _applicant, application = make_kind_application(kind, u[ident], SURNAME[ident] + GIVEN_NAMES[i])
            world["applications"][ident][kind] = application.public_id
    reporter = make_user("worker", name="报告人")
    with nullcontext() if has_app_context() else app.app_context():
        for ident in SIBLINGS:
            station = stations.create_station(
                None,
                {
                    "name": f"{ident}号驿站",
                    "address": f"前缀路{ident}号",
                    "lat": "45.75",
                    "lng": "126.63",
                    "open_hours": "24h",
                    "union_code": u[ident].code,
                    "external_id": f"PX-S{ident}",
                },
            )
            report, _merged = station_reports.report_problem(
                db.session.get(User, reporter.id), station, kind="other", text=f"{ident}号驿站没有热水"
            )
            db.session.flush()
            world["stations"][ident], world["reports"][ident] = station.id, report.id
        db.session.commit()
    return world


@contextmanager
def _as(who):
    """Name the persona in a failure of the checks run for several personas in one test."""
    try:
        yield
    except (AssertionError, pytest.fail.Exception) as exc:
        raise AssertionError(f"as {who!r}: {exc}") from exc


def _user(world, who):
    """A fresh copy of a persona in the current session: 4 / 41 (their staff), "city_staff", "admin"."""
    person = world["staff"][who] if who in SIBLINGS else world[who]
    return db.session.get(User, person.id)


def _union(world, ident):
    return db.session.get(Union, world["unions"][ident].id)


def _public_ids(world, ident):
    return set(world["applications"][ident].values())


def test_sibling_paths_share_a_prefix_and_nothing_else(ctx, siblings):
    u4, u41, city = _union(siblings, 4), _union(siblings, 41), _union(siblings, 3)
    assert u41.path.startswith(u4.path.rstrip("/"))  # the trap is set
    assert not u4.contains(u41) and not u41.contains(u4)
    assert city.contains(u4) and city.contains(u41) and u4.contains(u4)

    def subtree(union):
        return set(db.session.scalars(select(Union.id).where(in_subtree(Union.path, union.path))))

    # Union 42 onwards: the transfers' former unions, filed under the same city.
    assert subtree(u4) == {4} and subtree(u41) == {41}
    assert {3, 4, 41} <= subtree(city)


SEEN = {4: {4}, 41: {41}, "city_staff": {4, 41}, "admin": {4, 41}}  # who → whose records they see


def test_scoped_lists_keep_each_sibling_to_itself(ctx, siblings):
    for who in SEEN:
        with _as(who):
            _scoped_lists_keep_each_sibling_to_itself(ctx, siblings, who)


def _scoped_lists_keep_each_sibling_to_itself(ctx, siblings, who):
    user, seen = _user(siblings, who), SEEN[who]
    unions_seen = set(db.session.scalars(scope.scoped(select(Union.id), user, Union.id))) & {4, 41}
    assert unions_seen == seen
    apps = set(
        db.session.scalars(
            scope.scoped(select(workflow.Application.public_id), user, workflow.Application.union_id).where(
                workflow.Application.status == "submitted"
            )
        )
    )
    assert apps == set().union(*(_public_ids(siblings, i) for i in seen))
    station_ids = set(db.session.scalars(scope.scoped(select(Station.id), user, Station.union_id)))
    assert station_ids == {siblings["stations"][i] for i in seen}
    report_ids = set(
        db.session.scalars(scope.scoped(select(StationReport.id).join(StationReport.station), user, Station.union_id))
    )
    assert report_ids == {siblings["reports"][i] for i in seen}
    pending = workflow.pending_counts(user)
    assert sum(pending.values()) == len(workflow.KINDS) * len(seen)
    # the staff queue's statements are built once and kept, the scope as parameters: the same rule
    listed = workflow.queue(user, workflow.QueueFilters(status="submitted"), per_page=100)
    assert {row.public_id for row in listed.items} == apps and listed.total == len(apps)
    for ident in (4, 41):  # narrowed to one sibling: never the other one's
        narrowed = workflow.queue(
            user, workflow.QueueFilters(status="all", union_code=_union(siblings, ident).code), per_page=100
        )
        expected = _public_ids(siblings, ident) if ident in seen else set()
        assert {row.public_id for row in narrowed.items} & {
            p for i in (4, 41) for p in _public_ids(siblings, i)
        } == expected
    assert station_reports.open_count_in_scope(user) == len(seen)


def test_may_act_on_siblings_sharing_a_prefix(ctx, siblings):
    for who, seen in SEEN.items():
        user = _user(siblings, who)
        for target in SIBLINGS:
            allowed = target in seen
            assert scope.may_act_on(user, _union(siblings, target)) is allowed, (who, target)
            assert scope.may_act_on(user, db.session.get(Station, siblings["stations"][target])) is allowed
            for public_id in _public_ids(siblings, target):
                application = db.session.scalars(
                    select(workflow.Application).where(workflow.Application.public_id == public_id)
                ).one()
                assert scope.may_act_on(user, application) is allowed, (who, target, application.kind)
                # Out of scope: no decision at all. In scope, the kind's stage says which level decides.
                level = application.current_stage.level
                expected = allowed and (user.role == "admin" or level in (None, user.union.level))
                decisions = workflow.allowed_actions(application, user) & workflow.REVIEWER_ACTIONS
                assert bool(decisions) is expected, (who, target, application.kind, decisions)


def test_load_in_scope_is_404_for_the_sibling_sharing_a_prefix(app, siblings):
    for who in SIBLINGS:
        with _as(who):
            _load_in_scope_is_404_for_the_sibling_sharing_a_prefix(app, siblings, who)


def _load_in_scope_is_404_for_the_sibling_sharing_a_prefix(app, siblings, who):
    other = OTHER[who]
    with app.test_request_context():
        user = _user(siblings, who)
        assert scope.load_in_scope(Union, who, user).id == who
        assert scope.load_in_scope(Station, siblings["stations"][who], user).union_id == who
        with pytest.raises(NotFound):
            scope.load_in_scope(Union, other, user)
        with pytest.raises(NotFound):
            scope.load_in_scope(Station, siblings["stations"][other], user)
        for public_id in _public_ids(siblings, other):
            with pytest.raises(DomainNotFound):
                workflow.load_for_reviewer(public_id, user)
            application = db.session.scalars(
                select(workflow.Application).where(workflow.Application.public_id == public_id)
            ).one()
            with pytest.raises(NotFound):
                scope.load_in_scope(workflow.Application, application.id, user)
            with pytest.raises(NotAllowed):
                workflow.decide(application, user, "approve")
        assert workflow.load_many_for_reviewer(sorted(_public_ids(siblings, other)), user) == []
        with pytest.raises(DomainNotFound):
            station_reports.load_in_scope(user, siblings["reports"][other])
        db.session.rollback()


def _queue_ids(client, query=""):
    html = page_text(client.get("/staff/reviews?status=all" + query))
    return set(re.findall(r"/staff/reviews/([A-Za-z0-9_-]{16})", html))


def test_the_review_queue_of_a_sibling_sharing_a_prefix(app, siblings):
    for who, seen in SEEN.items():
        client = login_as(app.test_client(), siblings["staff"][who] if who in SIBLINGS else siblings[who])
        ids = _queue_ids(client)
        for ident in SIBLINGS:
            if ident in seen:
                assert _public_ids(siblings, ident) <= ids, (who, ident)
            else:
                assert not _public_ids(siblings, ident) & ids, (who, ident)
        if who in SIBLINGS:  # filtering by the sibling's code does not widen the scope
            other = siblings["unions"][OTHER[who]].code
            assert not _public_ids(siblings, OTHER[who]) & _queue_ids(client, f"&union={other}")


def _application_state(app, public_id):
    with app.app_context():
        application = db.session.scalars(
            select(workflow.Application).where(workflow.Application.public_id == public_id)
        ).one()
        events = db.session.scalar(select(func.count(AuditEvent.id)))
        return application.status, application.stage, application.version, application.review_started_at, events


def test_staff_cannot_open_or_decide_the_applications_of_a_sibling_sharing_a_prefix(app, siblings):
    for who in SIBLINGS:
        with _as(who):
            _staff_cannot_open_or_decide_the_applications_of_a_sibling_sharing_a_prefix(app, siblings, who)


def _staff_cannot_open_or_decide_the_applications_of_a_sibling_sharing_a_prefix(app, siblings, who):
    client = login_as(app.test_client(), siblings["staff"][who])
    token = csrf_token(client, "/staff/reviews")
    for kind, public_id in siblings["applications"][OTHER[who]].items():
        before = _application_state(app, public_id)
        url = f"/staff/reviews/{public_id}"
        assert client.get(url).status_code == 404, kind
        for action, data in [
            ("decide", {"decision": "approve"}),
            ("decide", {"decision": "reject", "note": "不符合条件", "confirmed": "yes"}),
            ("reveal-id", {}),
        ]:
            assert client.post(f"{url}/{action}", data={**data, "csrf_token": token}).status_code == 404, (kind, action)
        r = client.post("/staff/reviews/bulk-approve", data={"ids": public_id, "confirmed": "yes", "csrf_token": token})
        assert r.status_code == 303
        assert _application_state(app, public_id) == before, kind  # not approved, not even "under review"
    # The same requests on their own union's applications do reach them: the 404s above are scope.
    for kind, public_id in siblings["applications"][who].items():
        _opens_and_decides(app, client, token, siblings["staff"][who], public_id, kind)


def _may_decide(app, user, public_id) -> bool:
    """Whether the workflow lets ``user`` decide now (a kind's stage may belong to another level)."""
    with app.app_context():
        application = db.session.scalars(
            select(workflow.Application).where(workflow.Application.public_id == public_id)
        ).one()
        return "request_info" in workflow.allowed_actions(application, db.session.get(User, user.id))


def _opens_and_decides(app, client, token, user, public_id, kind):
    """In scope: the detail opens, the logged reveal works, and a decision is taken where the
    kind's stage lets this person act (else refused as not theirs — never a 404). The decision is a
    request for information: every kind's reviewing stage offers it, and no kind guards it (an
    approval may need a kind's own figures first, such as hardship aid's home visit)."""
    url = f"/staff/reviews/{public_id}"
    assert client.get(url).status_code == 200, kind
    assert client.post(f"{url}/reveal-id", data={"csrf_token": token}).status_code == 200, kind
    may, before = _may_decide(app, user, public_id), _application_state(app, public_id)[:3]
    r = client.post(f"{url}/decide", data={"decision": "request_info", "note": "请补充材料。", "csrf_token": token})
    after = _application_state(app, public_id)[:3]
    if may:
        assert r.status_code == 303 and after == ("needs_info", before[1], before[2] + 1), (kind, r.status_code)
    else:
        assert r.status_code == 403 and after == before, (kind, r.status_code)


@pytest.mark.parametrize("who", ["city_staff", "admin"])
def test_the_common_ancestor_and_admins_open_and_decide_both_siblings(app, siblings, who):
    client = login_as(app.test_client(), siblings[who])
    token = csrf_token(client, "/staff/reviews")
    for ident in SIBLINGS:
        for kind, public_id in siblings["applications"][ident].items():
            if who == "admin":
                assert _may_decide(app, siblings[who], public_id), kind  # admins act at every stage
            _opens_and_decides(app, client, token, siblings[who], public_id, kind)


def _station_state(app, world, ident):
    with app.app_context():
        station = db.session.get(Station, world["stations"][ident])
        report = db.session.get(StationReport, world["reports"][ident])
        events = db.session.scalar(select(func.count(AuditEvent.id)))
        return station.name, station.is_active, station.union_id, report.status, events


def _exported(client) -> set[tuple[str, str]]:
    """(name, external id) of every station in the CSV export."""
    export = client.get("/staff/stations/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(page_text(export).lstrip("\ufeff"))))
    return {(row["name"], row["external_id"]) for row in rows}


def test_staff_cannot_see_or_manage_the_stations_of_a_sibling_sharing_a_prefix(app, siblings):
    for who in SIBLINGS:
        with _as(who):
            _staff_cannot_see_or_manage_the_stations_of_a_sibling_sharing_a_prefix(app, siblings, who)


def _staff_cannot_see_or_manage_the_stations_of_a_sibling_sharing_a_prefix(app, siblings, who):
    other = OTHER[who]
    client = login_as(app.test_client(), siblings["staff"][who])
    token = csrf_token(client, "/staff/stations")
    station_id, report_id = siblings["stations"][other], siblings["reports"][other]
    listing = page_text(client.get("/staff/stations"))
    assert f"{who}号驿站" in listing and f"{other}号驿站" not in listing
    reports_page = page_text(client.get("/staff/stations/reports?status=all"))
    assert f"{who}号驿站没有热水" in reports_page and f"{other}号驿站没有热水" not in reports_page
    assert _exported(client) == {(f"{who}号驿站", f"PX-S{who}")}
    assert client.get(f"/staff/posters/{siblings['unions'][other].code}").status_code == 404
    before = _station_state(app, siblings, other)
    for path, data in [
        (f"/staff/stations/{station_id}/edit", {"name": "改名", "address": "别处", "lat": "45", "lng": "126"}),
        (f"/staff/stations/{station_id}/deactivate", {}),
        (f"/staff/stations/{station_id}/activate", {}),
        (f"/staff/stations/reports/{report_id}/resolve", {"note": "已处理"}),
        (f"/staff/stations/reports/{report_id}/reveal-phone", {}),
    ]:
        if not path.startswith("/staff/stations/reports"):
            assert client.get(path).status_code == 404, path
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    assert _station_state(app, siblings, other) == before
    # Their own station and report answer the same requests.
    own, own_report = siblings["stations"][who], siblings["reports"][who]
    assert client.get(f"/staff/stations/{own}/edit").status_code == 200
    assert client.post(f"/staff/stations/{own}/deactivate", data={"csrf_token": token}).status_code == 303
    r = client.post(f"/staff/stations/reports/{own_report}/resolve", data={"csrf_token": token, "note": "已处理"})
    assert r.status_code == 303
    assert _station_state(app, siblings, who)[1:4] == (False, who, "resolved")


def test_the_common_ancestor_and_admins_export_and_list_both_siblings(app, siblings):
    for who in ("city_staff", "admin"):
        with _as(who):
            _the_common_ancestor_and_admins_export_and_list_both_siblings(app, siblings, who)


def _the_common_ancestor_and_admins_export_and_list_both_siblings(app, siblings, who):
    client = login_as(app.test_client(), siblings[who])
    assert _exported(client) == {(f"{ident}号驿站", f"PX-S{ident}") for ident in SIBLINGS}
    listing = page_text(client.get("/staff/stations"))
    reports_page = page_text(client.get("/staff/stations/reports"))
    for ident in SIBLINGS:
        assert f"{ident}号驿站" in listing
        assert f"{ident}号驿站没有热水" in reports_page


def test_station_services_refuse_the_sibling_sharing_a_prefix(ctx, siblings):
    for who in SIBLINGS:
        with _as(who):
            _station_services_refuse_the_sibling_sharing_a_prefix(ctx, siblings, who)


def _station_services_refuse_the_sibling_sharing_a_prefix(ctx, siblings, who):
    other = OTHER[who]
    user = _user(siblings, who)
    data = {"name": "新驿站", "address": "新路1号", "lat": "45.7", "lng": "126.6", "open_hours": "24h"}
    with pytest.raises(InvalidInput):
        stations.create_station(user, {**data, "union_code": siblings["unions"][other].code})
    station = db.session.get(Station, siblings["stations"][other])
    with pytest.raises(NotAllowed):
        stations.set_active(user, station, False)
    with pytest.raises(NotAllowed):
        stations.update_station(user, station, data)
    db.session.rollback()
    # An import matches only stations of the importer's own scope: the sibling's external id is
    # refused, its name and address make a new station of one's own — never a takeover.
    header = ",".join(stations.EXPORT_COLUMNS)
    taken = f"接管,别处1号,45.7,126.6,,24h,,PX-S{other},"
    report = importer.import_stations(f"{header}\n{taken}\n".encode(), actor=user)
    assert not report.imported and report.errors
    db.session.rollback()
    same = f"{other}号驿站,前缀路{other}号,45.7,126.6,,24h,,,"
    report = importer.import_stations(f"{header}\n{same}\n".encode(), actor=user)
    assert report.imported and (report.created, report.updated) == (1, 0)
    db.session.flush()
    assert db.session.get(Station, siblings["stations"][other]).union_id == other
    db.session.rollback()
