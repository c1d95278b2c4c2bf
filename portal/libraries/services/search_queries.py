"""The SQL side of the catalogue search: for each kind of query, the statement that finds its
candidates through an index — built once per shape (kind, field, one library or all, …) and run
with the query's values as parameters — and how it is run on each database. Ranking is
``search``'s."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Integer, String, any_, bindparam, func, literal_column, or_, select, text

from portal.extensions import db
from portal.libraries.models import Library, LibraryBook, LibraryBookGram
from portal.libraries.services.books import GRAM_FIELDS, grams_of

# Where each field's words are: FTS5 columns, gram fields.
TEXT_COLUMNS = {"all": ("title", "author", "publisher"), "title": ("title",), "author": ("author",)}


def _prefix_upper(prefix: str) -> str | None:
    """The smallest string of digits above every string starting with ``prefix`` (None: none)."""
    stripped = prefix.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


# --- Candidates ---------------------------------------------------------------------------------


# Each statement is built once per shape (kind, field, one library or all, …) and run with the
# query's values as parameters: building a SELECT and working out its cache key each time cost more
# than running it (SQLAlchemy's dialect options, looked up per new statement object).


def _libraries_param():
    return bindparam("libraries", expanding=True, type_=Integer)


def base(in_library: bool, active_only: bool):
    stmt = select(
        LibraryBook.id,
        LibraryBook.isbn,
        LibraryBook.title,
        LibraryBook.author,
        LibraryBook.publisher,
        LibraryBook.year,
        LibraryBook.clc,
        LibraryBook.library_id,
        Library.name,
    ).join(Library, Library.id == LibraryBook.library_id)
    if active_only:
        stmt = stmt.where(Library.is_active.is_(True))
    if in_library:
        # "+ 0": not through the (library_id, isbn) index — that would read every entry of the
        # library and test each against the match; the text or ISBN index leads, this filters.
        stmt = stmt.where((LibraryBook.library_id + 0).in_(_libraries_param()))
    return stmt


def fts_phrase(query: str, columns: tuple[str, ...]) -> str:
    """An FTS5 query: the whole text as one phrase (a substring, for the trigram tokenizer) in
    ``columns``; double quotes inside are doubled, so nothing in it is FTS5 syntax."""
    phrase = '"' + query.replace('"', '""') + '"'
    return "{" + " ".join(columns) + "}: " + phrase


def like_pattern(query: str) -> str:
    """``%query%`` with LIKE's own characters escaped (backslash is the escape)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def short_gram(query: str) -> str | None:
    """The piece of a one- or two-character query to look up: the query itself when it is made of
    letters and digits, else its one letter or digit (the rest is checked on the rows found)."""
    pieces = sorted(grams_of(query), key=len, reverse=True)
    return pieces[0] if pieces else None


def _matched(kind: str, columns: tuple[str, ...], in_library: bool, dialect: str, limit: int):
    """The first ``limit`` ids (in id order) of the entries whose text may hold the query
    (parameter ``value``) — from the one- and two-character index, SQLite's FTS5 trigram table or
    PostgreSQL's trigram GIN indexes — in the ``libraries`` given when ``in_library``. The
    one-and-two-character index and FTS5 yield ids in order, so the database stops after
    ``limit`` instead of collecting every match of a common word."""
    in_libraries = (LibraryBook.library_id + 0).in_(_libraries_param()) if in_library else None
    if kind == "short":
        fields = [GRAM_FIELDS[c] for c in columns]
        stmt = select(LibraryBookGram.book_id).where(
            LibraryBookGram.gram == bindparam("value", type_=String), LibraryBookGram.field.in_(fields)
        )
        if in_libraries is not None:
            stmt = stmt.join(LibraryBook, LibraryBook.id == LibraryBookGram.book_id).where(in_libraries)
        # GROUP BY: an entry whose title and author both hold the piece is one candidate.
        return stmt.group_by(LibraryBookGram.book_id).order_by(LibraryBookGram.book_id).limit(limit)
    if dialect == "sqlite":
        join = " JOIN library_books AS b ON b.id = f.rowid AND b.library_id + 0 IN :libraries" if in_library else ""
        sql = (
            f"SELECT f.rowid FROM library_book_fts AS f{join} WHERE library_book_fts MATCH :value "
            f"ORDER BY f.rowid LIMIT {int(limit)}"
        )
        fts = text(sql).bindparams(bindparam("value", type_=String))
        if in_library:
            fts = fts.bindparams(_libraries_param())
        return fts.columns(literal_column("rowid"))
    pattern = bindparam("value", type_=String)
    stmt = select(LibraryBook.id).where(or_(*(getattr(LibraryBook, c).ilike(pattern, escape="\\") for c in columns)))
    if in_libraries is not None:
        stmt = stmt.where(in_libraries)
    return stmt.order_by(LibraryBook.id).limit(limit)


