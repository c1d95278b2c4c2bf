"""Bulk import of stations from CSV (the CLI and the staff page share it).

The file: UTF-8 (with or without the BOM Excel writes), header
``name,address,lat,lng,amenities,open_hours,union_code`` (optional ``external_id``, ``phone``).

The rules:
* every bad row is reported with its row number (the header is row 1) and the reason;
* a file with errors imports nothing, unless the person asks to import the valid rows;
* a station already known — same ``external_id``, or else same name + address — is updated,
  so importing the same file twice creates nothing twice. Only stations inside the importer's
  scope are ever matched (the command line, with no actor, acts everywhere): a row that looks
  like a station of another district is a new station of one's own, never a takeover, and a
  row naming the ``external_id`` of a station outside the scope is refused;
* ``union_code`` may be empty: a new station then belongs to the importing staff member's union
  (or to the root of the tree for the command line), an updated one keeps its union; a named
  union must lie in their scope;
* a file that cannot be read (not UTF-8, empty, wrong header) is refused as a whole with the
  reason; a row that cannot be read (a NUL character, a field beyond the CSV reader's limit) is
  a row error like any other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, select, update

from portal.core import audit, scope
from portal.core.db import utcnow
from portal.core.exports import unescape_spreadsheet
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.stations.models import Station
from portal.stations.services import clean_station_fields
from portal.unions import services as unions
from portal.unions.models import Union

REQUIRED = ("name", "address", "lat", "lng", "amenities", "open_hours", "union_code")
OPTIONAL = ("external_id", "phone")
BATCH = 5_000
MAX_REPORTED_ERRORS = 200


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0
    imported: bool = False
    header_error: str | None = None

    @property
    def valid(self) -> int:
        return self.total - self.error_count


class _RowError(Exception):
    """A row the CSV reader could not read; its message is for the person who uploaded the file."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class _Rows:
    """Decoded CSV rows with their row numbers. A file that cannot be read raises InvalidInput;
    a row that cannot be read is yielded as a ``_RowError`` in place of its fields."""

    def __init__(self, data: bytes | str):
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InvalidInput(
                    _l("The file is not UTF-8 text. Save it from Excel as “CSV UTF-8”."), field="file"
                ) from None
        data = data.removeprefix("\ufeff")
        if not data.strip():
            raise InvalidInput(_l("The file is empty."), field="file")
        self.reader = csv.reader(io.StringIO(data, newline=""))
        try:
            first = next(self.reader, [])
        except csv.Error:
            first = []
        self.header = [h.strip().lower() for h in first]
        missing = [c for c in REQUIRED if c not in self.header]
        if missing:
            raise InvalidInput(
                _l(
                    "The first row must be the header %(header)s; missing: %(missing)s.",
                    header=",".join(REQUIRED),
                    missing=", ".join(missing),
                ),
                field="file",
            )

    def __iter__(self):
        number = 1
        while True:
            number += 1
            try:
                values = next(self.reader)
            except StopIteration:
                return
            except csv.Error:  # a field longer than csv.field_size_limit(); the reader goes on after it
                yield number, _RowError(_l("A field in this row is too long to read."))
                continue
            if not any(v.strip() for v in values):
                number -= 1  # a blank line (Excel leaves some at the end) is not a row
                continue
            if any("\x00" in v for v in values):
                # PostgreSQL cannot store it, and no station name needs it.
                yield number, _RowError(_l("This row contains a NUL character (a null byte); remove it."))
                continue
            # An export guards cells that start like a formula with an apostrophe: take it off again.
            values = [unescape_spreadsheet(v) for v in values]
            yield number, dict(zip(self.header, values + [""] * (len(self.header) - len(values)), strict=False))


