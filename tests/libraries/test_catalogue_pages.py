"""The catalogue's pages: the public search and title pages (availability per library, pages,
empty states, without JavaScript), and the staff catalogue and import pages — only for staff
whose subtree holds the library."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.core import capacity
from portal.core.isbn import isbn13_check_digit
from portal.extensions import db
from portal.libraries.models import LibraryBook
from tests.helpers import csrf_token, login_as, page_text, post_form, selects_of

PYTHON = "9787115546081"
RED = "9787020024230"
HEADER = "ISBN,书名,作者,出版社,出版年,中图法分类号,册数"


def isbn(n: int) -> str:
    body = f"9787{n:08d}"
    return body + isbn13_check_digit(body)


def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def people(tree, make_user):
    return {
        "worker": make_user("worker"),
        "county": make_user("staff", union=tree["county_a1"]),
        "county_other": make_user("staff", union=tree["county_a2"]),  # a sibling county
        "admin": make_user("admin"),
    }


@pytest.fixture
def shelves(app, make_library, make_entry):
    """Two libraries of 香坊区 holding 红楼梦 (one copy out at B, two people waiting), Python at A
    with one of two copies lent, and a library of 通河县."""
    a = make_library("county_a1", name="香坊区职工书屋")
    b = make_library("county_a1", name="动力区职工书屋")
    c = make_library("county_a2", name="通河县职工书屋")
    entries = {
        "python_a": make_entry(a, "Python编程：从入门到实践", isbn=PYTHON, copies=2, author="埃里克·马瑟斯"),
        "red_a": make_entry(a, "红楼梦", isbn=RED, copies=3, author="曹雪芹", publisher="人民文学出版社"),
        "red_b": make_entry(b, "红楼梦", isbn=RED, copies=1, author="曹雪芹", publisher="人民文学出版社"),
        "none_c": make_entry(c, "平凡的世界", isbn=isbn(1), copies=0, author="路遥"),
    }
    with app.app_context():
        python_pool = db.session.get(LibraryBook, entries["python_a"]).pool_id
        red_pool = db.session.get(LibraryBook, entries["red_b"]).pool_id
        capacity.take(python_pool, "user:1")
        for holder in ("user:1", "user:2", "user:3"):
            capacity.take(red_pool, holder)
        db.session.commit()
    return {"A": a, "B": b, "C": c, **entries}


# --- Public search -------------------------------------------------------------------------------


def test_search_shows_each_library_with_copies_on_the_shelf(client, shelves):
    html = page_text(english(client).get("/libraries/search?q=红楼梦")).split('id="results"')[1]
    assert "1 title found" in html
    assert html.index("香坊区职工书屋") < html.index("动力区职工书屋")  # a copy on the shelf first
    assert "On the shelf 3/3" in html
    assert "All lent out, 2 waiting" in html
    assert f'href="/libraries/titles/{RED}"' in html


def test_availability_wording(client, shelves):
    html = page_text(english(client).get("/libraries/search?q=Python"))
    assert "On the shelf 1/2" in html
    html = page_text(client.get("/libraries/search?q=平凡的世界"))
    assert "No copies at the moment" in html


def test_one_library_or_all(client, shelves):
    english(client)
    html = page_text(client.get(f"/libraries/search?q=红楼梦&library={shelves['B']}"))
    assert "动力区职工书屋" in html.split('id="results"')[1]
    assert "香坊区职工书屋" not in html.split('id="results"')[1]
    assert f'<option value="{shelves["B"]}" selected>' in html
    # An id that is no open library: every library is searched.
    html = page_text(client.get("/libraries/search?q=红楼梦&library=999999"))
    assert "香坊区职工书屋" in html.split('id="results"')[1]
    assert client.get("/libraries/search?q=红楼梦&library=abc").status_code == 422


def test_field_choice_searches_authors_only(client, shelves):
    english(client)
    assert "1 title found" in page_text(client.get("/libraries/search?q=曹雪芹&field=author"))
    assert "No title found" in page_text(client.get("/libraries/search?q=曹雪芹&field=title"))
    html = page_text(client.get("/libraries/search?q=978-7-115-54608-1&field=isbn"))
    assert "Python编程：从入门到实践" in html and 'value="isbn" checked' in html


def test_empty_states_and_hints(client, shelves):
    english(client)
    first = page_text(client.get("/libraries/search"))
    assert "Search by title, author or ISBN" in first and "title found" not in first
    assert "No title found" in page_text(client.get("/libraries/search?q=不存在的书名"))
    one = page_text(client.get("/libraries/search?q=红"))
    assert "One character finds many titles" in one and "1 title found" in one
    assert "type two or more" not in page_text(client.get("/libraries/search?q=红楼"))
    bad = page_text(client.get("/libraries/search?q=978-7-115-54608-2"))
    assert "last digit does not match: please check it." in bad


def test_search_works_as_a_plain_form(client, shelves):
    html = page_text(client.get("/libraries/search?q=红楼梦"))
    assert '<form method="get" action="/libraries/search#results"' in html
    for name in ('name="q"', 'name="field"', 'name="library"'):
        assert name in html
    assert "<script" not in html.split("<main")[1]


def test_results_are_paged(client, make_library, make_entry):
    library = make_library("county_a1")
    for n in range(23):
        make_entry(library, f"职工读本第{n}册", isbn=isbn(100 + n))
    english(client)
    first = page_text(client.get("/libraries/search?q=职工读本"))
    assert "23 titles found" in first and first.count('class="list-item"') == 20
    assert "page=2" in first and "Page 1 of 2" in first
    second = page_text(client.get("/libraries/search?q=职工读本&page=2"))
    assert second.count('class="list-item"') == 3


def test_search_page_queries_do_not_grow_with_results(app, client, make_library, make_entry):
    library = make_library("county_a1")
    make_entry(library, "职工读本甲", isbn=isbn(300))
    few = selects_of(app, client, "/libraries/search?q=职工读本")
    for n in range(1, 20):
        make_entry(library, f"职工读本{n}", isbn=isbn(300 + n))
    many = selects_of(app, client, "/libraries/search?q=职工读本")
    # The libraries to choose from, the candidates, their copies and their lines (and on
    # PostgreSQL the two statements that rule out a sequential scan for the candidates).
    assert len(many) == len(few) <= 6, many


# --- One title -----------------------------------------------------------------------------------


def test_title_page_lists_every_library_holding_it(app, client, shelves):
    english(client)
    html = page_text(client.get(f"/libraries/titles/{RED}"))
    assert "红楼梦" in html and "曹雪芹" in html and "人民文学出版社" in html and "978-7020024230" in html
    assert f'href="/libraries/{shelves["A"]}"' in html and f'href="/libraries/{shelves["B"]}"' in html
    assert "On the shelf 3/3" in html and "All lent out, 2 waiting" in html
    if "libraries.reserve" in app.view_functions:
        for entry in ("red_a", "red_b"):
            assert f'href="/libraries/entries/{shelves[entry]}/reserve"' in html
    else:
        assert "/reserve" not in html


def test_title_addresses(client, shelves):
    r = client.get("/libraries/titles/978-7-115-54608-1")
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/libraries/titles/{PYTHON}")
    assert client.get("/libraries/titles/7115546088").headers["Location"].endswith(f"/libraries/titles/{PYTHON}")
    assert client.get("/libraries/titles/9787115546082").status_code == 404  # wrong check digit
    assert client.get("/libraries/titles/not-an-isbn").status_code == 404
    assert client.get(f"/libraries/titles/{isbn(999)}").status_code == 404  # nobody holds it


# --- Staff: permissions ------------------------------------------------------------------------

STAFF_PAGES = ("/staff/libraries/{A}/catalogue", "/staff/libraries/{A}/catalogue/import")


@pytest.mark.parametrize("url", STAFF_PAGES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("worker", 403), ("county", 200), ("county_other", 404), ("admin", 200)],
)
def test_staff_pages_only_for_staff_whose_subtree_holds_the_library(client, people, shelves, url, who, expected):
    if who:
        login_as(client, people[who])
    r = client.get(url.format(A=shelves["A"]))
    assert r.status_code == expected
    if who is None:
        assert "/auth/login" in r.headers["Location"]


def test_a_library_of_another_county_is_404_for_its_catalogue(client, people, shelves):
    login_as(client, people["county"])
    assert client.get(f"/staff/libraries/{shelves['C']}/catalogue").status_code == 404
    assert client.get("/staff/libraries/999999/catalogue").status_code == 404


def test_staff_of_another_county_cannot_import(app, client, people, shelves):
    login_as(client, people["county_other"])
    token = csrf_token(client, "/")
    r = client.post(
        f"/staff/libraries/{shelves['A']}/catalogue/import",
        data={"csrf_token": token, "file": (io.BytesIO(f"{HEADER}\n{isbn(5)},新书,,,,,1\n".encode()), "a.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(LibraryBook.id)).where(LibraryBook.isbn == isbn(5))) == 0


# --- Staff: catalogue and import -------------------------------------------------------------


def test_catalogue_lists_copies_lent_and_waiting(client, people, shelves):
    login_as(english(client), people["county"])
    html = page_text(client.get(f"/staff/libraries/{shelves['B']}/catalogue"))
    assert "1 title in the catalogue" in html
    row = html.split("红楼梦")[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:5]] == ["978-7020024230", "1", "1", "2"]
    html = page_text(client.get(f"/staff/libraries/{shelves['A']}/catalogue?q=python"))
    assert "1 title found" in html and "Python编程" in html and "红楼梦" not in html


def test_catalogue_of_an_inactive_library_is_still_searchable_by_its_staff(app, client, people, shelves):
    from portal.libraries.models import Library

    with app.app_context():
        db.session.get(Library, shelves["A"]).is_active = False
        db.session.commit()
    login_as(english(client), people["county"])
    assert "Python编程" in page_text(client.get(f"/staff/libraries/{shelves['A']}/catalogue?q=python"))


def _upload(client, library_id, data: bytes, name="books.csv"):
    return post_form(
        client,
        f"/staff/libraries/{library_id}/catalogue/import",
        {"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_page_explains_the_columns(client, people, shelves):
    login_as(english(client), people["county"])
    html = page_text(client.get(f"/staff/libraries/{shelves['A']}/catalogue/import"))
    assert HEADER in html and "empty means 1" in html and "/staff/libraries/catalogue-sample.csv" in html
    assert 'enctype="multipart/form-data"' in html


def test_import_then_the_summary(client, people, shelves):
    login_as(english(client), people["county"])
    data = f"{HEADER}\n{isbn(7)},新到的书,新作者,新出版社,2024,I247.5,2\n{RED},红楼梦,曹雪芹,人民文学出版社,,,5\n"
    r = _upload(client, shelves["A"], data.encode("gb18030"))
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/staff/libraries/{shelves['A']}/catalogue")
    html = page_text(client.get(r.headers["Location"]))
    assert "Catalogue imported: 1 added, 1 updated, 0 unchanged." in html
    assert "新到的书" in html and "3 titles in the catalogue" in html


def test_import_errors_are_listed_by_row_and_column(app, client, people, shelves):
    login_as(english(client), people["county"])
    data = f"{HEADER}\n{isbn(8)},好书,,,,,1\n9787115546082,坏书号,,,,,1\n{isbn(9)},册数不对,,,,,多\n"
    r = _upload(client, shelves["A"], data.encode())
    html = page_text(r)
    assert r.status_code == 422 and "Nothing was imported" in html
    assert "<td>3</td><td>ISBN</td><td>This ISBN&#39;s last digit does not match: please check it.</td>" in html
    assert "<td>4</td><td>册数</td>" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(LibraryBook.id)).where(LibraryBook.isbn == isbn(8))) == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"ISBN,title\n", "books.pdf", "Please choose a .csv or .xlsx file."),
        (b"title,author\nx,y\n", "books.csv", "The first row must name the columns"),
        (b"not a workbook", "books.xlsx", "This is not an .xlsx file."),
    ],
)
def test_a_file_that_cannot_be_imported_is_said_on_the_form(client, people, shelves, data, name, message):
    login_as(english(client), people["county"])
    r = _upload(client, shelves["A"], data, name)
    assert r.status_code == 422
    assert message in page_text(r)


def test_no_file_chosen(client, people, shelves):
    login_as(english(client), people["county"])
    r = post_form(client, f"/staff/libraries/{shelves['A']}/catalogue/import", {})
    assert r.status_code == 422 and "Please choose a file." in page_text(r)


def test_the_sample_csv_imports_as_it_is(client, people, shelves):
    login_as(english(client), people["county"])
    with client.get("/staff/libraries/catalogue-sample.csv") as sample:
        assert sample.status_code == 200 and sample.mimetype == "text/csv"
        body = sample.data
    assert body.decode("utf-8-sig").splitlines()[0] == HEADER
    r = _upload(client, shelves["B"], body, "catalogue-sample.csv")
    assert r.status_code == 303
    assert "2 added" in page_text(client.get(r.headers["Location"]))
