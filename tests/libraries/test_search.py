"""Catalogue search: the same titles in the same order on SQLite and PostgreSQL — two- and
three-character Chinese, authors, mixed Chinese and English titles, ISBNs with and without
hyphens — one result per title with each library's copies, and every kind of query served by an
index (never a scan of the catalogue).

Run this file on both databases (TEST_DATABASE_URL): each asserts the same expected lists."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import text

from portal.core import capacity
from portal.core.isbn import isbn13_check_digit
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook
from portal.libraries.services import search, search_queries


def isbn(n: int) -> str:
    body = f"9787{n:08d}"
    return body + isbn13_check_digit(body)


# key → (title, author, publisher, ISBN, {library: copies}); libraries A and B are in 香坊区, C in
# 通河县, D is closed (inactive): nothing of D's is ever found.
CATALOGUE = {
    "python1": ("Python编程：从入门到实践", "埃里克·马瑟斯", "人民邮电出版社", "9787115546081", {"A": 2, "C": 1}),
    "python2": ("Python编程快速上手", "Al Sweigart", "人民邮电出版社", isbn(101), {"B": 1}),
    "pearls": ("编程珠玑", "Jon Bentley", "人民邮电出版社", isbn(102), {"A": 1}),
    "hongloumeng": ("红楼梦", "曹雪芹", "人民文学出版社", "9787020024230", {"A": 3, "B": 1}),
    "meiyan": ("红楼梦魇", "张爱玲", "北京十月文艺出版社", isbn(103), {"B": 1}),
    "santi": ("三体", "刘慈欣", "重庆出版社", isbn(104), {"A": 1, "D": 4}),
    "santi2": ("三体Ⅱ·黑暗森林", "刘慈欣", "重庆出版社", isbn(105), {"A": 1}),
    "earth": ("流浪地球", "刘慈欣", "中国华侨出版社", isbn(106), {"C": 1}),
    "alive": ("活着", "余华", "作家出版社", isbn(107), {"A": 1}),
    "xusanguan": ("许三观卖血记", "余华", "作家出版社", isbn(108), {"B": 1}),
    "pingfan": ("平凡的世界", "路遥", "人民文学出版社", isbn(109), {"A": 1}),
    "effective": ("Effective Python", "Brett Slatkin", "机械工业出版社", isbn(110), {"B": 1}),
    "biancheng": ("编程", "李明", "清华大学出版社", isbn(111), {"A": 1}),
    "csapp": ("深入理解计算机系统", "Randal E. Bryant", "机械工业出版社", isbn(112), {"A": 1}),
    "cpp": ("C++ Primer中文版", "Stanley B. Lippman", "电子工业出版社", isbn(113), {"A": 1}),
    "solitude": ("百年孤独", "加西亚·马尔克斯", "南海出版公司", isbn(114), {"C": 1}),
    "percent": ("百分之百：100%的努力", "王力", "测试出版社", isbn(115), {"A": 1}),
    "winter": ("2000年的冬天", "赵一", "测试出版社", isbn(116), {"A": 1}),
    "prequel": ("三体前传", "刘慈欣", "重庆出版社", isbn(117), {"D": 1}),
}
KEYS = {entry[3]: key for key, entry in CATALOGUE.items()}


@pytest.fixture
def catalogue(ctx, make_library, make_entry):
    """The catalogue above, in a fixed order (ids, and so ties, are the same on both databases)."""
    libraries = {
        "A": make_library("county_a1", name="香坊区职工书屋"),
        "B": make_library("county_a1", name="动力区职工书屋"),
        "C": make_library("county_a2", name="通河县职工书屋"),
        "D": make_library("county_a1", name="已关闭的书屋"),
    }
    entries = {}
    for key, (title, author, publisher, number, holdings) in CATALOGUE.items():
        for library, copies in holdings.items():
            entries[key, library] = make_entry(
                libraries[library], title, isbn=number, author=author, publisher=publisher, copies=copies
            )
    db.session.commit()  # the factories commit in their own context: see them from this one
    db.session.get(Library, libraries["D"]).is_active = False  # closed after it was stocked
    db.session.commit()
    with force_locale("en"):
        yield libraries, entries


def found(query, **kwargs):
    return [KEYS[t.isbn] for t in search.search(query, **kwargs).items]


# --- The same results on both databases -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "expected"),
    [
        # Two Chinese characters (the one- and two-character index): the title equal to the query,
        # then titles starting with it, then containing it (shorter first).
        ("编程", "all", ["biancheng", "pearls", "python2", "python1"]),
        ("三体", "all", ["santi", "santi2"]),  # 三体前传 is only in the closed library
        ("余华", "all", ["alive", "xusanguan"]),  # an author's name
        ("人民", "all", ["hongloumeng", "pearls", "pingfan", "python2", "python1"]),  # publishers
        # Three characters or more (FTS5 trigram / pg_trgm).
        ("红楼梦", "all", ["hongloumeng", "meiyan"]),
        ("刘慈欣", "all", ["santi", "earth", "santi2"]),
        ("人民邮电", "all", ["pearls", "python2", "python1"]),
        # Mixed Chinese and English titles, any case, with full-width punctuation.
        ("Python编程：从入门到实践", "all", ["python1"]),
        ("python编程", "all", ["python2", "python1"]),
        ("PYTHON", "all", ["python2", "python1", "effective"]),
        ("编程：从", "all", ["python1"]),
        ("从入门到实践", "all", ["python1"]),
        ("C++", "all", ["cpp"]),
        ("Ⅱ·黑暗", "all", ["santi2"]),
        # One character.
        ("梦", "all", ["hongloumeng", "meiyan"]),
        ("c", "all", ["cpp", "effective"]),
        ("Ⅱ", "all", ["santi2"]),
        # What is typed is text, never syntax: LIKE's % and FTS5's quotes and operators.
        ("0%的", "all", ["percent"]),
        ('"三体', "all", []),
        ("三体 OR 红楼梦", "all", []),
        ("红楼梦*", "all", []),
        # Fields.
        ("刘", "author", ["santi", "earth", "santi2"]),
        ("红楼", "author", []),
        ("刘慈欣", "title", []),
        ("三体", "title", ["santi", "santi2"]),
        ("曹雪芹", "author", ["hongloumeng"]),
    ],
)
def test_search_finds_the_same_titles_in_the_same_order(catalogue, query, field, expected):
    assert found(query, field=field) == expected


@pytest.mark.parametrize(("query", "expected"), [("0%的", ["percent"]), ("00_年", []), ("\\", [])])
def test_like_wildcards_are_text_already_in_the_database(catalogue, query, expected):
    """The rows are checked again in Python, so an unescaped % would only show as more candidates
    (and a fuller bound): look at the candidates themselves."""
    for _plan_kind, statement in search.candidate_statements("words", query, "all"):
        rows = db.session.execute(statement).all()
        assert [KEYS[row.isbn] for row in rows] == expected


@pytest.mark.parametrize(
    "typed",
    [
        "9787115546081",
        "978-7-115-54608-1",
        "978 7 115 54608 1",
        "ISBN 978-7-115-54608-1",
        "９７８７１１５５４６０８１",
        "7115546088",  # its ISBN-10
        "7-115-54608-8",
    ],
)
@pytest.mark.parametrize("field", ["all", "isbn"])
def test_an_isbn_with_or_without_hyphens_finds_its_title(catalogue, typed, field):
    results = search.search(typed, field=field)
    assert results.kind == "isbn"
    assert [KEYS[t.isbn] for t in results.items] == ["python1"]
    assert [h.library_name for h in results.items[0].holdings] == ["香坊区职工书屋", "通河县职工书屋"]


def test_an_isbn_with_a_wrong_check_digit_says_so(catalogue):
    results = search.search("978-7-115-54608-2")
    assert results.items == []
    assert str(results.notice) == "This ISBN's last digit does not match: please check it."
    assert search.search("978-7-115-54608-2", field="isbn").kind == "none"


def test_leading_digits_of_an_isbn_find_the_range(catalogue):
    assert found("978-7-020", field="isbn") == ["hongloumeng"]
    assert found("9787115", field="isbn") == ["python1"]
    results = search.search("红楼梦", field="isbn")
    assert (results.kind, results.items) == ("none", [])
    assert str(results.notice) == "Type an ISBN: 13 digits (or 10), or at least its first 3 digits."


def test_nothing_to_search_for(catalogue):
    assert search.search("").kind == "none"
    assert search.search("   ").kind == "none"
    results = search.search("#")
    assert (results.kind, results.items, str(results.notice)) == ("none", [], "Type at least one letter or digit.")
    assert search.search("编程", field="no-such-field").field == "all"


# --- One result per title, each library's copies ---------------------------------------------------


def test_one_result_per_title_with_each_library_and_its_copies(catalogue):
    libraries, entries = catalogue
    pool = db.session.get(LibraryBook, entries["python1", "A"]).pool_id
    capacity.take(pool, "user:1")  # one of A's two copies is lent
    red_pool = db.session.get(LibraryBook, entries["hongloumeng", "B"]).pool_id
    for holder in ("user:1", "user:2", "user:3"):  # B's only copy is out, two wait for it
        capacity.take(red_pool, holder)
    db.session.commit()

    (python,) = search.search("从入门到实践").items
    assert (python.title, python.author, python.publisher, python.isbn_display) == (
        "Python编程：从入门到实践",
        "埃里克·马瑟斯",
        "人民邮电出版社",
        "978-7115546081",
    )
    assert [(h.library_id, h.copies, h.available, h.waiting) for h in python.holdings] == [
        (libraries["A"], 2, 1, 0),
        (libraries["C"], 1, 1, 0),
    ]
    assert (python.copies, python.available) == (3, 2)
    red = search.search("红楼梦").items[0]
    assert [(h.library_name, h.copies, h.available, h.waiting) for h in red.holdings] == [
        ("香坊区职工书屋", 3, 3, 0),  # a copy on the shelf first
        ("动力区职工书屋", 1, 0, 2),
    ]
    assert search.availability([entries["hongloumeng", "B"], entries["python1", "A"]]) == {
        entries["hongloumeng", "B"]: (1, 0, 2),
        entries["python1", "A"]: (2, 1, 0),
    }
    assert search.availability([]) == {}


def test_one_library_or_several(catalogue):
    libraries, _entries = catalogue
    assert found("编程", library_ids=[libraries["A"]]) == ["biancheng", "pearls", "python1"]
    assert found("编程", library_ids=[libraries["B"], libraries["C"]]) == ["python2", "python1"]
    (python,) = search.search("Python编程：从入门到实践", library_ids=[libraries["C"]]).items
    assert [h.library_name for h in python.holdings] == ["通河县职工书屋"]
    assert found("三体", library_ids=[libraries["D"]]) == []  # closed: nothing
    assert found("三体", library_ids=[libraries["D"]], active_only=False) == ["santi", "prequel"]


def test_the_title_page_lists_every_active_library_holding_it(catalogue):
    libraries, _entries = catalogue
    title = search.title_holdings(CATALOGUE["santi"][3])
    assert [h.library_id for h in title.holdings] == [libraries["A"]]
    assert search.title_holdings(CATALOGUE["prequel"][3]) is None  # only in the closed library
    assert search.title_holdings(isbn(999)) is None


def test_pages_and_a_capped_count(catalogue, monkeypatch):
    first = search.search("编程", per_page=2)
    second = search.search("编程", per_page=2, page=2)
    assert [KEYS[t.isbn] for t in first.items] == ["biancheng", "pearls"]
    assert [KEYS[t.isbn] for t in second.items] == ["python2", "python1"]
    assert (first.total, first.pages, first.has_next, second.has_next, second.has_prev) == (4, 2, True, False, True)
    assert search.search("编程", per_page=2, page=9).items == []
    assert not first.capped
    monkeypatch.setattr(search, "CANDIDATES", 3)
    capped = search.search("编程")
    assert capped.capped and capped.total <= 3


# --- PostgreSQL's gram walk and the trigram index behind it -------------------------------------------


@pytest.fixture
def statements_run(monkeypatch):
    """The kinds of statement a search runs, in order."""
    ran = []
    steered = search_queries._steered

    def record(plan, stmt, params):
        ran.append(plan)
        return steered(plan, stmt, params)

    monkeypatch.setattr(search_queries, "_steered", record)
    return ran


def _postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the gram walk is PostgreSQL's (SQLite's FTS5 gives its matches in id order)")


def test_a_walk_that_read_every_entry_of_its_first_piece_is_the_answer(catalogue, statements_run):
    _postgres_only()
    assert found("人民邮电") == ["pearls", "python2", "python1"]
    assert found("刘慈欣", field="author") == ["santi", "earth", "santi2"]
    assert statements_run == ["walk", "walk"]  # fewer than a page's worth, but whole: no second statement


def test_a_walk_cut_short_is_finished_by_the_trigram_index(catalogue, statements_run, monkeypatch):
    """人民 is in nine entries' publishers, 人民邮电 in three: a walk that may read only two of 人民's
    entries finds at most two, marks itself cut, and the trigram index gives the whole answer."""
    _postgres_only()
    monkeypatch.setattr(search_queries, "WALK_LIMIT", 2)
    search_queries._shape.cache_clear()
    try:
        walk_plan, walk = search.candidate_statements("words", "人民邮电", "all")[0]
        rows = db.session.execute(walk).all()
        assert walk_plan == "walk" and rows[-1].id is None and len(rows) <= 3  # the mark
        assert found("人民邮电") == ["pearls", "python2", "python1"]
        assert statements_run == ["walk", "words"]
    finally:
        search_queries._shape.cache_clear()


def test_the_walks_pieces_are_spread_along_the_query():
    assert search_queries.walk_grams("劳动者") == ["劳动", "动者"]
    assert search_queries.walk_grams("Python编程") == ["py", "ho", "编程"]
    assert search_queries.walk_grams("C++") == ["c"]  # no two-character piece: the one-character ones
    assert search_queries.walk_grams("0%的") == ["0", "的"]
    assert search_queries.walk_grams("+++") == []


# --- Every kind of query is served by an index --------------------------------------------------


def _plan(stmt, plan: str = "") -> list[str]:
    """The plan as search_queries.candidates runs the statement (on PostgreSQL with its settings)."""
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        return [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    for name, value in search_queries.PLANNER_SETTINGS.get(plan, {}).items():
        db.session.execute(text(f"SET LOCAL {name} = {value}"))
    plan_rows = [row[0] for row in db.session.execute(text("EXPLAIN " + sql.replace("%%", "%")))]
    db.session.rollback()
    return plan_rows


FTS = [r"SCAN (library_book_fts|f) VIRTUAL TABLE INDEX"]
GRAMS_SQLITE = [
    r"SEARCH (library_book_grams|g0) USING (COVERING )?INDEX sqlite_autoindex_library_book_grams_1 \(gram=\?"
]
# PostgreSQL: the gram walk reads the (gram, book_id, field) key in order; when it finds fewer than
# the page needs, the trigram GIN indexes.
WALK = [r"Index Only Scan using pk_library_book_grams on library_book_grams g0"]
GRAMS_PG = [r"Index (Only )?Scan using pk_library_book_grams on library_book_grams g0"]
PLAN_CASES = [
    # (kind, value, field, {dialect: {statement: what its plan must show}})
    (
        "isbn",
        "9787115546081",
        "all",
        {
            "sqlite": {"isbn": [r"ix_library_books_isbn \(isbn=\?\)"]},
            "postgresql": {"isbn": [r"Index Scan using ix_library_books_isbn"]},
        },
    ),
    (
        "isbn_prefix",
        "978702",
        "isbn",
        {
            "sqlite": {"isbn_prefix": [r"ix_library_books_isbn \(isbn>\? AND isbn<\?\)"]},
            "postgresql": {"isbn_prefix": [r"ix_library_books_isbn"]},
        },
    ),
    (
        "words",
        "红楼梦",
        "all",
        {"sqlite": {"words": FTS}, "postgresql": {"walk": GRAMS_PG, "words": [r"ix_library_books_title_trgm"]}},
    ),
    (
        "words",
        "Python编程",
        "title",
        {"sqlite": {"words": FTS}, "postgresql": {"walk": GRAMS_PG, "words": [r"ix_library_books_title_trgm"]}},
    ),
    (
        "words",
        "刘慈欣",
        "author",
        {"sqlite": {"words": FTS}, "postgresql": {"walk": GRAMS_PG, "words": [r"ix_library_books_author_trgm"]}},
    ),
    (
        "words",
        "人民邮电",
        "all",
        {
            "sqlite": {"words": FTS},
            "postgresql": {
                "walk": GRAMS_PG,
                "words": [r"ix_library_books_author_trgm", r"ix_library_books_publisher_trgm"],
            },
        },
    ),
    # No letter or digit: no piece to walk, the trigram indexes only.
    ("words", "+++", "all", {"sqlite": {"words": FTS}, "postgresql": {"words": [r"ix_library_books_title_trgm"]}}),
    ("short", "编程", "all", {"sqlite": {"short": GRAMS_SQLITE}, "postgresql": {"short": GRAMS_PG}}),
    ("short", "刘", "author", {"sqlite": {"short": GRAMS_SQLITE}, "postgresql": {"short": GRAMS_PG}}),
]


@pytest.mark.parametrize(
    ("kind", "value", "field", "expected"),
    [pytest.param(*case, id=f"{case[0]}-{case[2]}-{case[1]}") for case in PLAN_CASES],
)
@pytest.mark.parametrize("in_library", [False, True], ids=["all libraries", "one library"])
def test_each_kind_of_query_reads_an_index_not_the_catalogue(catalogue, kind, value, field, expected, in_library):
    libraries, _entries = catalogue
    ids = [libraries["A"]] if in_library else None
    statements = search.candidate_statements(kind, value, field, library_ids=ids)
    wanted = expected[db.engine.dialect.name]
    assert [plan for plan, _stmt in statements] == list(wanted)
    for plan, stmt in statements:
        text_plan = "\n".join(_plan(stmt, plan))
        for pattern in wanted[plan]:
            assert re.search(pattern, text_plan), text_plan
        # Never the whole catalogue or index table; nor every entry of one library, tested one by one;
        # nor every entry of a gram collected to be sorted (the walk stops after the page's worth).
        assert not re.search(r"SCAN (library_books|library_book_grams)\b|Seq Scan on library_book", text_plan), (
            text_plan
        )
        assert not re.search(r"\(library_id=\?\)|Index Cond: \(library_id = ", text_plan), text_plan
        if plan in ("walk", "short"):
            assert not re.search(r"Bitmap Heap Scan on library_book_grams|Sort Key: g0|Hash", text_plan), text_plan
            assert not re.search(r"USE TEMP B-TREE FOR ORDER BY", text_plan), text_plan
        if plan == "words" and db.engine.dialect.name == "sqlite":
            assert "USE TEMP B-TREE" not in text_plan, text_plan  # FTS5 gives rowids in order


def test_the_title_page_reads_the_isbn_index(catalogue):
    stmt = search_queries.base(False, True).where(LibraryBook.isbn == "9787115546081")
    plan = "\n".join(_plan(stmt))
    assert "ix_library_books_isbn" in plan and "Seq Scan on library_books" not in plan, plan


def test_inactive_libraries_are_excluded_in_the_query(catalogue):
    libraries, _entries = catalogue
    db.session.get(Library, libraries["A"]).is_active = False
    db.session.flush()
    assert found("编程") == ["python2", "python1"]
    db.session.rollback()
