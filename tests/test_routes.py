"""Every route, asked by every kind of person: the expected answer, and pages that stay small.

When you add a route, add it here: ``test_every_route_is_in_the_matrix`` fails until you do.
"""

import pytest

from tests.helpers import login_as, valid_id_number

LOGIN = "login"  # a redirect to the sign-in page
PROFILE = "profile"  # signed-in people are sent to their profile

# rule → expected GET status for (anonymous, worker, staff, admin)
GET_MATRIX = {
    "/": (200, 200, 200, 200),
    "/services": (200, 200, 200, 200),
    "/privacy": (200, 200, 200, 200),
    "/aid/check": (200, 200, 200, 200),
    "/tracker": (LOGIN, 200, 200, 200),
    # Hardship aid, asked by people who are not members; <public_id> is a membership application
    # (not an aid one: 404 everywhere), <code> a grassroots union (notices are per county: 404).
    "/aid": (200, 200, 200, 200),
    "/aid/apply": (LOGIN, 302, 302, 302),
    "/aid/applications/<public_id>": (LOGIN, 404, 404, 404),
    "/aid/applications/<public_id>/edit": (LOGIN, 404, 404, 404),
    "/aid/applications/<public_id>/withdraw": (LOGIN, 404, 404, 404),
    "/aid/applications/<public_id>/documents/<file_id>": (LOGIN, 404, 404, 404),
    "/aid/cases/<public_id>": (LOGIN, 404, 404, 404),
    "/aid/notices": (200, 200, 200, 200),
    "/aid/notices/<code>": (404, 404, 404, 404),
    "/aid/notices/<code>/<public_id>/object": (LOGIN, 404, 404, 404),
    "/aid/staff/applications/<public_id>/documents/<file_id>": (LOGIN, 403, 404, 404),
    "/aid/staff/cases": (LOGIN, 403, 200, 200),
    "/aid/staff/cases/<public_id>": (LOGIN, 403, 404, 404),
    "/aid/admin/standards": (LOGIN, 403, 403, 200),
    "/staff/calendar": (LOGIN, 403, 403, 200),
    "/healthz": (200, 200, 200, 200),
    "/favicon.ico": (301, 301, 301, 301),
    "/messages": (LOGIN, 200, 200, 200),
    "/me": (LOGIN, 200, 200, 200),
    "/me/edit": (LOGIN, 200, 200, 200),
    "/me/password": (LOGIN, 200, 200, 200),
    "/auth/register": (200, PROFILE, PROFILE, PROFILE),
    "/auth/login": (200, 302, 302, 302),
    "/staff": (LOGIN, 403, 200, 200),
    "/admin/users": (LOGIN, 403, 403, 200),
    "/admin/users/new": (LOGIN, 403, 403, 200),
    "/admin/users/<int:user_id>": (LOGIN, 403, 403, 200),
    # Membership, asked by people who are not members and by no applicant of <public_id>.
    "/membership": (LOGIN, 200, 200, 200),
    "/membership/apply": (LOGIN, 200, 200, 200),
    "/membership/apply/form": (LOGIN, 200, 200, 200),
    "/membership/join/<code>": (200, 302, 302, 302),
    "/membership/identity": (LOGIN, 302, 302, 302),
    "/membership/join/<code>/qr.svg": (200, 200, 200, 200),
    "/membership/applications/<public_id>": (LOGIN, 404, 404, 404),
    "/membership/applications/<public_id>/edit": (LOGIN, 404, 404, 404),
    "/membership/applications/<public_id>/withdraw": (LOGIN, 404, 404, 404),
    "/membership/transfer": (LOGIN, 302, 302, 302),
    "/membership/transfer/form": (LOGIN, 302, 302, 302),
    "/membership/leave": (LOGIN, 302, 302, 302),
    "/me/card": (LOGIN, 200, 200, 200),
    "/me/card.svg": (LOGIN, 404, 404, 404),
    "/verify/<token>": (200, 200, 200, 200),
    "/staff/reviews": (LOGIN, 403, 200, 200),
    "/staff/reviews/filter": (LOGIN, 403, 200, 200),
    "/staff/reviews/<public_id>": (LOGIN, 403, 200, 200),
    "/staff/posters": (LOGIN, 403, 200, 200),
    "/staff/posters/<code>": (LOGIN, 403, 200, 200),
    # Rest stations (<station_id>: a station of 香坊区, in the staff member's scope).
    "/stations": (200, 200, 200, 200),
    "/stations/map": (200, 200, 200, 200),
    "/stations/<int:station_id>": (200, 200, 200, 200),
    "/api/v1/stations/nearby": (200, 200, 200, 200),
    "/api/v1/aid/check": (400, 400, 400, 400),  # without its figures: a bad request, with reasons
    "/staff/stations": (LOGIN, 403, 200, 200),
    "/staff/stations/new": (LOGIN, 403, 200, 200),
    "/staff/stations/<int:station_id>/edit": (LOGIN, 403, 200, 200),
    "/staff/stations/<int:station_id>/<any(deactivate, activate):action>": (LOGIN, 403, 200, 200),
    "/staff/stations/import": (LOGIN, 403, 200, 200),
    "/staff/stations/export.csv": (LOGIN, 403, 200, 200),
    "/staff/stations/reports": (LOGIN, 403, 200, 200),
    # Mutual medical insurance (<code> is a union's code, no plan's: 404; <public_id> no enrolment).
    "/insurance": (200, 200, 200, 200),
    "/insurance/plans/<code>": (404, 404, 404, 404),
    "/insurance/plans/<code>/enrol": (LOGIN, 404, 404, 404),
    "/insurance/staff/payments": (LOGIN, 403, 200, 200),
    "/insurance/staff/enrolments/<public_id>/confirm": (LOGIN, 403, 404, 404),
    "/insurance/claims/new": (LOGIN, 404, 404, 404),  # no cover named
    "/insurance/claims/<public_id>": (LOGIN, 404, 404, 404),
    "/insurance/claims/<public_id>/documents/<file_id>": (LOGIN, 404, 404, 404),
    "/insurance/claims/<public_id>/withdraw": (LOGIN, 404, 404, 404),
    "/insurance/staff/claims/<public_id>/documents/<file_id>": (LOGIN, 403, 404, 404),
    "/insurance/staff/enrol": (LOGIN, 403, 200, 200),  # no plans here: the empty state
    "/insurance/staff/import": (LOGIN, 403, 200, 200),
    "/insurance/staff/roster.xlsx": (LOGIN, 403, 404, 404),  # no plan to export
    "/insurance/admin/plans": (LOGIN, 403, 403, 200),
    "/insurance/admin/plans/new": (LOGIN, 403, 403, 200),
    "/insurance/admin/plans/<code>/edit": (LOGIN, 403, 403, 404),
    "/api/v1/insurance/plans": (200, 200, 200, 200),
    "/api/v1/insurance/plans/<code>/estimate": (404, 404, 404, 404),
    # Worker libraries (finder and staff management): <int:library_id> is a library of county_a1,
    # in the staff member's scope.
    "/libraries": (200, 200, 200, 200),
    "/libraries/<int:library_id>": (200, 200, 200, 200),
    "/libraries/mine": (LOGIN, 200, 200, 200),
    "/staff/libraries": (LOGIN, 403, 200, 200),
    "/staff/libraries/new": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>/edit": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>/closures": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>/partners": (LOGIN, 403, 200, 200),
    # Worker libraries (holds, loans and the desk): <int:book_id> is a catalogue entry of that library;
    # a worker who is not a member is told why they cannot reserve (200).
    "/libraries/entries/<int:book_id>/reserve": (LOGIN, 200, 200, 200),
    "/staff/libraries/<int:library_id>/holds": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>/desk": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>/overdue": (LOGIN, 403, 200, 200),
    # Worker libraries (visits): <int:visit_id> is nobody's visit (someone else's is a 404 too).
    "/libraries/<int:library_id>/book": (200, 200, 200, 200),
    "/libraries/visits/<int:visit_id>": (LOGIN, 404, 404, 404),
    "/libraries/visits/<int:visit_id>/cancel": (LOGIN, 404, 404, 404),
    "/staff/libraries/<int:library_id>/checkin": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>/visits": (LOGIN, 403, 200, 200),
    # Worker libraries (catalogue and search): <isbn> is the ISBN of that library's catalogue entry.
    "/libraries/search": (200, 200, 200, 200),
    "/libraries/titles/<isbn>": (200, 200, 200, 200),
    "/staff/libraries/<int:library_id>/catalogue": (LOGIN, 403, 200, 200),
    "/staff/libraries/<int:library_id>/catalogue/import": (LOGIN, 403, 200, 200),
    "/staff/libraries/catalogue-sample.csv": (LOGIN, 403, 200, 200),
}
POST_ONLY = {
    "/auth/logout",
    "/messages/read",
    "/settings/text-size",
    "/staff/reviews/<public_id>/decide",
    "/staff/reviews/<public_id>/reveal-id",
    "/staff/reviews/bulk-approve",
    "/membership/applications/<public_id>/reply",
    "/staff/stations/reports/<int:report_id>/resolve",
    "/staff/stations/reports/<int:report_id>/reveal-phone",
    "/aid/applications/<public_id>/documents",
    "/aid/applications/<public_id>/documents/<file_id>/delete",
    "/aid/applications/<public_id>/submit",
    "/aid/applications/<public_id>/reply",
    "/aid/staff/applications/<public_id>/visit",
    "/aid/staff/applications/<public_id>/recommend",
    "/aid/staff/applications/<public_id>/approve",
    "/aid/staff/cases/<public_id>/payments",
    "/aid/staff/cases/<public_id>/recheck",
    "/aid/staff/cases/<public_id>/close",
    "/staff/calendar/<day>/delete",
    "/insurance/claims/<public_id>/documents",
    "/insurance/claims/<public_id>/submit",
    "/insurance/claims/<public_id>/reply",
    "/insurance/staff/claims/<public_id>/approve",
    "/staff/libraries/<int:library_id>/closures/<int:closure_id>/remove",
    # Worker libraries (holds, loans and the desk)
    "/libraries/holds/<int:hold_id>/cancel",
    "/libraries/loans/<int:loan_id>/renew",
    "/staff/libraries/<int:library_id>/holds/<int:hold_id>/ready",
}
ROLES = ("anonymous", "worker", "staff", "admin")
MAX_PAGE_BYTES = 60 * 1024


