"""Importing a checked catalogue file (``catalogue_files`` reads and checks it) into a library.

The rules:

* all or nothing: one wrong row and nothing changes (``ImportRefused`` carries the rows);
* an ISBN the library already holds updates that entry — matched **only within this library**,
  never another library's entry with the same ISBN; a row that changes nothing is counted as
  unchanged; fewer copies than are lent or set aside for holds is that row's error;
* copies added go at once to the holds waiting in line (``holds.allocate_promoted``);
* one audit event per import says what it did (added, updated, unchanged).

Rows are checked in Python before the first write; the writes are a few statements per chunk of
``CHUNK`` rows (pools, entries and their one- and two-character index in bulk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit, capacity
from portal.core.capacity import CapacityPool
from portal.core.db import end_read_only_transaction, utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook, LibraryBookGram
from portal.libraries.services import directory
from portal.libraries.services.books import ENTRY_COLUMNS, EntryData, gram_rows, pool_key
from portal.libraries.services.catalogue_files import BadFile, ImportResult, check_file, read_upload

CHUNK = 500


class ImportRefused(DomainError):
    """Some rows are wrong: nothing was imported (the request rolls back); ``result`` says where."""

    status_code = 422

    def __init__(self, result: ImportResult):
        super().__init__(_l("Nothing was imported: the file has errors. Correct them and upload it again."))
        self.result = result


# --- Importing ----------------------------------------------------------------------------------


def _load_library(actor, library_id: int) -> Library:
    if actor is None:  # the command line and the demo act everywhere
        library = db.session.get(Library, library_id)
        if library is None:
            raise DomainError(_l("We could not find that."))
        return library
    return directory.library_in_scope(actor, library_id)


def import_catalogue(actor, library_id: int, source, filename: str = "", *, today: date | None = None) -> ImportResult:
    """Import a catalogue file into the library ``library_id`` (which ``actor`` must have in scope:
    404 otherwise). All or nothing: ``ImportRefused`` with the rows' errors, ``BadFile`` for a file
    that cannot be read. Returns what was added, updated and left unchanged."""
    library = _load_library(actor, library_id)
    library_id, union_id = library.id, library.union_id
    data = read_upload(source)
    # Reading and checking 10,000 rows is slow work: not while holding SQLite's write lock.
    end_read_only_transaction(db.session)
    result, entries, columns = check_file(data, filename, today=today)
    if result.error_count:
        raise ImportRefused(result)

    copies_column = columns["copies"][1] if "copies" in columns else "册数"
    plan = _plan(library_id, entries, result, copies_column)
    if result.error_count:
        raise ImportRefused(result)
    promoted = _apply(library_id, plan, result, copies_column)
    if result.error_count:  # copies lent meanwhile (the guarded update said so)
        raise ImportRefused(result)
    if promoted:
        _allocate(promoted)
    result.applied = True
    audit.record(
        "library.catalogue_imported",
        db.session.get(Library, library_id),
        actor=actor,
        union_id=union_id,
        note=f"{(filename or '')[:100]}: {result.added} added, {result.updated} updated, {result.unchanged} unchanged",
    )
    db.session.flush()
    _refresh_statistics(result.added + result.updated)
    return result


ANALYZE_AFTER = 2_000  # rows written by one import, from which PostgreSQL's statistics are refreshed


def _refresh_statistics(written: int) -> None:
    """PostgreSQL: after a large import, the planner's statistics of the catalogue at once (inside
    this transaction: they count the rows it wrote and apply when it commits), not when autovacuum
    comes by a minute later. The first searches after importing 100,000 titles read the gram index
    ~10 % slower without them. SQLite plans these statements without statistics."""
    if written >= ANALYZE_AFTER and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE library_books, library_book_grams, capacity_pools"))


def _allocate(places: list[capacity.Place]) -> None:
    """Copies added went to holds waiting in line: the holds' side marks them allocated and tells
    the members (``holds.allocate_promoted``)."""
    from portal.libraries.services import holds

    holds.allocate_promoted(places)


@dataclass
class _Plan:
    new: list[tuple[int, EntryData]] = field(default_factory=list)
    changed: list[tuple[int, EntryData, object]] = field(default_factory=list)  # (row, entry, known row)


def _plan(library_id: int, entries, result: ImportResult, copies_column: str) -> _Plan:
    """Which rows add an entry and which change one, before anything is written; fewer copies than
    are lent or set aside is that row's error."""
    plan = _Plan()
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start : start + CHUNK]
        # Matching happens inside this library only: another library's entry with the same ISBN
        # is never touched.
        existing = {
            row.isbn: row
            for row in db.session.execute(
                select(
                    *ENTRY_COLUMNS,
                    LibraryBook.copies,
                    LibraryBook.pool_id,
                    CapacityPool.taken,
                )
                .join(CapacityPool, CapacityPool.id == LibraryBook.pool_id)
                .where(LibraryBook.library_id == library_id, LibraryBook.isbn.in_([e.isbn for _n, e in chunk]))
            )
        }
        for number, entry in chunk:
            known = existing.get(entry.isbn)
            if known is None:
                plan.new.append((number, entry))
            elif (known.title, known.author, known.publisher, known.year, known.clc, known.copies) == (
                entry.title,
                entry.author,
                entry.publisher,
                entry.year,
                entry.clc,
                entry.copies,
            ):
                result.unchanged += 1
            elif entry.copies < known.taken:
                result.error(number, copies_column, _too_few(known.taken))
            else:
                plan.changed.append((number, entry, known))
    return plan


