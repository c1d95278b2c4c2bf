"""Database foundations shared by every domain.

* ``Base`` carries a naming convention so Alembic can name (and later drop)
  constraints on SQLite as well as PostgreSQL.
* ``UTCDateTime`` stores naive UTC and always hands back aware UTC datetimes,
  whatever the backend; people see Asia/Shanghai through the Babel filters.
* SQLite connections get WAL, a busy timeout and foreign keys. Transactions
  that write (any request that is not GET/HEAD/OPTIONS, or code inside
  ``write_transaction()``) start with ``BEGIN IMMEDIATE``: a SQLite transaction
  that starts as a reader cannot become a writer once another process has
  committed, which shows up as "database is locked" under concurrent booking.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# What the migrations create by hand and SQLAlchemy does not model: SQLite's R*Tree indexes of
# station and library positions (and their shadow tables), its FTS5 index of the libraries'
# catalogues, PostgreSQL's GiST indexes on the same positions and pg_trgm indexes on the catalogue.
# Alembic's comparison skips them.
UNMANAGED_TABLE_PREFIXES = ("station_rtree", "library_rtree", "library_book_fts")
UNMANAGED_INDEXES = frozenset(
    {
        "ix_stations_position",
        "ix_libraries_position",
        "ix_library_books_title_trgm",
        "ix_library_books_author_trgm",
        "ix_library_books_publisher_trgm",
    }
)


def is_managed_table(name: str | None) -> bool:
    return not (name or "").startswith(UNMANAGED_TABLE_PREFIXES)


def include_in_autogenerate(name: str | None, type_: str, parent_names) -> bool:
    """Alembic's ``include_name``: leave alone what the migrations manage by hand."""
    if type_ == "table":
        return is_managed_table(name)
    if type_ == "index":
        return name not in UNMANAGED_INDEXES
    return True


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC. Naive values are refused: they are bugs."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


def one_of(column: str, values) -> str:
    """SQL for a CHECK constraint that ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def binary_string(length: int) -> String:
    """A string compared byte by byte on every backend.

    Used for materialised paths, so that range scans over a subtree use the
    btree index on PostgreSQL regardless of the database's locale collation.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


# --- SQLite connection set-up -------------------------------------------------

_log = logging.getLogger(__name__)
_force_write = contextvars.ContextVar("force_write_transaction", default=False)
sqlite_busy_timeout_ms = 10_000  # set from config by create_app


@contextlib.contextmanager
def write_transaction():
    """Make transactions begun inside this block take SQLite's write lock at once."""
    token = _force_write.set(True)
    try:
        yield
    finally:
        _force_write.reset(token)


def _wants_write_lock() -> bool:
    if _force_write.get():
        return True
    from flask import has_request_context, request

    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy (below) emit BEGIN itself, so we can choose IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_CHANGES_AT_BEGIN = "portal_sqlite_changes_at_begin"


@event.listens_for(Engine, "begin")
def _on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")
    conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes


def end_read_only_transaction(session) -> bool:
    """Before slow work (password hashing, image processing): end the transaction if it has only read.

    On SQLite a write request's transaction begins with BEGIN IMMEDIATE, which takes the
    database's single write lock at its first statement — even a SELECT such as loading the
    signed-in user — and keeps it until commit. Slow work inside it makes every other writer
    wait (40 simultaneous registrations: waits of 10 s and "database is locked"). Ending the
    transaction that has only read lets the slow work run without the lock; what was loaded
    stays usable and reloads in the next (short) transaction, so re-check there anything that
    may have changed meanwhile. A transaction that has written is left alone — its work must
    commit together. Other databases take no lock for reading: nothing to do.
    Returns whether a transaction was ended.
    """
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction() or session.connection().dialect.name != "sqlite":
        return False
    if not _open_and_read_only(session):
        return False
    session.commit()
    return True


# --- Ending requests that only read ---------------------------------------------------------
#
# psycopg prepares a statement on the server once it has run five times on a connection, and then
# skips planning it: 0.6 → 0.17 ms for the staff queue's counts on this machine. But it forgets
# every prepared statement (DEALLOCATE ALL) at each ROLLBACK, and every request ends with one —
# Flask-SQLAlchemy closes the session, which rolls back — so on PostgreSQL nothing was ever
# prepared and every statement of every page was planned anew. A request that wrote nothing now
# ends with COMMIT, which for a transaction that only read is the same outcome; a request that
# wrote anything it did not commit still ends with ROLLBACK, as before.


def _open_and_read_only(session) -> bool:
    """Is a (top-level) transaction open that has written nothing at all — no pending ORM changes
    and, as the database itself says, no row changed (SQLite's change counter, PostgreSQL's
    transaction id, which a transaction gets only when it writes or locks rows)? Unknown
    databases: False."""
    if not session.in_transaction() or session.in_nested_transaction():
        return False
    if session.new or session.dirty or session.deleted:
        return False
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return conn.connection.dbapi_connection.total_changes == conn.info.get(_CHANGES_AT_BEGIN)
    if conn.dialect.name == "postgresql":  # the DB-API connection itself: a third of the time
        row = conn.connection.dbapi_connection.execute("SELECT pg_current_xact_id_if_assigned() IS NULL").fetchone()
        return row[0] is True
    return False


def commit_read_only_requests(app, db) -> None:
    """At the end of each request (each app context), commit a transaction that wrote nothing (see
    above). Registered after Flask-SQLAlchemy, so it runs before the session is closed. This is the
    one place a reading request's transaction ends; /healthz included."""

    @app.teardown_appcontext
    def _commit_if_read_only(exc):
        if exc is not None:
            return
        session = db.session()
        try:
            if _open_and_read_only(session):
                # Nothing to expire: the session is closed next. (Expiring would leave objects
                # still held after the context — tests, jobs — unreadable.)
                session.expire_on_commit = False
                session.commit()
        except Exception:  # the session is closed (rolled back) next, as before
            _log.exception("could not end a read-only transaction with COMMIT")
