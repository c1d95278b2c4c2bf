"""Staff import a library's catalogue from CSV or .xlsx: every row checked and its problems said by
row and column, all or nothing, re-imports update the same library's entries only, copies never
drop below those lent, added copies go to the holds in line."""

from __future__ import annotations

import io
import time
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select, text
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from portal.accounts.models import User
from portal.core import capacity
from portal.core.audit import AuditEvent
from portal.core.capacity import CapacityClaim, CapacityPool
from portal.core.isbn import isbn13_check_digit
from portal.extensions import db
from portal.libraries.models import LibraryBook, LibraryBookGram
from portal.libraries.services import books, catalogue_files, catalogue_import, holds, search
from portal.libraries.services.catalogue_files import BadFile
from portal.libraries.services.catalogue_import import ImportRefused, import_catalogue

PYTHON = "9787115546081"
SOLITUDE = "9787544273824"
TODAY = date(2026, 5, 1)

HEADER = "ISBN,书名,作者,出版社,出版年,中图法分类号,册数"
GOOD = (
    f"{HEADER}\n"
    "978-7-115-54608-1,Python编程：从入门到实践（第2版）,埃里克·马瑟斯,人民邮电出版社,2020,TP311.561,2\n"
    "9787544273824,百年孤独,加西亚·马尔克斯,南海出版公司,2017,I775.45,3\n"
    "7020024238,红楼梦,曹雪芹,人民文学出版社,1996,I242.4,\n"  # an ISBN-10; copies empty: 1
)


def isbn(n: int) -> str:
    body = f"9787{n:08d}"
    return body + isbn13_check_digit(body)


@pytest.fixture
def ctx(ctx):
    with force_locale("en"):
        yield


@pytest.fixture
def staff(tree, make_user):
    return {
        "county": make_user("staff", union=tree["county_a1"]),
        "county_other": make_user("staff", union=tree["county_a2"]),
        "admin": make_user("admin"),
    }


@pytest.fixture
def make_library(ctx, make_library):
    """The library factory commits in its own app context; the test's session may hold an older
    SQLite snapshot (it read the union tree while the factory ran): end it, to see what was made."""

    def make(*args, **kwargs):
        made = make_library(*args, **kwargs)
        db.session.commit()
        return made

    return make


@pytest.fixture
def make_entry(ctx, make_entry):
    def make(*args, **kwargs):
        made = make_entry(*args, **kwargs)
        db.session.commit()
        return made

    return make


@pytest.fixture
def library(make_library):
    return make_library("county_a1")


def actor(user) -> User:
    return db.session.get(User, user.id)


def run(user, library_id, data, filename="books.csv"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return import_catalogue(actor(user), library_id, data, filename, today=TODAY)


def refused(user, library_id, data, filename="books.csv"):
    with pytest.raises(ImportRefused) as exc:
        run(user, library_id, data, filename)
    db.session.rollback()
    return [(e.row, e.column, e.message) for e in exc.value.result.errors]


def entries(library_id):
    return {b.isbn: b for b in db.session.scalars(select(LibraryBook).where(LibraryBook.library_id == library_id))}


def xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-8"), id="utf-8"),
        pytest.param(lambda text: text.encode("utf-8-sig"), id="utf-8 with BOM (Excel's CSV UTF-8)"),
        pytest.param(lambda text: text.encode("gb18030"), id="GB18030 (Chinese Excel's CSV)"),
        pytest.param(lambda text: text.replace("\n", "\r\n").encode("gbk"), id="GBK with CRLF"),
    ],
)
def test_csv_in_each_encoding_adds_the_books(ctx, staff, library, encode):
    result = run(staff["county"], library, encode(GOOD))
    db.session.commit()
    assert (result.added, result.updated, result.unchanged, result.error_count) == (3, 0, 0, 0)
    found = entries(library)
    assert sorted(found) == sorted([PYTHON, SOLITUDE, "9787020024230"])
    python = found[PYTHON]
    assert (python.title, python.author, python.publisher) == (
        "Python编程：从入门到实践（第2版）",
        "埃里克·马瑟斯",
        "人民邮电出版社",
    )
    assert (python.year, python.clc, python.copies) == (2020, "TP311.561", 2)
    assert found["9787020024230"].copies == 1  # empty 册数: one copy
    # Each entry has its pool of copies and its one- and two-character index, as save_entry makes.
    pool = db.session.get(CapacityPool, python.pool_id)
    assert (pool.key, pool.capacity, pool.taken) == (books.pool_key(library, PYTHON), 2, 0)
    grams = set(db.session.scalars(select(LibraryBookGram.gram).where(LibraryBookGram.book_id == python.id)))
    assert {"编程", "py", "马瑟", "人民"} <= grams
    # … and both search paths find them.
    assert [t.isbn for t in search.search("孤独").items] == [SOLITUDE]
    assert [t.isbn for t in search.search("从入门到").items] == [PYTHON]


