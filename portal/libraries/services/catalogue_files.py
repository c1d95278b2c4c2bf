"""Reading a catalogue file: CSV (UTF-8, with or without the BOM, or GB18030 — what Chinese Excel
and WPS save as "CSV (逗号分隔)") or .xlsx, its header and every row checked, before anything is
written (``catalogue_import`` does the writing).

The rules:

* a file that is empty, larger than MAX_CONTENT_LENGTH (10 MB without it), longer than MAX_ROWS
  books, an old .xls workbook, neither text nor .xlsx, or without a header row or books is
  refused as a whole (``BadFile``);
* the header row names the columns, in Chinese or English: ISBN, 书名/title, 作者/author,
  出版社/publisher, 出版年/year, 中图法分类号/分类号/clc, 册数/copies (other columns are ignored);
  ISBN and 书名 are required; the header may follow a few title lines;
* every row is checked — ISBN-13 check digit (an ISBN-10 is converted), title (at most 200
  characters), year (1000 to next year), copies (0 to 999, empty means 1) — and every problem is
  said with its row number (as the spreadsheet shows it) and column;
* an ISBN twice in one file is an error (give each book once, with its number of copies).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, has_app_context

from portal.core.errors import DomainError
from portal.core.exports import unescape_spreadsheet
from portal.core.i18n import lazy_gettext as _l
from portal.core.isbn import parse_isbn
from portal.core.time import local_today
from portal.core.validators import InvalidInput, clean_line, fold_fullwidth, parse_int
from portal.libraries.services.books import EntryData

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
    """What a file held and what its import did (``catalogue_import`` counts the entries): the
    rows read and the first ERRORS_SHOWN errors."""

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