def _among(matched, dialect: str):
    """``library_books.id`` among the matched ids (at most ``CANDIDATES``), read through the primary
    key. On PostgreSQL ``= ANY((SELECT array_agg(…)))`` is worked out once first; ``IN (subquery)``
    may be planned as a hash join over a scan of the catalogue."""
    if dialect == "sqlite":
        return LibraryBook.id.in_(matched)
    ids = matched.subquery()
    # coalesce(): an array expression (ANY of a bare subquery would compare with each row), and
    # the empty array when nothing matched.
    found = func.coalesce(select(func.array_agg(ids.c[0])).scalar_subquery(), literal_column("'{}'"))
    return LibraryBook.id == any_(found)


@lru_cache(maxsize=64)
def _shape(kind: str, field_name: str, in_library: bool, active_only: bool, dialect: str, bounded: bool, limit: int):
    stmt = base(in_library, active_only)
    if kind == "isbn":
        stmt = stmt.where(LibraryBook.isbn == bindparam("value", type_=String))
    elif kind == "isbn_prefix":
        stmt = stmt.where(LibraryBook.isbn >= bindparam("value", type_=String))
        if bounded:
            stmt = stmt.where(LibraryBook.isbn < bindparam("upper", type_=String))
    elif kind in ("short", "words"):
        stmt = stmt.where(_among(_matched(kind, TEXT_COLUMNS[field_name], in_library, dialect, limit), dialect))
    else:  # pragma: no cover - the kinds are this module's own
        raise ValueError(kind)
    return stmt.order_by(LibraryBook.id).limit(limit)


def statement(kind: str, value: str, field_name: str, library_ids, active_only: bool, limit: int):
    """(statement, parameters) of the candidates for one query."""
    dialect = db.engine.dialect.name
    params: dict = {}
    upper = None
    if kind in ("isbn", "isbn_prefix"):
        params["value"] = value
        upper = _prefix_upper(value) if kind == "isbn_prefix" else None
        if upper is not None:
            params["upper"] = upper
    elif kind == "short":
        params["value"] = value
    elif dialect == "sqlite":
        params["value"] = fts_phrase(value, TEXT_COLUMNS[field_name])
    else:
        params["value"] = like_pattern(value)
    if library_ids is not None:
        params["libraries"] = list(library_ids)
    stmt = _shape(kind, field_name, library_ids is not None, active_only, dialect, upper is not None, limit)
    return stmt, params


def run_candidates(stmt, params: dict, kind: str) -> list:
    """Run the candidates' statement. On PostgreSQL a text query is steered to the trigram GIN
    indexes for this statement only (the settings are put back at once): priced by its statistics,
    the planner reads the whole catalogue (sequential scan) or walks it in id order hoping to meet
    ``CANDIDATES`` matches soon (index scan) — cheap for a common word, every row for a rare one.
    The one- and two-character index is read in id order and stops after ``CANDIDATES``."""
    if db.session.get_bind().dialect.name != "postgresql":
        return db.session.execute(stmt, params).all()
    index_scans = "off" if kind == "words" else "on"
    db.session.execute(
        text("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', :scans, true)"),
        {"scans": index_scans},
    )
    try:
        return db.session.execute(stmt, params).all()
    finally:
        db.session.execute(
            text("SELECT set_config('enable_seqscan', 'on', true), set_config('enable_indexscan', 'on', true)")
        )