def test_english_headers_in_any_order_and_extra_columns(ctx, staff, library):
    data = "Copies,Title,Notes,isbn,Author\n4,Python编程：从入门到实践,shelf 3,978-7-115-54608-1,埃里克·马瑟斯\n"
    result = run(staff["county"], library, data)
    assert result.added == 1
    entry = entries(library)[PYTHON]
    assert (entry.title, entry.author, entry.publisher, entry.year, entry.copies) == (
        "Python编程：从入门到实践",
        "埃里克·马瑟斯",
        "",
        None,
        4,
    )


def test_a_title_line_above_the_header_is_skipped_and_rows_keep_their_numbers(ctx, staff, library):
    data = f"香坊区职工书屋馆藏目录,,,,,,\n{HEADER}\n9787115546082,坏书号,,,,,\n"
    assert refused(staff["county"], library, data) == [
        (3, "ISBN", "This ISBN's last digit does not match: please check it.")
    ]


def test_xlsx_with_numbers_dates_and_formula_guards(ctx, staff, library):
    data = xlsx(
        [
            ["ISBN", "书名", "作者", "出版社", "出版年", "分类号", "册数"],
            [9787115546081, "Python编程：从入门到实践", "埃里克·马瑟斯", "人民邮电出版社", 2020, "TP311.561", 2],
            ["9787544273824", "'=百年孤独", "加西亚·马尔克斯", "南海出版公司", datetime(2017, 8, 1), "i775.45", 3.0],
            [None, None, None, None, None, None, None],  # a blank row
            ["7-02-002423-8", "红楼梦", "曹雪芹", "人民文学出版社", "1996年", "I242.4", None],
        ]
    )
    result = run(staff["county"], library, data, "目录.xlsx")
    assert (result.added, result.rows) == (3, 3)
    found = entries(library)
    assert found[PYTHON].copies == 2 and found[PYTHON].year == 2020
    # An export's guarding apostrophe is taken off again; a date cell gives its year; 分类号 upper case.
    assert (found[SOLITUDE].title, found[SOLITUDE].year, found[SOLITUDE].clc) == ("=百年孤独", 2017, "I775.45")
    assert found["9787020024230"].year == 1996


def test_xlsx_errors_name_the_sheets_row_numbers(ctx, staff, library):
    data = xlsx(
        [
            ["ISBN", "书名"],
            [9787115546081, "Python编程"],
            [None, None],
            [9787115546082, "坏书号"],
        ]
    )
    assert refused(staff["county"], library, data, "books.xlsx") == [
        (4, "ISBN", "This ISBN's last digit does not match: please check it.")
    ]


def test_a_file_upload_is_read_like_bytes(ctx, staff, library):
    upload = FileStorage(io.BytesIO(GOOD.encode("gb18030")), filename="馆藏.csv")
    result = import_catalogue(actor(staff["county"]), library, upload, upload.filename, today=TODAY)
    assert result.added == 3


# --- Rows with errors ----------------------------------------------------------------------------


