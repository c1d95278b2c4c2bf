"""The SQL side of the catalogue search: for each kind of query, the statement that finds its
candidates through an index — built once per shape (kind, field, one library or all, …) and run
with the query's values as parameters — and how it is run on each database. Each statement reads
the candidate entries whole, with their library's name and their pool of copies (how many are
lent or set aside), in one round trip. Ranking is ``search``'s."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    column,
    exists,
    null,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import aliased

from portal.core.capacity import CapacityPool, waiting_count
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook, LibraryBookGram
from portal.libraries.services.books import ENTRY_COLUMNS, GRAM_FIELDS, grams_of, words_of

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


def _in_libraries(dialect: str):
    """The entry is in one of the ``libraries`` (parameter). "+ 0": not through the (library_id,
    isbn) index — that would read every entry of the library and test each against the match;
    the text or ISBN index leads, this filters. PostgreSQL: an array, so a statement's SQL is the
    same whatever the number of libraries."""
    if dialect == "postgresql":
        return (LibraryBook.library_id + 0) == any_(bindparam("libraries", type_=ARRAY(Integer)))
    return (LibraryBook.library_id + 0).in_(bindparam("libraries", expanding=True, type_=Integer))


class Candidate(NamedTuple):
    """One catalogue entry a query may match, with what the results page shows of it."""

    id: int
    isbn: str
    title: str
    author: str
    publisher: str
    year: int | None
    clc: str
    library_id: int
    name: str  # the library's
    copies: int
    available: int  # copies neither lent nor set aside for a hold
    waiting: int  # holds in line for a copy (counted only when none is on the shelf)


def _entries(source=None, book_id=None):
    """The candidates' columns (``Candidate``): the entry, its library's name, its copies on the
    shelf and — only for an entry with none on the shelf — the holds waiting for one. ``source``:
    a statement of ids the entries are read for, joined on ``book_id``."""
    lent_out = and_(LibraryBook.copies > 0, CapacityPool.taken >= LibraryBook.copies)
    stmt = select(
        *ENTRY_COLUMNS,
        LibraryBook.library_id,
        Library.name,
        LibraryBook.copies,
        case((lent_out, 0), else_=LibraryBook.copies - CapacityPool.taken),
        case((lent_out, waiting_count(LibraryBook.pool_id)), else_=0),
    )
    if source is not None:
        stmt = stmt.select_from(source).join(LibraryBook, LibraryBook.id == book_id)
    return stmt.join(Library, Library.id == LibraryBook.library_id).join(
        CapacityPool, CapacityPool.id == LibraryBook.pool_id
    )


def read(stmt, params: dict | None = None) -> list[Candidate]:
    """Run a statement of ``_entries``' columns: Candidates (named tuples: reading a field of a
    SQLAlchemy Row by name costs more than the rest of the ranking). On the session's connection,
    without the ORM's layer: these are plain rows."""
    return list(map(Candidate._make, db.session.connection().execute(stmt, params or {})))


def _filtered(stmt, in_library: bool, active_only: bool, dialect: str = "sqlite"):
    if active_only:
        stmt = stmt.where(Library.is_active.is_(True))
    if in_library:
        stmt = stmt.where(_in_libraries(dialect))
    return stmt


def base(in_library: bool, active_only: bool):
    """Catalogue entries with their library and pool (the title page adds its ISBN)."""
    return _filtered(_entries(), in_library, active_only)


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


def walk_grams(query: str) -> list[str]:
    """The pieces of a query of three characters or more whose entries PostgreSQL's gram walk
    intersects: up to ``WALK_GRAMS`` of its two-character pieces, spread along it (its
    one-character pieces when it has none; none when it has no letter or digit). Every entry
    holding the query holds each of them: pieces never span a space or punctuation."""
    words = words_of(query.lower())
    pieces = [w[i : i + 2] for w in words for i in range(len(w) - 1)] or [c for w in words for c in w]
    pieces = list(dict.fromkeys(pieces))
    if len(pieces) <= WALK_GRAMS:
        return pieces
    step = (len(pieces) - 1) / (WALK_GRAMS - 1)
    return [pieces[round(i * step)] for i in range(WALK_GRAMS)]


WALK_GRAMS = 3  # pieces of a query intersected by the gram walk, at most: the first, the last, one between
WALK_LIMIT = 3000  # entries of the first piece the walk reads, at most, before the trigram index


def _holding(gram, index: int, only: str | None) -> list:
    where = [gram.gram == bindparam(f"g{index}", type_=String)]
    if only is not None:
        where.append(gram.field == only)
    return where


