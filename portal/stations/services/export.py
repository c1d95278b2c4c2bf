"""Exporting stations in the importer's own format, so an export can be edited and imported back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.core import exports, scope
from portal.extensions import db
from portal.stations.models import Station, amenity_codes

EXPORT_COLUMNS = ("name", "address", "lat", "lng", "amenities", "open_hours", "union_code", "external_id", "phone")


def export_rows(actor):
    """The stations in the actor's scope (all of them for the command line, actor None), as rows
    of EXPORT_COLUMNS — the importer's own format, so an export can be edited and imported back.
    Write them with ``core.exports`` (formula-safe cells; the importer takes the guards off)."""
    stmt = select(Station).options(joinedload(Station.union))
    if actor is not None:
        stmt = scope.scoped(stmt, actor, Station.union_id)
    rows = (
        [
            s.name,
            s.address,
            f"{s.lat:.6f}",
            f"{s.lng:.6f}",
            ";".join(amenity_codes(s.amenity_mask)),
            s.open_hours,
            s.union.code,
            s.external_id or "",
            s.phone or "",
        ]
        for s in db.session.scalars(stmt.order_by(Station.id))
    )
    return rows


def export_csv(actor) -> str:
    """``export_rows`` as CSV text, with a BOM so that Excel reads the Chinese right."""
    return exports.csv_text(EXPORT_COLUMNS, export_rows(actor))