def test_every_problem_is_said_by_row_and_column(ctx, staff, library):
    data = (
        f"{HEADER}\n"
        "9787115546082,校验位错,,,,,\n"  # row 2
        ",没有书号,,,,,\n"  # row 3
        "9787544273824,,,,,,\n"  # row 4: no title
        f"{isbn(1)},{'长' * 201},,,,,\n"  # row 5
        f"{isbn(2)},年份,,,999,,\n"  # row 6
        f"{isbn(3)},明年之后,,,2028,,\n"  # row 7: next year is 2027
        f"{isbn(4)},册数,,,2020,,1000\n"  # row 8
        f"{isbn(5)},负数,,,2020,,-1\n"  # row 9
        f"{isbn(6)},小数,,,2020,,1.5\n"  # row 10
        f"{isbn(7)},分类号,,,二〇二〇,{'A' * 21},\n"  # row 11: two problems
        f"{isbn(1)},重复,,,,,\n"  # row 12: row 5's ISBN again
        f"{isbn(8)},好书,,,2027,,0\n"  # row 13: fine (next year; no copies yet)
    )
    assert refused(staff["county"], library, data) == [
        (2, "ISBN", "This ISBN's last digit does not match: please check it."),
        (3, "ISBN", "Give the book's ISBN."),
        (4, "书名", "Give the book's title."),
        (5, "书名", "This can have at most 200 characters."),
        (6, "出版年", "出版年 must be a year from 1000 to 2027, such as 2021."),
        (7, "出版年", "出版年 must be a year from 1000 to 2027, such as 2021."),
        (8, "册数", "册数 must be a whole number from 0 to 999."),
        (9, "册数", "册数 must be a whole number from 0 to 999."),
        (10, "册数", "册数 must be a whole number written with the digits 0-9."),
        (11, "出版年", "出版年 must be a year from 1000 to 2027, such as 2021."),
        (11, "中图法分类号", "This can have at most 20 characters."),
        (12, "ISBN", "This ISBN is also on row 5: give each book once, with its number of copies."),
    ]


def test_one_wrong_row_and_nothing_is_imported(ctx, staff, library):
    data = GOOD + "9787115546082,校验位错,,,,,\n"
    with pytest.raises(ImportRefused) as exc:
        run(staff["county"], library, data)
    assert (exc.value.result.error_count, exc.value.result.applied) == (1, False)
    # Checked before anything was written: no entry, no pool, no index — even before the rollback.
    assert db.session.scalar(select(func.count(LibraryBook.id))) == 0
    assert db.session.scalar(select(func.count(CapacityPool.id))) == 0
    db.session.rollback()
    assert entries(library) == {}
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "library.catalogue_imported"))
        == 0
    )


def test_only_the_first_errors_are_listed_but_all_are_counted(ctx, staff, library, monkeypatch):
    monkeypatch.setattr(catalogue_files, "ERRORS_SHOWN", 5)
    data = HEADER + "\n" + "".join("9787115546082,坏,,,,,\n" for _ in range(12))
    with pytest.raises(ImportRefused) as exc:
        run(staff["county"], library, data)
    assert (exc.value.result.error_count, len(exc.value.result.errors)) == (12, 5)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "books.csv", "The file is empty."),
        (b"   \n ", "books.csv", "The file is empty."),
        ("书名,作者\n红楼梦,曹雪芹\n".encode(), "books.csv", "The first row must name the columns"),
        (f"{HEADER}\n".encode(), "books.csv", "The file has a header row but no books."),
        (b"\xff\xfe\x00\x00\x81\x30", "books.csv", "This file cannot be read as text."),
        (b"PK\x03\x04not really a workbook", "books.xlsx", "This is not an .xlsx file."),
        (b"ISBN,title\n", "books.xlsx", "This is not an .xlsx file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "books.xls", "This is an old .xls workbook."),
    ],
)
def test_files_that_cannot_be_read_are_refused_as_a_whole(ctx, staff, library, data, filename, message):
    with pytest.raises(BadFile) as exc:
        run(staff["county"], library, data, filename)
    assert str(exc.value.message).startswith(message)
    assert exc.value.field == "file"


