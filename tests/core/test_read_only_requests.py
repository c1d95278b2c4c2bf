"""A request that wrote nothing ends with COMMIT, so that psycopg keeps its prepared statements
(it drops them all at every ROLLBACK); a request that wrote anything it did not commit still
leaves nothing behind — however it wrote (ORM, Core, the DB-API cursor) and however it answered.

On PostgreSQL the app turns this on by itself; here it is turned on for both databases, since
the rule that decides (``core.db._open_and_read_only``) has a branch for each.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import Blueprint, abort
from sqlalchemy import event, func, select, update

from portal.core.time import CalendarDay
from portal.extensions import db
from portal.unions.models import Union

PROBE_DAY = date(2031, 1, 2)


@pytest.fixture
def probe(app, database_url, tree):
    from portal import create_app

    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "COMMIT_READ_ONLY_REQUESTS": True})
    bp = Blueprint("probe", __name__)

    def add_day():
        db.session.add(CalendarDay(day=PROBE_DAY, kind="holiday", name="probe"))

    @bp.get("/probe/read")
    def read():
        return str(db.session.scalar(select(func.count()).select_from(Union)))

    @bp.get("/probe/add")
    def add():  # added, never flushed nor committed
        add_day()
        return "ok"

    @bp.get("/probe/flush")
    def flush():
        add_day()
        db.session.flush()
        return "ok"

    @bp.get("/probe/update")
    def core_update():
        db.session.execute(update(Union).where(Union.code == "GA1").values(name="改过的名字"))
        return "ok"

    @bp.get("/probe/cursor")
    def cursor():  # past SQLAlchemy's statement events: only the database can tell
        raw = db.session.connection().connection.cursor()
        raw.execute("UPDATE unions SET name = 'cursor' WHERE code = 'GA1'")
        raw.close()
        return "ok"

    @bp.get("/probe/refused")
    def refused():  # an answered error: the teardown sees no exception
        add_day()
        db.session.flush()
        abort(409)

    @bp.get("/probe/prepared")
    def prepared():
        return str(db.session.scalar(select(func.count()).select_from(db.text("pg_prepared_statements"))))

    other.register_blueprint(bp)
    commits = []
    with other.app_context():
        event.listen(db.engine, "commit", lambda conn: commits.append(1))
    yield other, commits
    with other.app_context():
        db.engine.dispose()


def _state(app):
    with app.app_context():
        day = db.session.get(CalendarDay, PROBE_DAY)
        name = db.session.scalar(select(Union.name).where(Union.code == "GA1"))
        return day, name


def test_a_request_that_only_read_ends_with_commit(probe):
    other, commits = probe
    r = other.test_client().get("/probe/read")
    assert r.status_code == 200 and int(r.text) > 0
    assert commits == [1]


@pytest.mark.parametrize("how", ["add", "flush", "update", "cursor", "refused"])
def test_a_request_that_wrote_without_committing_leaves_nothing(probe, how):
    other, commits = probe
    before = _state(other)
    assert before[0] is None
    commits.clear()  # (reading the state above was itself a read-only context: committed)
    r = other.test_client().get(f"/probe/{how}")
    assert r.status_code == (409 if how == "refused" else 200)
    assert commits == []
    assert _state(other) == before  # nothing of it was committed


def test_prepared_statements_outlive_the_request_on_postgresql(probe):
    other, _commits = probe
    if not other.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    client = other.test_client()
    counts = []
    for _ in range(8):  # a load balancer's health check in between must not drop them either
        assert client.get("/healthz").status_code == 200
        counts.append(int(client.get("/probe/prepared").text))
    # psycopg prepares a statement at its sixth run on a connection; the next request still has it
    assert counts[-1] >= 1, counts


def test_what_a_read_only_context_loaded_stays_readable_after_it(probe):
    """Committing must not expire what was loaded: objects held past the context (jobs, tests)
    would no longer load their attributes, as closing the session after a rollback never did."""
    other, commits = probe
    commits.clear()
    with other.app_context():
        union = db.session.scalars(select(Union).where(Union.code == "GA1")).one()
    assert commits == [1]
    assert union.code == "GA1" and union.name
