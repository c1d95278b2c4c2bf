"""A library's catalogue from a spreadsheet: CSV (UTF-8, with or without the BOM, or GB18030 — what
Chinese Excel and WPS save as "CSV (逗号分隔)") or .xlsx.

The rules:

* the header row names the columns, in Chinese or English: ISBN, 书名/title, 作者/author,
  出版社/publisher, 出版年/year, 中图法分类号/分类号/clc, 册数/copies (other columns are ignored);
  ISBN and 书名 are required; the header may follow a few title lines;
* every row is checked — ISBN-13 check digit (an ISBN-10 is converted), title (at most 200
  characters), year (1000 to next year), copies (0 to 999, empty means 1) — and every problem is
  said with its row number (as the spreadsheet shows it) and column;
* all or nothing: one wrong row and nothing changes (``ImportRefused`` carries the rows);
* an ISBN twice in one file is an error; an ISBN the library already holds updates that entry —
  matched **only within this library**, never another library's entry with the same ISBN; fewer
  copies than are lent or set aside for holds is that row's error;
* copies added go at once to the holds waiting in line (``holds.allocate_promoted``);
* one audit event per import says what it did.

Rows are checked in Python before the first write; the writes are a few statements per chunk of
``CHUNK`` rows (pools, entries and their one- and two-character index in bulk).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, has_app_context
from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit, capacity
from portal.core.capacity import CapacityPool
from portal.core.db import end_read_only_transaction, utcnow
from portal.core.errors import Conflict, DomainError
from portal.core.exports import unescape_spreadsheet
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import local_today
from portal.core.validators import InvalidInput, clean_line, fold_fullwidth, parse_int, parse_isbn
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook, LibraryBookGram
from portal.libraries.services import directory
from portal.libraries.services.books import EntryData, gram_rows, pool_key

CHUNK = 500
MAX_ROWS = 20_000
ERRORS_SHOWN = 200
HEADER_SEARCH_ROWS = 10  # the header may follow a title line or two
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# Column → the names a header cell may give it (compared lower-cased, without spaces).
HEADERS = {
    "isbn": ("isbn", "isbn号", "isbn-13", "isbn13", "书号", "国际标准书号"),
    "title": ("书名", "题名", "正题名", "title"),
    "author": ("作者", "责任者", "著者", "author"),
    "publisher": ("出版社", "出版者", "publisher"),
    "year": ("出版年", "出版年份", "出版时间", "出版日期", "year"),
    "clc": ("中图法分类号", "中图分类号", "分类号", "clc"),
    "copies": ("册数", "复本数", "数量", "copies"),
}
REQUIRED = ("isbn", "title")
COLUMN_NAMES = {  # for messages about a column the file lacks
    "isbn": "ISBN",
    "title": "书名",
}
SAMPLE_HEADER = ("ISBN", "书名", "作者", "出版社", "出版年", "中图法分类号", "册数")
SAMPLE_ROWS = (
    (
        "978-7-115-54608-1",
        "Python编程：从入门到实践（第2版）",
        "埃里克·马瑟斯",
        "人民邮电出版社",
        "2020",
        "TP311.561",
        "2",
    ),
    ("978-7-5442-7382-4", "百年孤独", "加西亚·马尔克斯", "南海出版公司", "2017", "I775.45", "3"),
)
_YEAR = re.compile(r"([0-9]{4})(?:[-./年].*)?")
_HEADER_NOISE = re.compile(r"[\s*＊:：()（）]")


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it (the header's row and the lines above it count)
    column: str  # the column's header as written in the file ("" for the whole row)
    message: str


@dataclass
class ImportResult:
    rows: int = 0  # rows read (blank ones not counted)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_SHOWN
    error_count: int = 0
    applied: bool = False

    def error(self, row: int, column: str, message) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_SHOWN:
            self.errors.append(RowError(row, column, str(message)))


class BadFile(DomainError):
    """The file as a whole cannot be imported (unreadable, no header, too large)."""

    status_code = 422

    def __init__(self, message):
        super().__init__(message, field="file")


class ImportRefused(DomainError):
    """Some rows are wrong: nothing was imported (the request rolls back); ``result`` says where."""

    status_code = 422

    def __init__(self, result: ImportResult):
        super().__init__(_l("Nothing was imported: the file has errors. Correct them and upload it again."))
        self.result = result


# --- Reading the file ---------------------------------------------------------------------------


def _max_bytes() -> int:
    if not has_app_context():
        return DEFAULT_MAX_BYTES
    return current_app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BYTES


def read_upload(source, max_bytes: int | None = None) -> bytes:
    """The bytes of an upload (a FileStorage, a stream or bytes), refused beyond ``max_bytes``."""
    limit = max_bytes or _max_bytes()
    data = bytes(source) if isinstance(source, bytes | bytearray | memoryview) else source.read(limit + 1)
    if len(data) > limit:
        raise BadFile(_l("The file is larger than %(num)d MB. Split it into smaller files.", num=limit // 2**20))
    if not data.strip():
        raise BadFile(_l("The file is empty."))
    return data


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if "\x00" in text:
        text = text.replace("\x00", "")  # PostgreSQL cannot store it; no catalogue needs it
    return unescape_spreadsheet(text.strip())


def _csv_rows(data: bytes):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BadFile(_l("This file cannot be read as text. Save it from Excel or WPS as CSV or .xlsx."))
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    number = 0
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a field beyond the reader's limit; the reader goes on after it
            yield number, None
            continue
        yield number, [_cell(v) for v in values]


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - whatever openpyxl raises for a file that is not a workbook
        raise BadFile(_l("This is not an .xlsx file. Save it from Excel or WPS as .xlsx or CSV.")) from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows():
            cells = [c for c in row if getattr(c, "row", None) is not None]
            if not cells:
                continue
            yield cells[0].row, [_cell(c.value) for c in row]
    finally:
        book.close()


def _rows(data: bytes, filename: str):
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BadFile(_l("This is an old .xls workbook. Save it as .xlsx or CSV and upload that."))
    if name.endswith(".xlsx"):
        raise BadFile(_l("This is not an .xlsx file. Save it from Excel or WPS as .xlsx or CSV."))
    return _csv_rows(data)


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", fold_fullwidth(text).lower())


def _columns(values: list[str]) -> dict[str, tuple[int, str]]:
    """Column → (index, its header as written), for a header row; empty when it is not one."""
    found: dict[str, tuple[int, str]] = {}
    for index, written in enumerate(values):
        key = _header_key(written)
        for column, names in HEADERS.items():
            if key in names and column not in found:
                found[column] = (index, written)
    return found


# --- Checking rows ------------------------------------------------------------------------------


def _year(text: str, label: str, high: int) -> int | None:
    if not text:
        return None
    match = _YEAR.fullmatch(fold_fullwidth(text))
    if match is None or not 1000 <= int(match.group(1)) <= high:
        raise InvalidInput(_l("%(name)s must be a year from 1000 to %(high)d, such as 2021.", name=label, high=high))
    return int(match.group(1))


def _entry(values: list[str], columns, number: int, result: ImportResult, next_year: int) -> dict:
    """The row's fields that are right; each wrong one is recorded with its column."""

    def cell(column: str) -> str:
        index = columns[column][0] if column in columns else None
        return values[index] if index is not None and index < len(values) else ""

    def label(column: str) -> str:
        return columns[column][1] if column in columns else COLUMN_NAMES.get(column, column)

    fields: dict[str, object] = {}
    checks = {
        "isbn": lambda text: parse_isbn(text) if text else _missing(_l("Give the book's ISBN.")),
        "title": lambda text: clean_line(text, max_length=200) or _missing(_l("Give the book's title.")),
        "author": lambda text: clean_line(text, max_length=100),
        "publisher": lambda text: clean_line(text, max_length=100),
        "year": lambda text: _year(text, label("year"), next_year),
        "clc": lambda text: clean_line(fold_fullwidth(text), max_length=20).upper(),
        "copies": lambda text: 1 if not text else parse_int(text, low=0, high=999, label=label("copies")),
    }
    for column, check in checks.items():
        try:
            fields[column] = check(cell(column))
        except InvalidInput as exc:
            result.error(number, label(column), exc.message)
    return fields