def test_limits_on_rows_and_size(ctx, app, staff, library, monkeypatch):
    monkeypatch.setattr(catalogue_files, "MAX_ROWS", 3)
    data = HEADER + "\n" + "".join(f"{isbn(n)},书{n},,,,,\n" for n in range(1, 5))
    with pytest.raises(BadFile) as exc:
        run(staff["county"], library, data)
    assert str(exc.value.message) == "At most 3 books in one file. Split it into smaller files."
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 2**20)
    with pytest.raises(BadFile) as exc:
        run(staff["county"], library, HEADER.encode() + b"\n" + b"x" * (2 * 2**20))
    assert str(exc.value.message) == "The file is larger than 2 MB. Split it into smaller files."


# --- Re-imports, scope, copies ------------------------------------------------------------------


def test_reimport_updates_the_same_isbn_and_its_index(ctx, staff, library):
    run(staff["county"], library, GOOD)
    db.session.commit()
    before = entries(library)
    data = (
        f"{HEADER}\n"
        "9787115546081,Python编程：从入门到实践（第3版）,埃里克·马瑟斯,人民邮电出版社,2023,TP311.561,5\n"  # changed
        "9787544273824,百年孤独,加西亚·马尔克斯,南海出版公司,2017,I775.45,3\n"  # the same
        "9787532776771,挪威的森林,村上春树,上海译文出版社,2018,I313.45,1\n"  # new
    )
    result = run(staff["county"], library, data)
    db.session.commit()
    assert (result.added, result.updated, result.unchanged) == (1, 1, 1)
    after = entries(library)
    assert len(after) == 4  # 红楼梦, absent from this file, stays
    assert after[PYTHON].id == before[PYTHON].id  # updated in place, not added again
    assert (after[PYTHON].title, after[PYTHON].year, after[PYTHON].copies) == (
        "Python编程：从入门到实践（第3版）",
        2023,
        5,
    )
    assert db.session.get(CapacityPool, after[PYTHON].pool_id).capacity == 5
    # The search indexes follow the new title (FTS trigger on SQLite, grams on both).
    assert [t.isbn for t in search.search("第3版").items] == [PYTHON]
    assert search.search("第2版").items == []
    assert [t.isbn for t in search.search("3版").items] == [PYTHON]
    assert search.search("2版").items == []
    # Only the changed pieces were rewritten, and the index is exactly the new text's.
    stored = set(db.session.execute(select(LibraryBookGram.gram, LibraryBookGram.field, LibraryBookGram.book_id)))
    expected = {
        (g["gram"], g["field"], g["book_id"])
        for entry in after.values()
        for g in books.gram_rows(entry.id, entry.title, entry.author, entry.publisher)
    }
    assert stored == expected


def test_the_same_file_twice_changes_nothing(ctx, staff, library):
    run(staff["county"], library, GOOD)
    result = run(staff["county"], library, GOOD)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 3)
    assert len(entries(library)) == 3


def test_reimport_matches_only_this_librarys_entries(ctx, staff, library, make_library, make_entry):
    """Another library's entry with the same ISBN — in the same county or a sibling county — is
    never matched, never updated: the importing library gets its own entry."""
    neighbour = make_library("county_a1")
    elsewhere = make_library("county_a2")
    theirs = make_entry(neighbour, "他馆的书名", isbn=PYTHON, copies=7, author="他馆作者")
    far = make_entry(elsewhere, "别县的书名", isbn=SOLITUDE, copies=9)
    result = run(staff["county"], library, GOOD)
    db.session.commit()
    assert (result.added, result.updated) == (3, 0)
    ours = entries(library)
    assert ours[PYTHON].id != theirs and ours[SOLITUDE].id != far
    assert ours[PYTHON].pool_id != db.session.get(LibraryBook, theirs).pool_id
    for ident, title, copies in ((theirs, "他馆的书名", 7), (far, "别县的书名", 9)):
        untouched = db.session.get(LibraryBook, ident)
        assert (untouched.title, untouched.copies) == (title, copies)
        assert db.session.get(CapacityPool, untouched.pool_id).capacity == copies