def _gram_walk(field_name: str, pieces: int):
    """The ids (in id order) of the entries holding every piece ``g0`` … (parameters) in the field
    (title, author or any): the first ``WALK_LIMIT`` entries of ``g0`` read from the (gram,
    book_id, field) key in id order, each kept when it holds the other pieces too (PostgreSQL)."""
    columns = TEXT_COLUMNS[field_name]
    only = GRAM_FIELDS[columns[0]] if len(columns) == 1 else None  # "all": every gram field
    first = aliased(LibraryBookGram, name="g0")
    # The bound is on the entries read, not on those kept: a query whose pieces are common but
    # never together stops here and goes to the trigram index.
    read = select(first.book_id).where(*_holding(first, 0, only)).order_by(first.book_id).limit(WALK_LIMIT)
    read = read.subquery("first_piece")
    walk = select(read.c.book_id)
    for index in range(1, pieces):
        other = aliased(LibraryBookGram, name=f"g{index}")
        walk = walk.where(exists().where(other.book_id == read.c.book_id, *_holding(other, index, only)))
    # An entry holding the first piece in its title and its author is read twice: once is enough.
    return walk.distinct().order_by(read.c.book_id)


def _short(field_name: str, dialect: str):
    """The entries holding the piece ``g0`` in the field, read from the (gram, book_id, field) key
    in id order. An entry holding the piece in two fields comes twice (``search`` keeps one).
    SQLite: no subquery (it would be materialised whole). PostgreSQL: the gram's entries in a
    subquery behind ``OFFSET 0``, which the planner keeps as it is — so they lead, in id order,
    even without statistics (right after an import the planner chose to walk the catalogue's
    primary key instead, testing each entry for the gram)."""
    columns = TEXT_COLUMNS[field_name]
    only = GRAM_FIELDS[columns[0]] if len(columns) == 1 else None
    gram = aliased(LibraryBookGram, name="g0")
    if dialect != "postgresql":
        return _entries(gram, gram.book_id).where(*_holding(gram, 0, only)), gram.book_id
    entries = select(gram.book_id).where(*_holding(gram, 0, only)).order_by(gram.book_id).offset(0)
    entries = entries.subquery("gram_entries")
    return _entries(entries, entries.c.book_id), entries.c.book_id


_FTS = table("library_book_fts", column("rowid", Integer))


@lru_cache(maxsize=64)
def _shape(
    kind: str,
    field_name: str,
    in_library: bool,
    active_only: bool,
    dialect: str,
    bounded: bool,
    limit: int,
    pieces: int,
):
    """The statement of one shape of query: the first ``limit`` entries (in id order) that may
    match, read through the index that serves the kind —

    * "isbn", "isbn_prefix" — the ISBN index (parameters ``value`` and, bounded, ``upper``);
    * "short" — the one- and two-character index (parameter ``g0``, the piece);
    * "walk" (PostgreSQL, three characters or more) — the same index, intersecting the query's
      pieces (``g0`` …), the first ``WALK_LIMIT`` entries of the first piece, then the text itself
      (``ILIKE`` ``value``);
    * "words" — SQLite's FTS5 trigram table, or PostgreSQL's trigram GIN indexes (``value``).

    All but PostgreSQL's trigram indexes yield ids in order, so the database stops after
    ``limit`` instead of collecting every match of a common word. (A GIN index is a bitmap: every
    match is read first. It serves the queries the walk did not fill: few matches.)"""

    def text_matches():
        pattern = bindparam("value", type_=String)
        return or_(*(getattr(LibraryBook, c).ilike(pattern, escape="\\") for c in TEXT_COLUMNS[field_name]))

    if kind == "short":
        stmt, order = _short(field_name, dialect)
    elif kind == "walk":
        walk = _gram_walk(field_name, pieces).subquery("walk")
        stmt, order = _entries(walk, walk.c.book_id).where(text_matches()), walk.c.book_id
    elif kind == "words" and dialect == "sqlite":
        stmt = _entries(_FTS, _FTS.c.rowid).where(
            text("library_book_fts MATCH :value").bindparams(bindparam("value", type_=String))
        )
        order = _FTS.c.rowid
    else:
        stmt, order = _entries(), LibraryBook.id
        if kind == "isbn":
            stmt = stmt.where(LibraryBook.isbn == bindparam("value", type_=String))
        elif kind == "isbn_prefix":
            stmt = stmt.where(LibraryBook.isbn >= bindparam("value", type_=String))
            if bounded:
                stmt = stmt.where(LibraryBook.isbn < bindparam("upper", type_=String))
        elif kind == "words":
            stmt = stmt.where(text_matches())
        else:  # pragma: no cover - the kinds are this module's own
            raise ValueError(kind)
    stmt = _filtered(stmt, in_library, active_only, dialect).order_by(order).limit(limit)
    if kind == "walk":
        stmt = _with_cut_mark(stmt, field_name, limit)
    return stmt


def _with_cut_mark(walk, field_name: str, limit: int):
    """The walk's entries, then — only when it found fewer than ``limit``, so that PostgreSQL runs
    it only then (the outer LIMIT stops before it) — a row of NULLs when the first piece has more
    than ``WALK_LIMIT`` entries: the walk was cut, the trigram index must finish the query. Without
    that row the walk read every entry of the first piece: its answer is whole."""
    columns = TEXT_COLUMNS[field_name]
    only = GRAM_FIELDS[columns[0]] if len(columns) == 1 else None
    gram = aliased(LibraryBookGram, name="beyond")
    beyond = select(gram.book_id).where(*_holding(gram, 0, only)).order_by(gram.book_id).offset(WALK_LIMIT).limit(1)
    mark = select(*(null().cast(c.type) for c in walk.selected_columns)).where(beyond.exists())
    both = union_all(walk, mark).subquery("walk_and_mark")
    return select(*both.c).limit(limit)