def test_every_route_is_in_the_matrix(app):
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"}
    assert rules - set(GET_MATRIX) - POST_ONLY == set()


@pytest.fixture
def people(app, make_user, tree, make_application, add_stations):
    applicant = make_user("worker", id_number=valid_id_number())
    (station_id,) = add_stations([(45.7100, 126.6626)])
    from portal.extensions import db
    from portal.libraries.services import directory

    with app.app_context():
        library = directory.create_library(
            None,
            {"name": "路由书屋", "address": "路1号", "lat": 45.71, "lng": 126.66, "open_hours": "08:00-20:00"}
            | {"union_code": tree["county_a1"].code},
        )
        db.session.commit()
        library_id = library.id
        # Worker libraries (holds, loans and the desk): a catalogue entry of that library.
        from portal.libraries.services import books

        book_id = books.save_entry(library_id, books.EntryData(isbn="9787530216781", title="路由测试书")).entry.id
        db.session.commit()
    return {
        "station_id": station_id,
        "library_id": library_id,
        "book_id": book_id,
        "worker": make_user("worker"),
        "staff": make_user("staff", union=tree["county_a1"]),
        "admin": make_user("admin"),
        "application": make_application(applicant, tree["grassroots_a1"]),
    }


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, people, role):
    client = app.test_client()
    if role != "anonymous":
        login_as(client, people[role])
    for rule, expectations in GET_MATRIX.items():
        path = (
            rule.replace("<int:user_id>", str(people["worker"].id))
            .replace("<public_id>", people["application"].public_id)
            .replace("<code>", "GA1")
            .replace("<token>", "not-a-token")
            .replace("<file_id>", "not-a-file")
            .replace("<int:station_id>", str(people["station_id"]))
            .replace("<int:library_id>", str(people["library_id"]))
            .replace("<int:book_id>", str(people["book_id"]))
            .replace("<int:visit_id>", "999999")  # Worker libraries (visits)
            .replace("<isbn>", "9787530216781")  # Worker libraries (catalogue and search)
            .replace("<any(deactivate, activate):action>", "deactivate")
            .replace("/nearby", "/nearby?lat=45.7&lng=126.6")
        )
        expected = expectations[ROLES.index(role)]
        r = client.get(path)
        if expected == LOGIN:
            assert r.status_code == 302 and "/auth/login" in r.headers["Location"], (role, path)
        elif expected == PROFILE:
            assert r.status_code == 302 and r.headers["Location"].endswith("/me"), (role, path)
        else:
            assert r.status_code == expected, (role, path, r.status_code)
        if r.status_code == 200 and r.mimetype == "text/html":
            assert len(r.data) < MAX_PAGE_BYTES, (path, len(r.data))


def test_unknown_user_id_is_404_for_admin(client, people):
    login_as(client, people["admin"])
    assert client.get("/admin/users/999999").status_code == 404
