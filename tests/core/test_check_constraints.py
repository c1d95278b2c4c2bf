"""CHECK constraints in the migrated database are the model's CHECK constraints.

Alembic's autogenerate compares tables, columns, indexes and unique constraints, but not the body
of a CHECK constraint: add a state to ``workflow.STATES`` (or a level to ``unions.LEVELS``) and
the model's ``one_of("status", STATES)`` changes while the database keeps refusing the new value —
and ``flask db migrate`` reports nothing. The first row in the new state fails in production.

So this test reads every CHECK constraint as it exists in the database the migrations built —
SQLite: the ``CREATE TABLE`` text in ``sqlite_master``; PostgreSQL: ``pg_get_constraintdef`` —
and compares it with the model's, table by table:

* the constraint names are the same both ways (none missing, none left over);
* ``one_of(column, values)`` constraints allow the same *set* of values (order does not matter);
* any other constraint has the same meaning: on SQLite the same normalised SQL text; on
  PostgreSQL the same text after PostgreSQL itself has rewritten the model's expression (it is
  added to an empty temporary copy of the table and read back with ``pg_get_constraintdef``).

How we know it can fail: ``test_a_state_added_without_a_migration_is_caught`` rebuilds the
applications' status constraint from a ``workflow.STATES`` with one more state (monkeypatched, as
if the model had been edited) and the comparison reports exactly that state; the throwaway-table
tests create a table with a CHECK in the database and compare it with a different model table.
By hand: add ``"district"`` to ``LEVELS`` in portal/unions/models.py and run this file — it fails
naming ``unions.ck_unions_level_known`` and ``'district'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table, text

from portal.core.db import one_of
from portal.extensions import db

# --- Reading constraints -----------------------------------------------------------------------------------

_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_ONE_OF = re.compile(r"^\(*\s*\"?(\w+)\"?\s+IN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)\s*\)*$", re.I)


@dataclass(frozen=True)
class Check:
    name: str | None
    sql: str  # the expression, without CHECK and its outer parentheses


def literals(sql: str) -> set[str]:
    return {value.replace("''", "'") for value in _LITERAL.findall(sql)}


def one_of_values(sql: str) -> tuple[str, set[str]] | None:
    """(column, allowed values) when ``sql`` is what ``core.db.one_of`` writes, else None."""
    match = _ONE_OF.match(sql.strip())
    return (match.group(1), literals(match.group(2))) if match else None


def model_checks(table: Table) -> list[Check]:
    """The table's CHECK constraints as the model declares them (names after the naming convention)."""
    dialect = db.engine.dialect
    checks = []
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            sql = str(constraint.sqltext.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            checks.append(Check(str(constraint.name) if constraint.name else None, sql))
    return checks


def _balanced(sql: str, start: int) -> int:
    """The index just after the parenthesis that closes the one at ``start`` (quotes respected)."""
    depth, i, quote = 0, start, None
    while i < len(sql):
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced parentheses in {sql!r}")


_SQLITE_CHECK = re.compile(r"(?:CONSTRAINT\s+(\"[^\"]+\"|\w+)\s+)?CHECK\s*\(", re.I)


def sqlite_checks(conn, table: str) -> list[Check]:
    sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}).scalar()
    if sql is None:
        raise LookupError(f"table {table} is not in the database")
    checks, pos = [], 0
    while match := _SQLITE_CHECK.search(sql, pos):  # (no CHECK of ours holds the word CHECK in a string)
        open_at = match.end() - 1
        close_at = _balanced(sql, open_at)
        name = match.group(1).strip('"') if match.group(1) else None
        checks.append(Check(name, sql[open_at + 1 : close_at - 1].strip()))
        pos = close_at
    return checks


def postgres_checks(conn, table: str) -> list[Check]:
    rows = conn.execute(
        text(
            "SELECT con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con "
            "JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = rel.relnamespace "
            "WHERE con.contype = 'c' AND rel.relname = :t AND ns.nspname = current_schema() ORDER BY con.conname"
        ),
        {"t": table},
    ).all()
    return [Check(name, _strip_check(definition)) for name, definition in rows]