def _missing(message):
    raise InvalidInput(message)


def check_file(data: bytes, filename: str, *, today: date | None = None) -> tuple[ImportResult, list, dict]:
    """Read and check every row (no database): (result with the errors, [(row, EntryData)],
    columns found)."""
    next_year = (today or local_today()).year + 1
    result = ImportResult()
    columns: dict[str, tuple[int, str]] = {}
    entries: list[tuple[int, EntryData]] = []
    seen: dict[str, int] = {}
    rows = iter(_rows(data, filename))
    for number, values in rows:
        if values is not None and any(values):
            found = _columns(values)
            if all(c in found for c in REQUIRED):
                columns = found
                break
        if number >= HEADER_SEARCH_ROWS:
            break
    if not columns:
        raise BadFile(
            _l(
                "The first row must name the columns: ISBN and 书名 (title) are required; 作者, 出版社, "
                "出版年, 中图法分类号 and 册数 are optional."
            )
        )
    for number, values in rows:
        if values is None:
            result.rows += 1
            result.error(number, "", _l("A field in this row is too long to read."))
            continue
        if not any(values):
            continue  # a blank line (spreadsheets leave some at the end) is not a row
        result.rows += 1
        if result.rows > MAX_ROWS:
            raise BadFile(_l("At most %(num)d books in one file. Split it into smaller files.", num=MAX_ROWS))
        fields = _entry(values, columns, number, result, next_year)
        isbn = fields.get("isbn")
        if isbn in seen:
            result.error(
                number,
                columns["isbn"][1],
                _l("This ISBN is also on row %(row)d: give each book once, with its number of copies.", row=seen[isbn]),
            )
            continue
        if isbn is not None:
            seen[isbn] = number
        if len(fields) == len(HEADERS):
            entries.append((number, EntryData(**fields)))
    if result.rows == 0 and not result.error_count:
        raise BadFile(_l("The file has a header row but no books."))
    return result, entries, columns


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
    return result


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
                    LibraryBook.id,
                    LibraryBook.isbn,
                    LibraryBook.title,
                    LibraryBook.author,
                    LibraryBook.publisher,
                    LibraryBook.year,
                    LibraryBook.clc,
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
