"""Test set-up: one app per session on a throwaway database, a clean database per test.

The database is a SQLite file, or — when ``TEST_DATABASE_URL`` is set — a fresh
PostgreSQL database created next to the one named there and dropped at the end.
The schema is built by the Alembic migrations, exactly as in production.

Data is made with the factories below. They commit, so what a test makes is
visible to requests made through the test client (and to the live server of the
browser tests). Tests that call services directly use the ``ctx`` fixture.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import has_app_context
from sqlalchemy import create_engine, delete, insert, text

from portal import create_app
from portal.core.db import utcnow
from portal.extensions import db, limiter
from tests.helpers import PASSWORD, next_number, unique_phone, valid_id_number


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = _postgres_url()
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    parts = urlsplit(base)
    name = f"portal_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(app):
    yield
    with app.app_context():
        db.session.rollback()
        tables = db.metadata.sorted_tables
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                db.session.execute(table.delete())
        db.session.commit()
        limiter.reset()


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


# --- Factories -------------------------------------------------------------------------------


@contextmanager
def _app_context(app):
    """Use the test's own context when there is one, else a short-lived one."""
    if has_app_context():
        yield False
    else:
        with app.app_context():
            yield True


def _detach(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_union(app):
    from portal.unions import services as unions

    def make(code=None, level="grassroots", parent=None, name=None, kind=None, **fields):
        with _app_context(app) as own:
            parent_obj = unions.find_by_code(parent.code) if parent is not None else None
            code = code or f"U{next_number():05d}"
            kind = kind or ("regional" if level != "grassroots" else "enterprise")
            union = unions.create_union(
                code=code, name=name or f"{code}工会", level=level, parent=parent_obj, kind=kind, **fields
            )
            db.session.commit()
            return _detach(union) if own else union

    return make


@pytest.fixture
def tree(make_union):
    """A small union tree used across the suite.

    national
    └── province
        ├── city_a
        │   ├── county_a1 ── grassroots_a1  (and grassroots_a1b)
        │   └── county_a2 ── grassroots_a2
        └── city_b
            └── county_b1 ── grassroots_b1
    """
    t = {}
    t["national"] = make_union("N", level="national", name="中华全国总工会")
    t["province"] = make_union("P", level="province", parent=t["national"], name="黑龙江省总工会")
    t["city_a"] = make_union("CA", level="city", parent=t["province"], name="哈尔滨市总工会")
    t["city_b"] = make_union("CB", level="city", parent=t["province"], name="齐齐哈尔市总工会")
    t["county_a1"] = make_union("CA1", level="county", parent=t["city_a"], name="香坊区总工会")
    t["county_a2"] = make_union("CA2", level="county", parent=t["city_a"], name="通河县总工会")
    t["county_b1"] = make_union("CB1", level="county", parent=t["city_b"], name="龙沙区总工会")
    t["grassroots_a1"] = make_union(
        "GA1", parent=t["county_a1"], name="香坊区快递外卖配送行业工会联合会", kind="industry_federation"
    )
    t["grassroots_a1b"] = make_union("GA1B", parent=t["county_a1"], name="哈尔滨松江机械制造有限公司工会")
    t["grassroots_a2"] = make_union(
        "GA2", parent=t["county_a2"], name="通河县通河镇社区工会联合会", kind="community_federation"
    )
    t["grassroots_b1"] = make_union("GB1", parent=t["county_b1"], name="龙沙区某企业工会")
    return t


@pytest.fixture
def make_user(app):
    from portal.accounts import services as accounts

    def make(role="worker", union=None, phone=None, password=PASSWORD, name="测试用户", id_number=None, active=True):
        with _app_context(app) as own:
            user = accounts.create_account(
                None,
                phone=phone or unique_phone(),
                password=password,
                name=name,
                role=role,
                union_code=union.code if union else None,
            )
            if id_number:
                accounts.update_profile(user, name=name, id_number=id_number)
            if not active:
                user.is_active_account = False
            db.session.commit()
            user.test_password = password
            return _detach(user) if own else user

    return make


MEMBERSHIP_FORM = {
    "real_name": "骑手甲",
    "ethnicity": "01",
    "education": "senior",
    "political_status": "",
    "employment_type": "delivery_rider",
    "platform": "meituan",
    "employer": "香坊站",
    "work_region_code": "",
}


@pytest.fixture
def make_application(app):
    """A submitted membership application of ``user`` to ``union`` (made through the service)."""
    from portal.accounts.models import User
    from portal.membership import services as membership

    def make(user, union, **changes):
        with _app_context(app) as own:
            applicant = db.session.get(User, user.id)
            data = {**MEMBERSHIP_FORM, "real_name": applicant.name, "union_code": union.code, **changes}
            application = membership.apply(applicant, data, consent=True)
            db.session.commit()
            return _detach(application) if own else application

    return make


@pytest.fixture
def add_stations(app, tree):
    """add_stations([(lat, lng), …] or [(lat, lng, amenities, hours), …]) → ids, in order."""

    from portal.stations.models import Station, amenity_mask

    def add(points, union="county_a1", replace=False):
        with app.app_context():
            if replace:
                db.session.execute(delete(Station))
            now = utcnow()
            rows = []
            for i, p in enumerate(points):
                lat, lng = p[0], p[1]
                amenities = p[2] if len(p) > 2 else ()
                hours = p[3] if len(p) > 3 else "24h"
                rows.append(
                    {
                        "name": f"驿站{i}",
                        "address": f"测试路{i}号",
                        "lat": lat,
                        "lng": lng,
                        "amenity_mask": amenity_mask(amenities),
                        "open_hours": hours,
                        "union_id": tree[union].id,
                        "is_active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            ids = []
            for row in rows:  # one by one, to know each id (portable RETURNING)
                ids.append(db.session.execute(insert(Station).returning(Station.id), row).scalar_one())
            db.session.commit()
            return ids

    return add


# --- Sibling unions whose ids share a prefix ---------------------------------------------------


PREFIX_TREE = (
    # (id, code, level, parent id, name)
    (1, "PX-N", "national", None, "前缀测试全国总工会"),
    (2, "PX-P", "province", 1, "前缀测试省总工会"),
    (3, "PX-C", "city", 2, "前缀测试市总工会"),
    (4, "PX-G4", "grassroots", 3, "四号基层工会"),
    (41, "PX-G41", "grassroots", 3, "四十一号基层工会"),
)


@pytest.fixture
def prefix_siblings(app):
    """Two sibling unions whose ids — and so whose paths — share a prefix: 4 and 41.

    national 1 › province 2 › city 3 › grassroots 4   (path /1/2/3/4/)
                                    › grassroots 41  (path /1/2/3/41/)

    Paths compare as strings, so a subtree test written as ``path LIKE '/1/2/3/4%'`` or
    ``startswith("/1/2/3/4")`` (no trailing separator) puts 41 inside 4 — only a tree like this
    one can catch it. The ids are inserted explicitly (the factories would hand out 1, 2, 3 …),
    and PostgreSQL's id sequence is moved past them so later unions get fresh ids (42 next).
    Returns the unions by id (detached unless the test has its own context).
    """
    from portal.unions.models import Union

    with _app_context(app) as own:
        nodes: dict[int, Union] = {}
        for ident, code, level, parent_id, name in PREFIX_TREE:
            parent = nodes.get(parent_id)
            assert db.session.get(Union, ident) is None, f"union id {ident} is taken: use prefix_siblings alone"
            union = Union(
                id=ident,
                code=code,
                name=name,
                level=level,
                kind="enterprise" if level == "grassroots" else "regional",
                parent_id=parent_id,
                path=f"{parent.path if parent else '/'}{ident}/",
                depth=parent.depth + 1 if parent else 0,
            )
            db.session.add(union)
            db.session.flush()
            nodes[ident] = union
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text("SELECT setval(pg_get_serial_sequence('unions', 'id'), (SELECT max(id) FROM unions))")
            )
        db.session.commit()
        assert (nodes[4].path, nodes[41].path) == ("/1/2/3/4/", "/1/2/3/41/")
        return {ident: _detach(union) if own else union for ident, union in nodes.items()}


# --- An open application of each registered kind -------------------------------------------------


class _Factories:
    def __init__(self, app, make_user, make_union, make_application):
        self.app, self.make_user, self.make_union, self.make_application = app, make_user, make_union, make_application

    def member_of(self, union, name):
        """A person whose membership of ``union`` an admin has approved."""
        from portal.accounts.models import User
        from portal.core import workflow

        person = self.make_user(name=name, id_number=valid_id_number())
        filed = self.make_application(person, union)
        approver = self.make_user("admin")
        workflow.decide(db.session.get(workflow.Application, filed.id), db.session.get(User, approver.id), "approve")
        db.session.commit()
        return person


def _file_membership(f: _Factories, union, name):
    applicant = f.make_user(name=name, id_number=valid_id_number())
    return applicant, f.make_application(applicant, union)


def _file_transfer(f: _Factories, union, name):
    from portal.accounts.models import User
    from portal.membership import services as membership

    source = f.make_union(level="grassroots", parent=union.parent, name=f"{name}原来的工会")
    member = f.member_of(source, name)
    application = membership.request_transfer(
        db.session.get(User, member.id), union_code=union.code, reason="搬家了，换到离家近的工会。"
    )
    db.session.commit()
    return member, application


def _file_identity_change(f: _Factories, union, name):
    from portal.accounts.models import User
    from portal.membership import identity

    member = f.member_of(union, name)
    application = identity.request_change(
        db.session.get(User, member.id), real_name=name + "某", id_number=None, reason="姓名登记时少写了一个字。"
    )
    db.session.commit()
    return member, application


def _file_aid(f: _Factories, union, name):
    """Hardship aid: a member's draft with the household's figures and one document, sent."""
    from portal.accounts.models import User
    from portal.aid.services import applications
    from tests.aid.conftest import add_document, details

    member = db.session.get(User, f.member_of(union, name).id)
    application = applications.save_draft(member, details())
    add_document(application, member)
    applications.submit(application, member)
    db.session.commit()
    return member, application


def _file_insurance_claim(f: _Factories, union, name):
    """An insurance claim: a member covered (from 200 days ago, no waiting period) by a plan of
    their own, a hospital stay ten days ago with one document, sent."""
    from datetime import timedelta

    from portal.accounts.models import User
    from portal.core.time import local_today
    from portal.insurance import claims, services
    from tests.aid.conftest import add_document
    from tests.insurance.conftest import claim_details, open_plan

    member = db.session.get(User, f.member_of(union, name).id)
    plan = open_plan(f"K{next_number()}")
    enrolment = services.enrol_self(member, plan)
    confirmer = db.session.get(User, f.make_user("admin").id)
    services.confirm_payment(enrolment, confirmer, today=plan.coverage_start)
    claim = claims.draft_claim(member, enrolment, claim_details(local_today() - timedelta(days=10)))
    add_document(claim, member)
    claims.submit_claim(claim, member)
    db.session.commit()
    return member, claim


# kind name → how to file an open (submitted) application of that kind to a union, through the
# kind's own services: (factories, union, applicant's name) → (applicant, application).
# A kind registered in portal.core.workflow.KINDS without an entry here fails the tests that
# walk every kind (scope, CSRF): add its maker here.
KIND_MAKERS = {
    "membership": _file_membership,
    "transfer": _file_transfer,
    "identity_change": _file_identity_change,
    "aid": _file_aid,
    "insurance_claim": _file_insurance_claim,
}


@pytest.fixture
def make_kind_application(app, make_user, make_union, make_application):
    """make_kind_application(kind, union, name) → (applicant, application): an open application of
    ``kind`` (a name in ``workflow.KINDS``) to ``union`` (a grassroots union whose parent may hold
    another grassroots union), detached unless the test has its own context. ``name`` is the applicant's, unique per test so a
    page can be searched for it."""
    factories = _Factories(app, make_user, make_union, make_application)

    def make(kind, union, name):
        from portal.unions.models import Union

        maker = KIND_MAKERS.get(kind)
        if maker is None:
            pytest.fail(f"no maker for the application kind {kind!r}: add one to KIND_MAKERS in tests/conftest.py")
        with _app_context(app) as own:
            applicant, application = maker(factories, db.session.get(Union, union.id), name)
            assert application.kind == kind and application.status == "submitted", (kind, application.status)
            return (_detach(applicant), _detach(application)) if own else (applicant, application)

    return make