def _strip_check(definition: str) -> str:
    body = re.sub(r"^CHECK\s*", "", definition.strip(), flags=re.I)
    return re.sub(r"\s+NOT VALID$", "", body)


def postgres_canonical(conn, table: str, sql: str) -> str:
    """``sql`` as PostgreSQL writes it back, added to an empty temporary copy of ``table``."""
    with conn.begin_nested() as savepoint:
        conn.execute(text(f'CREATE TEMPORARY TABLE ck_probe (LIKE "{table}")'))
        conn.execute(text(f"ALTER TABLE ck_probe ADD CONSTRAINT ck_probe_expr CHECK ({sql})"))
        definition = conn.execute(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_probe_expr'")
        ).scalar_one()
        savepoint.rollback()
    return _strip_check(definition)


def database_checks(conn, table: str) -> list[Check]:
    return postgres_checks(conn, table) if conn.dialect.name == "postgresql" else sqlite_checks(conn, table)


def normalise(sql: str) -> str:
    """SQL text compared without case (outside literals), spacing, identifier quotes or outer parentheses."""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    out = "".join(p if p.startswith("'") else re.sub(r"\s+", " ", p.replace('"', "").lower()) for p in parts)
    out = re.sub(r"\s*([(),=<>])\s*", r"\1", out).strip()
    while out.startswith("(") and _balanced(out, 0) == len(out):
        out = out[1:-1].strip()
    return out


# --- Comparing ---------------------------------------------------------------------------------------------


def differences(conn, table: str, expected: list[Check]) -> list[str]:
    """What differs between the model's CHECK constraints of ``table`` and the database's."""
    found = {check.name: check for check in database_checks(conn, table)}
    wanted = {check.name: check for check in expected}
    problems = []
    for name in sorted(set(wanted) - set(found), key=str):
        problems.append(f"{table}.{name}: in the model, not in the database (no migration adds it)")
    for name in sorted(set(found) - set(wanted), key=str):
        problems.append(f"{table}.{name}: in the database, not in the model: CHECK ({found[name].sql})")
    for name in sorted(set(wanted) & set(found), key=str):
        model, stored = wanted[name].sql, found[name].sql
        allowed = one_of_values(model)
        if allowed is not None:
            column, values = allowed
            in_db = literals(stored)
            if values != in_db or not re.search(rf"\b{re.escape(column)}\b", stored):
                problems.append(
                    f"{table}.{name}: the model allows {sorted(values)}, the database {sorted(in_db)} "
                    f"(only in the model: {sorted(values - in_db)}, only in the database: {sorted(in_db - values)})"
                    " — a value added or removed without a migration?"
                )
            continue
        if conn.dialect.name == "postgresql":
            same = postgres_canonical(conn, table, model) == stored
        else:
            same = normalise(model) == normalise(stored)
        if not same:
            problems.append(f"{table}.{name}: the model says CHECK ({model}), the database CHECK ({stored})")
    return problems


def _managed_tables():
    from portal.core.db import is_managed_table

    return [table for table in db.metadata.sorted_tables if is_managed_table(table.name)]


# --- The test ------------------------------------------------------------------------------------------------


def test_every_check_constraint_in_the_database_is_the_models(ctx):
    tables = _managed_tables()
    with_checks = [t.name for t in tables if model_checks(t)]
    assert {"applications", "unions", "users", "station_reports"} <= set(with_checks)
    conn = db.session.connection()
    problems = [problem for table in tables for problem in differences(conn, table.name, model_checks(table))]
    assert not problems, "\n".join(problems)


# --- It can fail ---------------------------------------------------------------------------------------------