def test_staff_import_only_into_libraries_in_their_subtree(ctx, staff, library):
    with pytest.raises(NotFound):
        run(staff["county_other"], library, GOOD)
    db.session.rollback()
    assert entries(library) == {}
    assert run(staff["admin"], library, GOOD).added == 3


def _take(pool_id: int, holder: str) -> capacity.Place:
    place = capacity.take(pool_id, holder)
    db.session.commit()
    return place


def test_copies_below_those_lent_is_that_rows_error(ctx, staff, library, make_entry):
    entry_id = make_entry(library, "Python编程：从入门到实践（第2版）", isbn=PYTHON, copies=3)
    pool_id = db.session.get(LibraryBook, entry_id).pool_id
    _take(pool_id, "user:1")  # lent
    _take(pool_id, "user:2")  # set aside for a hold
    data = f"{HEADER}\n9787544273824,百年孤独,,,,,1\n9787115546081,Python编程：从入门到实践（第2版）,,,,,1\n"
    assert refused(staff["county"], library, data) == [
        (
            3,
            "册数",
            "2 copies of this book are lent or set aside for holds: the library cannot have fewer than that.",
        )
    ]
    assert db.session.get(LibraryBook, entry_id).copies == 3
    assert SOLITUDE not in entries(library)
    # Exactly as many as are out is fine.
    result = run(staff["county"], library, f"{HEADER}\n9787115546081,Python编程：从入门到实践（第2版）,,,,,2\n")
    assert result.updated == 1
    assert db.session.get(CapacityPool, pool_id).capacity == 2


def test_the_guarded_update_still_refuses_when_copies_were_lent_meanwhile(ctx, staff, library, make_entry, monkeypatch):
    """The plan read 'nothing lent'; a loan lands before the write: the guarded capacity update
    refuses, and the row is an error (nothing imported)."""
    entry_id = make_entry(library, "百年孤独", isbn=SOLITUDE, copies=2)
    pool_id = db.session.get(LibraryBook, entry_id).pool_id
    real_plan = catalogue_import._plan

    def plan_then_lend(*args, **kwargs):
        planned = real_plan(*args, **kwargs)
        capacity.take(pool_id, "user:9")
        capacity.take(pool_id, "user:8")
        return planned

    monkeypatch.setattr(catalogue_import, "_plan", plan_then_lend)
    assert refused(staff["county"], library, f"{HEADER}\n9787544273824,百年孤独,,,,,1\n") == [
        (2, "册数", "2 copies of this book are lent or set aside for holds: the library cannot have fewer than that.")
    ]


def test_added_copies_go_to_the_holds_in_line(ctx, staff, library, make_entry, monkeypatch):
    entry_id = make_entry(library, "百年孤独", isbn=SOLITUDE, copies=1)
    pool_id = db.session.get(LibraryBook, entry_id).pool_id
    _take(pool_id, "user:1")
    first = _take(pool_id, "user:2")
    second = _take(pool_id, "user:3")
    third = _take(pool_id, "user:4")
    assert (first.status, second.status, third.status) == ("waiting", "waiting", "waiting")
    handed = []
    monkeypatch.setattr(holds, "allocate_promoted", lambda places: handed.extend(places))
    result = run(staff["county"], library, f"{HEADER}\n9787544273824,百年孤独,,,,,3\n")
    assert result.updated == 1
    assert [(p.claim_id, p.status) for p in handed] == [(first.claim_id, "held"), (second.claim_id, "held")]
    statuses = dict(db.session.execute(select(CapacityClaim.id, CapacityClaim.status)).all())
    assert (statuses[first.claim_id], statuses[second.claim_id], statuses[third.claim_id]) == (
        "held",
        "held",
        "waiting",
    )


