"""Bulk import of stations from CSV (the CLI and the staff page share it).

The file: UTF-8 (with or without the BOM Excel writes), header
``name,address,lat,lng,amenities,open_hours,union_code`` (optional ``external_id``, ``phone``).

The rules:
* every bad row is reported with its row number (the header is row 1) and the reason;
* a file with errors imports nothing, unless the person asks to import the valid rows;
* a station already known — same ``external_id``, or else same name + address — is updated,
  so importing the same file twice creates nothing twice;
* ``union_code`` may be empty: the station then belongs to the importing staff member's union
  (or to the root of the tree for the command line); a named union must lie in their scope.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update

from portal.core import audit, scope
from portal.core.db import utcnow
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


class _Rows:
    """Decoded CSV rows with their row numbers; a bad header is reported, not raised."""

    def __init__(self, data: bytes | str):
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InvalidInput(
                    _l("The file is not UTF-8 text. Save it from Excel as “CSV UTF-8”."), field="file"
                ) from None
        data = data.removeprefix("\ufeff")
        self.reader = csv.DictReader(io.StringIO(data, newline=""))
        header = [(h or "").strip().lower() for h in (self.reader.fieldnames or [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InvalidInput(
                _l(
                    "The first row must be the header %(header)s; missing: %(missing)s.",
                    header=",".join(REQUIRED),
                    missing=", ".join(missing),
                ),
                field="file",
            )
        self.reader.fieldnames = header

    def __iter__(self):
        number = 1
        try:
            for number, row in enumerate(self.reader, start=2):
                yield number, {k: (v or "") for k, v in row.items() if k is not None}
        except csv.Error:  # a cell over 131,072 characters (csv's limit), or quotes that never close
            raise InvalidInput(
                _l("Row %(row)d cannot be read: a cell is far too long or its quotes do not close.", row=number + 1),
                field="file",
            ) from None


def import_stations(
    data: bytes | str, *, actor=None, valid_rows_only: bool = False, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Check every row, then (if allowed) insert the new stations and update the known ones in batches."""
    report = ImportReport()
    rows = _Rows(data)
    union_ids = _UnionResolver(actor)
    known_external, known_name_address = _known_keys()
    seen: dict[tuple, int] = {}
    inserts: list[dict] = []
    updates: list[dict] = []
    for number, row in rows:
        report.total += 1
        if progress and report.total % 10_000 == 0:
            progress(report.total)
        try:
            fields = clean_station_fields(row)
            fields["union_id"] = union_ids.resolve(row.get("union_code", "").strip())
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
            inserts.append(fields)
        else:
            updates.append({"_id": existing, **fields})
    if progress:
        progress(report.total)
    if report.error_count and not valid_rows_only:
        return report
    _write(inserts, updates)
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


def _known_keys() -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    by_external, by_name_address = {}, {}
    for station_id, external_id, name, address in db.session.execute(
        select(Station.id, Station.external_id, Station.name, Station.address)
    ):
        if external_id:
            by_external[external_id] = station_id
        by_name_address[(name, address)] = station_id
    return by_external, by_name_address


class _UnionResolver:
    """Union codes → ids, each looked up once; refused outside the actor's scope."""

    def __init__(self, actor):
        self.actor = actor
        self.cache: dict[str, int] = {}
        default = actor.union if actor is not None and actor.role == "staff" else unions.root()
        if default is None:
            raise InvalidInput(_l("Load the union tree first (flask seed-demo)."), field="file")
        self.default_id = default.id

    def resolve(self, code: str) -> int:
        if not code:
            return self.default_id
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
