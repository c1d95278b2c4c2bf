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
from tests.helpers import PASSWORD, next_number, unique_phone


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