def test_added_copies_allocate_the_members_holds_in_line(ctx, staff, library, make_entry, readers):
    """The same with real holds: the first member's hold has the only copy, the second waits; two
    copies imported, the second member's hold is allocated (and they are told)."""
    from portal.core.notify import Message
    from portal.libraries.models import LibraryHold

    entry_id = make_entry(library, "百年孤独", isbn=SOLITUDE, copies=1)
    first = holds.reserve(actor(readers["member"]), entry_id)
    second = holds.reserve(actor(readers["member2"]), entry_id)
    db.session.commit()
    assert (first.status, second.status) == ("allocated", "queued")
    messages = db.session.scalar(select(func.count(Message.id)).where(Message.user_id == readers["member2"].id))
    run(staff["county"], library, f"{HEADER}\n9787544273824,百年孤独,,,,,2\n")
    db.session.commit()
    assert db.session.get(LibraryHold, second.id).status == "allocated"
    assert db.session.scalar(select(func.count(Message.id)).where(Message.user_id == readers["member2"].id)) > messages


def test_each_import_is_one_audit_event(ctx, staff, library):
    run(staff["county"], library, GOOD, "馆藏2026.csv")
    run(staff["county"], library, GOOD, "馆藏2026.csv")
    events = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "library.catalogue_imported").order_by(AuditEvent.id)
        )
    )
    assert [(e.subject_id, e.actor_id, e.note) for e in events] == [
        (str(library), staff["county"].id, "馆藏2026.csv: 3 added, 0 updated, 0 unchanged"),
        (str(library), staff["county"].id, "馆藏2026.csv: 0 added, 0 updated, 3 unchanged"),
    ]


# --- 10,000 rows --------------------------------------------------------------------------------


def _statements(app):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    return seen, record


def test_ten_thousand_rows_are_written_in_bulk(ctx, app, staff, library, capsys):
    """10,000 new titles, then the same file with every title changed: a few statements per chunk of
    500 rows, not one per row. (The time is printed: pytest -s.)"""
    n = 10_000
    rows = [
        f"{isbn(i)},职工读本第{i}册：安全生产与劳动保护,作者{i % 97},工人出版社,{2000 + i % 25},D412.6,{1 + i % 3}"
        for i in range(n)
    ]
    data = (HEADER + "\n" + "\n".join(rows) + "\n").encode()
    statements, record = _statements(app)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        started = time.perf_counter()
        result = run(staff["county"], library, data)
        db.session.commit()
        added_in = time.perf_counter() - started
        added_statements = len(statements)
        statements.clear()
        started = time.perf_counter()
        changed = run(staff["county"], library, data.replace("安全生产".encode(), "职业健康".encode()))
        db.session.commit()
        updated_in = time.perf_counter() - started
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert (result.added, changed.updated) == (n, n)
    # 20 chunks of 500: about 10 statements a chunk (one a row would be 10,000 and more).
    assert added_statements < 300, added_statements
    assert len(statements) < 300, len(statements)
    assert [t.isbn for t in search.search("第1234册").items] == [isbn(1234)]
    with capsys.disabled():
        print(
            f"\n10,000-row import on {db.engine.dialect.name}: added in {added_in:.2f} s, all changed in {updated_in:.2f} s"
        )


def test_a_large_import_refreshes_postgresqls_statistics(ctx, staff, library, monkeypatch):
    """The planner knows the new rows when the import commits (a manual ANALYZE: autovacuum's own
    is counted apart), not a minute later."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    monkeypatch.setattr(catalogue_import, "ANALYZE_AFTER", 50)

    def analyzed() -> int:
        """Manual ANALYZEs of the gram table so far (the database lives as long as the test session:
        an earlier test's import may have counted already)."""
        db.session.rollback()  # a new transaction: the statistics views are read once per transaction
        return db.session.scalar(
            text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'library_book_grams'")
        )

    before = analyzed()
    small = (HEADER + "\n" + "\n".join(f"{isbn(i)},小书{i},作者,出版社,2020,D4,1" for i in range(49)) + "\n").encode()
    run(staff["county"], library, small)
    db.session.commit()
    assert analyzed() == before  # 49 rows: autovacuum's business
    rows = [f"{isbn(i)},大书{i},作者,出版社,2020,D4,1" for i in range(100, 150)]
    run(staff["county"], library, (HEADER + "\n" + "\n".join(rows) + "\n").encode())
    db.session.commit()
    assert analyzed() == before + 1
