"""CSV import: row-numbered errors, all-or-nothing unless asked, re-imports update, Excel's BOM."""

from __future__ import annotations

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