def _too_few(taken: int):
    return _l(
        "%(taken)d copies of this book are lent or set aside for holds: the library cannot have fewer than that.",
        taken=taken,
    )


def _apply(library_id: int, plan: _Plan, result: ImportResult, copies_column: str) -> list:
    promoted: list = []
    now = utcnow()
    for start in range(0, len(plan.changed), CHUNK):
        chunk = plan.changed[start : start + CHUNK]
        rows, text_changed = [], []
        for number, entry, known in chunk:
            if known.copies != entry.copies:
                try:
                    promoted += capacity.set_capacity(known.pool_id, entry.copies)  # guarded: never below taken
                except Conflict:
                    taken = db.session.scalar(select(CapacityPool.taken).where(CapacityPool.id == known.pool_id))
                    result.error(number, copies_column, _too_few(taken or 0))
                    continue
            rows.append(
                {
                    "b_id": known.id,
                    "title": entry.title,
                    "author": entry.author,
                    "publisher": entry.publisher,
                    "year": entry.year,
                    "clc": entry.clc,
                    "copies": entry.copies,
                    "updated_at": now,
                }
            )
            if (known.title, known.author, known.publisher) != (entry.title, entry.author, entry.publisher):
                text_changed.append((known, entry))
        if rows:
            table = LibraryBook.__table__
            db.session.execute(update(table).where(table.c.id == bindparam("b_id")), rows)
            result.updated += len(rows)
        if text_changed:
            _update_grams(text_changed)
    for start in range(0, len(plan.new), CHUNK):
        _insert_new(library_id, plan.new[start : start + CHUNK], now)
        result.added += len(plan.new[start : start + CHUNK])
    return promoted


def _insert_grams(entries: list[tuple[int, EntryData]]) -> None:
    """The new entries' one- and two-character index (about 50 rows a title)."""
    _write_grams("insert", [g for ident, e in entries for g in gram_rows(ident, e.title, e.author, e.publisher)])