def import_stations(
    data: bytes | str, *, actor=None, valid_rows_only: bool = False, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Check every row, then (if allowed) insert the new stations and update the known ones in batches."""
    report = ImportReport()
    rows = _Rows(data)
    union_ids = _UnionResolver(actor)
    known_external, known_name_address = _known_keys(actor)
    seen: dict[tuple, int] = {}
    inserts: list[tuple[int, dict]] = []
    updates: list[dict] = []
    for number, row in rows:
        report.total += 1
        if progress and report.total % 10_000 == 0:
            progress(report.total)
        if isinstance(row, _RowError):
            _error(report, number, str(row.message))
            continue
        try:
            fields = clean_station_fields(row)
            union_id = union_ids.resolve(row.get("union_code", "").strip())
        except InvalidInput as exc:
            _error(report, number, str(exc.message))
            continue
        key = ("x", fields["external_id"]) if fields["external_id"] else ("n", fields["name"], fields["address"])
        if key in seen:
            _error(report, number, str(_l("The same station as row %(row)d.", row=seen[key])))
            continue
        seen[key] = number
        existing = (
            known_external.get(fields["external_id"])
            if fields["external_id"]
            else known_name_address.get((fields["name"], fields["address"]))
        )
        if existing is None:
            inserts.append((number, {**fields, "union_id": union_id or union_ids.default_id}))
        else:
            station_id, current_union_id = existing
            updates.append({"_id": station_id, **fields, "union_id": union_id or current_union_id})
    if actor is not None:
        inserts = _refuse_outside_external_ids(report, inserts)
    report.errors.sort()
    if progress:
        progress(report.total)
    if report.error_count and not valid_rows_only:
        return report
    _write([fields for _number, fields in inserts], updates)
    report.created, report.updated, report.imported = len(inserts), len(updates), True
    if actor is not None and (inserts or updates):
        audit.record(
            "stations.imported",
            actor,
            actor=actor,
            union_id=getattr(actor, "union_id", None),
            note=f"{len(inserts)} created, {len(updates)} updated, {report.error_count} rows skipped",
        )
    return report


def _error(report: ImportReport, number: int, message: str) -> None:
    report.error_count += 1
    if len(report.errors) < MAX_REPORTED_ERRORS:
        report.errors.append((number, message))


def _known_keys(actor) -> tuple[dict[str, tuple[int, int]], dict[tuple[str, str], tuple[int, int]]]:
    """The stations a row may update — those in the actor's scope (all for the command line) —
    by external id and by (name, address), as (station id, union id)."""
    stmt = select(Station.id, Station.union_id, Station.external_id, Station.name, Station.address)
    if actor is not None:
        stmt = scope.scoped(stmt, actor, Station.union_id)
    by_external, by_name_address = {}, {}
    for station_id, union_id, external_id, name, address in db.session.execute(stmt):
        if external_id:
            by_external[external_id] = (station_id, union_id)
        by_name_address[(name, address)] = (station_id, union_id)
    return by_external, by_name_address


def _refuse_outside_external_ids(report: ImportReport, inserts: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """External ids are unique across the country: a new row may not take one that a station
    outside the importer's scope already has (it could neither be updated nor inserted)."""
    wanted = [fields["external_id"] for _number, fields in inserts if fields["external_id"]]
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        taken.update(db.session.scalars(select(Station.external_id).where(Station.external_id.in_(chunk))))
    if not taken:
        return inserts
    kept = []
    for number, fields in inserts:
        if fields["external_id"] in taken:
            message = _l(
                "The external id %(external_id)s belongs to a station outside the part of the tree you manage.",
                external_id=fields["external_id"],
            )
            _error(report, number, str(message))
        else:
            kept.append((number, fields))
    return kept


class _UnionResolver:
    """Union codes → ids, each looked up once; refused outside the actor's scope."""

    def __init__(self, actor):
        self.actor = actor
        self.cache: dict[str, int] = {}
        default = actor.union if actor is not None and actor.role == "staff" else unions.root()
        if default is None:
            raise InvalidInput(_l("Load the union tree first (flask seed-demo)."), field="file")
        self.default_id = default.id

    def resolve(self, code: str) -> int | None:
        """The id of the union named by ``code``; None when the row names none."""
        if not code:
            return None
        if code not in self.cache:
            union = db.session.scalars(select(Union).where(Union.code == code)).first()
            if union is None:
                raise InvalidInput(_l("There is no union with the code %(code)s.", code=code))
            if self.actor is not None and not scope.may_act_on(self.actor, union):
                raise InvalidInput(_l("The union %(code)s is outside the part of the tree you manage.", code=code))
            self.cache[code] = union.id
        return self.cache[code]


def _write(inserts: list[dict], updates: list[dict]) -> None:
    now = utcnow()
    table = Station.__table__
    for start in range(0, len(inserts), BATCH):
        batch = [
            {**row, "is_active": True, "created_at": now, "updated_at": now} for row in inserts[start : start + BATCH]
        ]
        db.session.execute(insert(table), batch)
    # Bind names must differ from the column names in an executemany UPDATE.
    columns = ("name", "address", "lat", "lng", "amenity_mask", "open_hours", "phone", "external_id", "union_id")
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(f"v_{c}") for c in columns} | {"updated_at": now, "is_active": True})
    )
    for start in range(0, len(updates), BATCH):
        batch = [{"_id": row["_id"], **{f"v_{c}": row[c] for c in columns}} for row in updates[start : start + BATCH]]
        db.session.execute(statement, batch)
