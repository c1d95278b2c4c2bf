"""The schema comes from the migrations, and matches the models exactly."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from portal.core import audit
from portal.core.audit import AppendOnlyError
from portal.extensions import db
from portal.unions.models import Union


def _include_name(name, type_, parent_names):
    from portal.core.db import include_in_autogenerate

    return include_in_autogenerate(name, type_, parent_names)


def test_migrations_yield_exactly_the_models_schema(ctx):
    """`flask db upgrade` on an empty database (done by conftest) leaves no autogenerate diff."""
    with db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _include_name})
        diff = compare_metadata(mc, db.metadata)
    assert diff == []


def test_migrations_downgrade_and_upgrade_again(app, tmp_path):
    from flask_migrate import downgrade, upgrade

    from portal import create_app

    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'roundtrip.db'}"})
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert "users" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_connections_are_set_up_for_the_backend(ctx):
    """SQLite: WAL, busy timeout, foreign keys. PostgreSQL: union paths compare bytewise (C collation)."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            collation = conn.execute(
                text(
                    "SELECT collation_name FROM information_schema.columns "
                    "WHERE table_name = 'unions' AND column_name = 'path'"
                )
            ).scalar()
            assert collation == "C"
            return
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000


def test_foreign_keys_are_enforced(ctx):
    from sqlalchemy.exc import IntegrityError

    db.session.add(Union(code="X", name="X", level="grassroots", kind="enterprise", parent_id=999_999, path="/9/"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_timestamps_come_back_as_aware_utc(ctx, tree):
    union = db.session.get(Union, tree["county_a1"].id)
    assert union.created_at.tzinfo is UTC
    assert abs((datetime.now(UTC) - union.created_at).total_seconds()) < 120


def test_audit_events_are_append_only(ctx, tree):
    union = db.session.get(Union, tree["county_a1"].id)
    event = audit.record("union.checked", union, note="first")
    db.session.commit()
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(audit.AuditEvent, event.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()


def test_the_statement_recorder_of_the_query_count_guards_sees_the_requests_statements(app, client, tree):
    """The guards count only the calling thread's statements: a request must still show up there
    (else every "at most N queries" guard would pass with none)."""
    from tests.helpers import statements_of

    assert any("unions" in s for s in statements_of(app, client, "/membership/join/GA1"))