def statements(kind: str, value: str, field_name: str, library_ids, active_only: bool, limit: int) -> list:
    """[(plan, statement, parameters), …] for one query: the statements to run in turn until one
    finds ``limit`` candidates (the last one's rows are the answer whatever their number). ``plan``
    names the statement's kind ("isbn", "isbn_prefix", "short", "walk", "words") for
    ``PLANNER_SETTINGS``. A query of three characters or more on PostgreSQL is two: the gram walk,
    then the trigram GIN indexes when the walk found fewer than ``limit`` (few matches, or pieces
    that are common but rarely together)."""
    dialect = db.engine.dialect.name
    params: dict = {}
    upper = None
    plans = [kind]
    if library_ids is not None:
        params["libraries"] = list(library_ids)
    if kind in ("isbn", "isbn_prefix"):
        params["value"] = value
        upper = _prefix_upper(value) if kind == "isbn_prefix" else None
        if upper is not None:
            params["upper"] = upper
    elif kind == "short":
        params["g0"] = value
    elif dialect == "sqlite":
        params["value"] = fts_phrase(value, TEXT_COLUMNS[field_name])
    else:
        params["value"] = like_pattern(value)
        pieces = walk_grams(value)
        params.update({f"g{i}": piece for i, piece in enumerate(pieces)})
        plans = ["walk", "words"] if pieces else ["words"]
    in_library = library_ids is not None
    pieces = sum(1 for key in params if key.startswith("g"))
    return [
        (plan, _shape(plan, field_name, in_library, active_only, dialect, upper is not None, limit, pieces), params)
        for plan in plans
    ]


# PostgreSQL's planner, for one statement: prices taken from the statistics can make it read the
# whole catalogue (a sequential scan) for a query with few matches, or collect every match of a
# common gram to sort them (a bitmap scan) where reading the gram's entries in id order stops after
# ``limit``. These settings steer each kind of statement to the index that serves it.
PLANNER_SETTINGS = {
    "words": {"enable_seqscan": "off", "enable_indexscan": "off"},  # the trigram GIN indexes
    "walk": {
        "enable_seqscan": "off",
        "enable_bitmapscan": "off",
        "enable_hashjoin": "off",
        "enable_hashagg": "off",
        "enable_sort": "off",
    },
    "short": {
        "enable_seqscan": "off",
        "enable_bitmapscan": "off",
        "enable_hashjoin": "off",
        "enable_hashagg": "off",
        "enable_sort": "off",
    },
}


def candidates(kind: str, value: str, field_name: str, library_ids, active_only: bool, limit: int) -> list:
    """The candidate entries for one query (at most ``limit``, the first by id), as
    ``Candidate``."""
    steer = db.session.get_bind().dialect.name == "postgresql"
    rows: list = []
    for plan, stmt, params in statements(kind, value, field_name, library_ids, active_only, limit):
        rows = _steered(plan, stmt, params) if steer and plan in PLANNER_SETTINGS else read(stmt, params)
        if plan == "walk":
            cut = [row for row in rows if row.id is None]  # the walk's mark: see _with_cut_mark
            rows = [row for row in rows if row.id is not None]
            if not cut:
                break
        if len(rows) >= limit:
            break
    return rows


def _steered(plan: str, stmt, params: dict) -> list[Candidate]:
    """PostgreSQL: the statement with its ``PLANNER_SETTINGS`` for this transaction, set before it
    and put back after it, the three sent together in one round trip (psycopg's pipeline mode:
    two more round trips cost as much as the walk itself). On the session's connection, inside
    its transaction."""
    sql, defaults = _compiled(stmt)
    steer_on, steer_off = _steering(plan)
    driver = db.session.connection().connection.driver_connection
    with driver.pipeline(), driver.cursor() as on, driver.cursor() as cursor, driver.cursor() as off:
        on.execute(steer_on)
        cursor.execute(sql, {**defaults, **params})
        off.execute(steer_off)
        rows = cursor.fetchall()
    return list(map(Candidate._make, rows))


@lru_cache(maxsize=64)
def _compiled(stmt) -> tuple[str, dict]:
    """A statement of ``_shape`` (each built once) as psycopg's SQL, with the values SQLAlchemy
    bound itself (the "+ 0", the ESCAPE character …)."""
    compiled = stmt.compile(dialect=db.engine.dialect)
    return compiled.string, {k: v for k, v in compiled.params.items() if v is not None}


@lru_cache(maxsize=8)
def _steering(plan: str) -> tuple[str, str]:
    """The SELECTs that set a plan's settings for this transaction, and put them back."""
    settings = PLANNER_SETTINGS[plan]

    def select_config(value=None):
        return "SELECT " + ", ".join(
            f"set_config('{name}', '{value or setting}', true)" for name, setting in settings.items()
        )

    return select_config(), select_config("on")