def _update_grams(changed: list[tuple[object, EntryData]]) -> None:
    """Only the pieces that changed: the index holds exactly the pieces of the stored text (every
    writer goes through ``books.save_entry`` or this importer), so the old rows are known without
    reading them. A corrected edition number rewrites a few rows a title, not fifty."""
    gone, added = [], []
    for known, entry in changed:
        before = {(g["gram"], g["field"]) for g in gram_rows(known.id, known.title, known.author, known.publisher)}
        after = {(g["gram"], g["field"]) for g in gram_rows(known.id, entry.title, entry.author, entry.publisher)}
        gone += [{"gram": g, "field": f, "book_id": known.id} for g, f in sorted(before - after)]
        added += [{"gram": g, "field": f, "book_id": known.id} for g, f in sorted(after - before)]
    _write_grams("delete", gone)
    _write_grams("insert", added)


def _write_grams(action: str, rows: list[dict]) -> None:
    """Insert or delete rows of the index in bulk. SQLite's executemany is a loop in C; psycopg's
    sends the rows one by one (10 s for the 500,000 rows of 10,000 titles), so PostgreSQL gets them
    as three arrays in one statement."""
    if not rows:
        return
    table = LibraryBookGram.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        if action == "insert":
            db.session.execute(insert(table), rows)
        else:
            db.session.execute(
                delete(table).where(
                    table.c.gram == bindparam("d_gram"),
                    table.c.field == bindparam("d_field"),
                    table.c.book_id == bindparam("d_book"),
                ),
                [{"d_gram": r["gram"], "d_field": r["field"], "d_book": r["book_id"]} for r in rows],
            )
        return
    arrays = "unnest(CAST(:grams AS varchar[]), CAST(:fields AS varchar[]), CAST(:ids AS integer[]))"
    statement = (
        f"INSERT INTO library_book_grams (gram, field, book_id) SELECT * FROM {arrays}"
        if action == "insert"
        else f"DELETE FROM library_book_grams AS g USING {arrays} AS d(gram, field, book_id) "
        "WHERE g.gram = d.gram AND g.field = d.field AND g.book_id = d.book_id"
    )
    db.session.execute(
        text(statement),
        {
            "grams": [r["gram"] for r in rows],
            "fields": [r["field"] for r in rows],
            "ids": [r["book_id"] for r in rows],
        },
    )


def _insert_new(library_id: int, new: list[tuple[int, EntryData]], now) -> None:
    keys = {pool_key(library_id, e.isbn): e for _n, e in new}
    # A pool left by an entry removed earlier is used again, with the new number of copies.
    pools = dict(
        db.session.execute(select(CapacityPool.key, CapacityPool.id).where(CapacityPool.key.in_(list(keys)))).all()
    )
    for key, pool_id in pools.items():
        capacity.set_capacity(pool_id, keys[key].copies)
    missing = [
        {"key": k, "capacity": e.copies, "taken": 0, "next_position": 0} for k, e in keys.items() if k not in pools
    ]
    try:
        with db.session.begin_nested():
            if missing:
                made = db.session.execute(
                    insert(CapacityPool.__table__).returning(CapacityPool.__table__.c.key, CapacityPool.__table__.c.id),
                    missing,
                ).all()
                pools.update({row.key: row.id for row in made})
            values = [
                {
                    "library_id": library_id,
                    "isbn": e.isbn,
                    "title": e.title,
                    "author": e.author,
                    "publisher": e.publisher,
                    "year": e.year,
                    "clc": e.clc,
                    "copies": e.copies,
                    "pool_id": pools[pool_key(library_id, e.isbn)],
                    "created_at": now,
                    "updated_at": now,
                }
                for _n, e in new
            ]
            # Rows come back matched by ISBN (unique in the library), not by order: asking for the
            # order makes SQLite insert one row at a time.
            table = LibraryBook.__table__
            ids = dict(db.session.execute(insert(table).returning(table.c.isbn, table.c.id), values).all())
    except IntegrityError:  # another import or a staff member added one of these books meanwhile
        raise BadFile(_l("Someone else changed this catalogue meanwhile. Please upload the file again.")) from None
    _insert_grams([(ids[e.isbn], e) for _n, e in new])