def test_the_readers_find_every_constraint_the_model_names(ctx):
    from portal.core import workflow

    conn = db.session.connection()
    applications = {c.name: c.sql for c in database_checks(conn, "applications")}
    status = applications["ck_applications_status_known"]
    assert literals(status) == set(workflow.STATES)
    if conn.dialect.name == "sqlite":  # as written; PostgreSQL rewrites IN (…) as = ANY (ARRAY[…])
        assert one_of_values(status) == ("status", set(workflow.STATES))
    unions = {c.name for c in database_checks(conn, "unions")}
    assert unions == {"ck_unions_level_known", "ck_unions_kind_known", "ck_unions_only_root_has_no_parent"}


def test_a_state_added_without_a_migration_is_caught(ctx, monkeypatch):
    """As if someone added "on_hold" to workflow.STATES and wrote no migration: the model's
    constraint (rebuilt here from the patched tuple, as the import would build it) no longer matches."""
    from portal.core import workflow

    monkeypatch.setattr(workflow, "STATES", (*workflow.STATES, "on_hold"))
    table = db.metadata.tables["applications"]
    expected = [
        Check(c.name, one_of("status", workflow.STATES)) if c.name == "ck_applications_status_known" else c
        for c in model_checks(table)
    ]
    problems = differences(db.session.connection(), "applications", expected)
    assert len(problems) == 1 and "ck_applications_status_known" in problems[0]
    assert "only in the model: ['on_hold']" in problems[0]


@pytest.fixture
def throwaway(ctx):
    """A table made in the database for one test (in a transaction rolled back at the end; DDL is
    transactional on both databases — dropped as well, to be sure)."""
    conn = db.session.connection()
    conn.execute(text("DROP TABLE IF EXISTS ck_throwaway"))
    conn.execute(
        text(
            "CREATE TABLE ck_throwaway (id INTEGER PRIMARY KEY, status VARCHAR(16) NOT NULL, n INTEGER NOT NULL, "
            "CONSTRAINT ck_ck_throwaway_status_known CHECK (status IN ('open', 'closed')), "
            "CONSTRAINT ck_ck_throwaway_n_positive CHECK (n > 0))"
        )
    )
    yield conn
    db.session.rollback()
    db.session.execute(text("DROP TABLE IF EXISTS ck_throwaway"))
    db.session.commit()


def _model_table(status_values, n_check="n > 0", extra=()):
    metadata = MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"})
    return Table(
        "ck_throwaway",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("status", String(16), nullable=False),
        Column("n", Integer, nullable=False),
        CheckConstraint(one_of("status", status_values), name="status_known"),
        CheckConstraint(n_check, name="n_positive"),
        *extra,
    )


def test_the_same_constraints_in_another_order_and_spacing_match(throwaway):
    table = _model_table(("closed", "open"), n_check="( n  >  0 )")
    assert differences(throwaway, "ck_throwaway", model_checks(table)) == []


def test_a_value_the_database_does_not_allow_is_caught(throwaway):
    table = _model_table(("open", "closed", "archived"))
    (problem,) = differences(throwaway, "ck_throwaway", model_checks(table))
    assert "only in the model: ['archived']" in problem


def test_a_value_the_model_dropped_is_caught(throwaway):
    table = _model_table(("open",))
    (problem,) = differences(throwaway, "ck_throwaway", model_checks(table))
    assert "only in the database: ['closed']" in problem


def test_a_changed_expression_is_caught(throwaway):
    table = _model_table(("open", "closed"), n_check="n >= 0")
    (problem,) = differences(throwaway, "ck_throwaway", model_checks(table))
    assert "ck_ck_throwaway_n_positive" in problem and "n >= 0" in problem


def test_a_constraint_missing_on_either_side_is_caught(throwaway):
    table = _model_table(("open", "closed"), extra=(CheckConstraint("id < 1000", name="id_small"),))
    problems = differences(throwaway, "ck_throwaway", model_checks(table))
    assert problems == [
        "ck_throwaway.ck_ck_throwaway_id_small: in the model, not in the database (no migration adds it)"
    ]
    fewer = [c for c in model_checks(_model_table(("open", "closed"))) if c.name != "ck_ck_throwaway_n_positive"]
    (problem,) = differences(throwaway, "ck_throwaway", fewer)
    assert "ck_ck_throwaway_n_positive: in the database, not in the model" in problem
