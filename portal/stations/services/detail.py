"""One station for the public: loading it by id (the links that open it in the map apps are
``core.navigation``'s, shared with the libraries)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.core.errors import NotFound
from portal.core.navigation import NavLink, navigation_links
from portal.extensions import db
from portal.stations.models import Station

MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL, where a larger number is an error


def get_public(station_id: int) -> Station:
    if not 0 < station_id <= MAX_ID:
        raise NotFound()
    station = db.session.scalars(
        select(Station).where(Station.id == station_id, Station.is_active.is_(True)).options(joinedload(Station.union))
    ).first()
    if station is None:
        raise NotFound()
    return station


def active_by_ids(station_ids) -> list[Station]:
    """The active stations among ``station_ids``, by name (another domain's list of partner stations)."""
    if not station_ids:
        return []
    return list(
        db.session.scalars(
            select(Station)
            .where(Station.id.in_(list(station_ids)), Station.is_active.is_(True))
            .order_by(Station.name, Station.id)
        )
    )


def ids_in_scope(actor, station_ids) -> list[int]:
    """Those of ``station_ids`` that ``actor`` manages (their union subtree)."""
    from portal.core import scope

    if not station_ids:
        return []
    stmt = scope.scoped(select(Station.id).where(Station.id.in_(list(station_ids))), actor, Station.union_id)
    return list(db.session.scalars(stmt))


def in_scope_for_choice(actor, *, limit: int = 200) -> list[Station]:
    """Active stations ``actor`` manages, by name (a picker on another domain's form)."""
    from portal.core import scope

    stmt = scope.scoped(select(Station).where(Station.is_active.is_(True)), actor, Station.union_id)
    return list(db.session.scalars(stmt.order_by(Station.name, Station.id).limit(limit)))


__all__ = [
    "MAX_ID",
    "NavLink",
    "active_by_ids",
    "get_public",
    "ids_in_scope",
    "in_scope_for_choice",
    "navigation_links",
]
