"""Worker libraries test set-up: libraries under 香坊区 (county_a1) and 通河县 (county_a2), catalogue
entries, members of grassroots_a1, and staff in and out of scope."""

from __future__ import annotations

import itertools

import pytest

from portal.accounts.models import User
from portal.core import workflow
from portal.extensions import db
from tests.helpers import valid_id_number

HARBIN = (45.7569, 126.6424)
TONGHE = (45.9903, 128.7463)
_numbers = itertools.count(1)


@pytest.fixture
def make_library(app, tree):
    """make_library(union="county_a1", **fields) → the library's id (committed)."""
    from portal.libraries.services import directory

    def make(union="county_a1", **fields):
        n = next(_numbers)
        lat, lng = HARBIN if union != "county_a2" else TONGHE
        data = {
            "name": f"测试职工书屋{n}",
            "address": f"测试路{n}号",
            "lat": lat + n * 0.001,
            "lng": lng,
            "open_hours": "08:00-20:00",
            "slot_minutes": 60,
            "places_per_slot": 10,
            "union_code": tree[union].code,
        } | fields
        with app.app_context():
            library = directory.create_library(None, data)
            db.session.commit()
            return library.id

    return make


@pytest.fixture
def make_entry(app):
    """make_entry(library_id, title=…, isbn=…, copies=1, author=…) → the catalogue entry's id."""
    from portal.core.isbn import isbn13_check_digit
    from portal.libraries.services import books

    def make(library_id, title="测试图书", *, isbn=None, copies=1, author="佚名", publisher="测试出版社", **fields):
        if isbn is None:
            body = f"9787{next(_numbers):08d}"
            isbn = body + isbn13_check_digit(body)
        with app.app_context():
            saved = books.save_entry(
                library_id,
                books.EntryData(isbn=isbn, title=title, author=author, publisher=publisher, copies=copies, **fields),
            )
            db.session.commit()
            return saved.entry.id

    return make


@pytest.fixture
def readers(app, tree, make_user, make_application):
    """Members of grassroots_a1 (approved through the workflow, so they hold member cards), a
    signed-up worker who is not a member, and staff: county_a1 (in scope of its libraries),
    county_a2 (a sibling county: out of scope), grassroots_a1 and an admin."""
    reviewer = make_user("staff", union=tree["grassroots_a1"], name="基层管理员")
    made = {"grassroots": reviewer}
    for key, name, seq in (("member", "王读者", "111"), ("member2", "李读者", "122"), ("member3", "赵读者", "133")):
        user = make_user(name=name, id_number=valid_id_number(seq=seq))
        application = make_application(user, tree["grassroots_a1"], real_name=name)
        with app.app_context():
            workflow.decide(
                db.session.get(workflow.Application, application.id), db.session.get(User, reviewer.id), "approve"
            )
            db.session.commit()
        made[key] = user
    made["worker"] = make_user(name="路人甲", id_number=valid_id_number(seq="141"))
    made["county"] = make_user("staff", union=tree["county_a1"], name="书屋管理员")
    made["county_other"] = make_user("staff", union=tree["county_a2"], name="别县管理员")
    made["admin"] = make_user("admin")
    return made
