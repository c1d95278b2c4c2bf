"""Choosing a union: which grassroots unions to offer a worker, best first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.core.validators import clean_line
from portal.extensions import db
from portal.membership.choices import NEW_FORM_TYPES
from portal.unions import services as unions
from portal.unions.models import Union, in_subtree


@dataclass(frozen=True)
class Suggestion:
    union: Union
    path: str
    reason: str  # "trade" (matches the person's work), "district", "city", "search"
    citywide: bool = False  # sits directly under the city: serves every district of it


def county_for(region_code: str | None) -> Union | None:
    """The county (district) union of a region code, if there is one."""
    if not region_code:
        return None
    return db.session.scalars(select(Union).where(Union.level == "county", Union.region_code == region_code)).first()


def suggest_unions(
    *, region_code: str | None = None, employment_type: str | None = None, query: str = "", limit: int = 30
) -> list[Suggestion]:
    """Unions to offer a worker, best first.

    Only unions that serve the chosen district are offered: its own grassroots unions and the
    city-wide federations (those directly under the city union), never another district's.
    For platform workers the federation that serves their trade comes first (in their district,
    then city-wide); then the grassroots unions of their district; then the other city-wide
    federations. A name search replaces the suggestions.
    """
    grassroots = select(Union).where(Union.level == "grassroots", Union.is_active.is_(True))
    query = clean_line(query)[:30].replace("%", "").replace("_", "")
    picked: list[tuple[Union, str]] = []
    if query:
        found = db.session.scalars(grassroots.where(Union.name.like(f"%{query}%")).order_by(Union.path).limit(limit))
        picked = [(u, "search") for u in found]
    else:
        county = county_for(region_code)
        if county is not None:
            city = county.parent
            in_county = list(
                db.session.scalars(grassroots.where(in_subtree(Union.path, county.path)).order_by(Union.code))
            )
            # Directly under the city, not anywhere below it: a federation of another district
            # (通河县, 160 km from 香坊区) does not serve this one.
            in_city = list(
                db.session.scalars(
                    grassroots.where(Union.parent_id == city.id)
                    .where(Union.kind == "industry_federation")
                    .order_by(Union.code)
                )
            )
            if employment_type in NEW_FORM_TYPES:
                serves = [u for u in in_county + in_city if employment_type in (u.serves or "").split(",")]
                picked += [(u, "trade") for u in serves]
            picked += [(u, "district") for u in in_county]
            picked += [(u, "city") for u in in_city]
    seen: set[int] = set()
    unique = []
    for union, reason in picked:
        if union.id not in seen:
            seen.add(union.id)
            unique.append((union, reason))
    unique = unique[:limit]
    paths = unions.full_names([u for u, _ in unique])
    parent_ids = {u.parent_id for u, _ in unique}
    city_ids = set(db.session.scalars(select(Union.id).where(Union.id.in_(parent_ids), Union.level == "city")))
    return [
        Suggestion(union=u, path=paths[u.id], reason=reason, citywide=u.parent_id in city_ids) for u, reason in unique
    ]
