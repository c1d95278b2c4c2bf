"""Who may do what with worker A's membership application — the permission matrix.

Personas: anonymous, worker A (the applicant), worker B, staff of A's grassroots union,
staff of its county union (an ancestor: allowed), staff of the sibling county (refused), admin.
"""

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.workflow import Application
from portal.extensions import db
from tests.helpers import csrf_token, login_as, page_text, valid_id_number

PERSONAS = ("anonymous", "worker_a", "worker_b", "grassroots_staff", "county_staff", "sibling_staff", "admin")
LOGIN = "login"


@pytest.fixture
def world(app, make_user, make_application, tree):
    people = {
        "worker_a": make_user(name="甲骑手", id_number=valid_id_number()),
        "worker_b": make_user(name="乙骑手", id_number=valid_id_number()),
        "grassroots_staff": make_user("staff", union=tree["grassroots_a1"]),
        "county_staff": make_user("staff", union=tree["county_a1"]),
        "sibling_staff": make_user("staff", union=tree["county_a2"]),
        "admin": make_user("admin"),
    }
    application = make_application(people["worker_a"], tree["grassroots_a1"])
    clients = {"anonymous": app.test_client()}
    for name, user in people.items():
        clients[name] = login_as(app.test_client(), user)
    return {"people": people, "application": application, "clients": clients}


def _check(response, expected, context):
    if expected == LOGIN:
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], context
    else:
        assert response.status_code == expected, (context, response.status_code)


GET_MATRIX = {
    # path template: expected per persona, in PERSONAS order
    "/membership/applications/{id}": (LOGIN, 200, 404, 404, 404, 404, 404),
    "/membership/applications/{id}/withdraw": (LOGIN, 200, 404, 404, 404, 404, 404),
    "/membership/applications/{id}/edit": (LOGIN, 302, 404, 404, 404, 404, 404),
    "/staff/reviews/{id}": (LOGIN, 403, 403, 200, 200, 404, 200),
    "/staff/reviews": (LOGIN, 403, 403, 200, 200, 200, 200),
    "/staff/posters/GA1": (LOGIN, 403, 403, 200, 200, 404, 200),
    "/staff/posters/GA2": (LOGIN, 403, 403, 404, 404, 200, 200),
    "/staff/posters": (LOGIN, 403, 403, 200, 200, 200, 200),
}


@pytest.mark.parametrize("path", list(GET_MATRIX))
def test_get_matrix(world, path):
    url = path.format(id=world["application"].public_id)
    for persona, expected in zip(PERSONAS, GET_MATRIX[path], strict=True):
        _check(world["clients"][persona].get(url), expected, (persona, url))


def test_queue_shows_the_application_only_within_scope(world):
    seen = {
        p: "甲骑手" in page_text(world["clients"][p].get("/staff/reviews"))
        for p in ("grassroots_staff", "county_staff", "sibling_staff", "admin")
    }
    assert seen == {"grassroots_staff": True, "county_staff": True, "sibling_staff": False, "admin": True}


def _post(client, url, data, token_page="/"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_page)})


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", LOGIN),
        ("worker_a", 403),
        ("worker_b", 403),
        ("sibling_staff", 404),
    ],
)
def test_refused_deciders_change_nothing(app, world, persona, expected):
    application = world["application"]
    for decision in ("approve", "reject", "request_info"):
        r = _post(
            world["clients"][persona],
            f"/staff/reviews/{application.public_id}/decide",
            {"decision": decision, "note": "x"},
            token_page="/auth/login" if persona == "anonymous" else "/",
        )
        _check(r, expected, (persona, decision))
    with app.app_context():
        assert db.session.get(Application, application.id).status == "submitted"


@pytest.mark.parametrize("persona", ["grassroots_staff", "county_staff", "admin"])
def test_allowed_deciders_can_decide(app, world, persona):
    application = world["application"]
    r = _post(
        world["clients"][persona],
        f"/staff/reviews/{application.public_id}/decide",
        {"decision": "request_info", "note": "请补充站点"},
    )
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(Application, application.id).status == "needs_info"


def test_full_id_number_only_for_reviewers_in_scope_and_every_view_logged(app, world):
    application = world["application"]
    url = f"/staff/reviews/{application.public_id}/reveal-id"
    expected = {
        "anonymous": LOGIN,
        "worker_a": 403,
        "worker_b": 403,
        "grassroots_staff": 200,
        "county_staff": 200,
        "sibling_staff": 404,
        "admin": 200,
    }
    for persona, status in expected.items():
        _check(
            _post(world["clients"][persona], url, {}, token_page="/auth/login" if persona == "anonymous" else "/"),
            status,
            persona,
        )
    with app.app_context():
        logged = db.session.scalars(
            select(AuditEvent.actor_id).where(AuditEvent.action == "sensitive.id_number_viewed")
        ).all()
    people = world["people"]
    assert sorted(logged) == sorted([people["grassroots_staff"].id, people["county_staff"].id, people["admin"].id])


@pytest.mark.parametrize("persona", ["worker_b", "county_staff", "admin"])
def test_only_the_applicant_withdraws(app, world, persona):
    application = world["application"]
    r = _post(world["clients"][persona], f"/membership/applications/{application.public_id}/withdraw", {})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(Application, application.id).status == "submitted"


def test_ids_in_urls_are_not_a_guessable_sequence(app, world, make_user, make_application, tree):
    a = world["application"]
    b_app = make_application(world["people"]["worker_b"], tree["grassroots_a1"])
    assert len(a.public_id) >= 16 and a.public_id != str(a.id)
    client_b = world["clients"]["worker_b"]
    # B reads their own, not A's — neither by A's public id nor by trying internal numbers.
    assert client_b.get(f"/membership/applications/{b_app.public_id}").status_code == 200
    assert client_b.get(f"/membership/applications/{a.public_id}").status_code == 404
    for guess in (a.id, b_app.id, a.id + 1):
        assert client_b.get(f"/membership/applications/{guess}").status_code == 404


def test_no_one_sees_applications_through_another_persons_session(app, world):
    with app.app_context():
        total = db.session.scalar(select(func.count(Application.id)))
    assert total == 1
    html = page_text(world["clients"]["worker_b"].get("/membership"))
    assert "甲骑手" not in html and world["application"].public_id not in html
