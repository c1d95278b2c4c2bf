"""Rules of the union tree: creating nodes, finding them, naming their place in the tree."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.core.errors import Conflict
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.unions.models import LEVELS, Union, in_subtree

# Which level may sit directly under which.
_CHILD_LEVELS = {
    "national": {"province"},
    "province": {"city"},
    "city": {"county", "grassroots"},
    "county": {"grassroots"},
    "grassroots": set(),
}


def create_union(
    *,
    code: str,
    name: str,
    level: str,
    parent: Union | None,
    kind: str = "regional",
    region_code: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    serves: str | None = None,
) -> Union:
    """Add a node under ``parent``. A child's level must fit under its parent's level."""
    if level not in LEVELS:
        raise InvalidInput(_l("Unknown union level."), field="level")
    if parent is None and level != "national":
        raise InvalidInput(_l("Only the national federation has no parent."), field="parent")
    if parent is not None and level not in _CHILD_LEVELS[parent.level]:
        raise InvalidInput(_l("A union of this level cannot sit under that parent."), field="parent")
    if find_by_code(code) is not None:
        raise Conflict(_l("A union with this code already exists."), field="code")
    union = Union(
        code=code,
        name=name,
        level=level,
        kind=kind,
        parent=parent,
        region_code=region_code,
        lat=lat,
        lng=lng,
        serves=serves,
    )
    db.session.add(union)
    db.session.flush()  # the id is part of the path
    union.path = f"{parent.path if parent else '/'}{union.id}/"
    union.depth = (parent.depth + 1) if parent else 0
    db.session.flush()
    return union


def find_by_code(code: str | None) -> Union | None:
    if not code:
        return None
    return db.session.scalars(select(Union).where(Union.code == code.strip())).first()


def get_by_code(code: str | None) -> Union:
    union = find_by_code(code)
    if union is None:
        raise InvalidInput(_l("There is no union with this code."), field="union_code")
    return union


def root() -> Union | None:
    return db.session.scalars(select(Union).where(Union.parent_id.is_(None))).first()


def union_for_staff(actor, union_code: str | None) -> Union:
    """The union a staff member files a place (a station, a library) under: the one named, which
    must be in their scope, else their own (the root for an admin or the command line)."""
    from portal.core import scope
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.validators import InvalidInput

    if union_code:
        union = find_by_code(union_code)
        if union is None:
            raise InvalidInput(_l("There is no union with this code."), field="union_code")
    elif actor is not None and actor.role == "staff":
        union = actor.union
    else:
        union = root()
    if actor is not None and not scope.may_act_on(actor, union):
        raise InvalidInput(_l("This union is outside the part of the union tree you manage."), field="union_code")
    return union


def ancestors(union: Union) -> list[Union]:
    """The chain from the root down to ``union`` itself, in one query."""
    ids = union.ancestor_ids
    by_id = {u.id: u for u in db.session.scalars(select(Union).where(Union.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def full_name(union: Union, separator: str = " › ") -> str:
    """黑龙江省总工会 › 哈尔滨市总工会 › 香坊区总工会 — the national root is left out."""
    chain = [u for u in ancestors(union) if u.level != "national"]
    return separator.join(u.name for u in chain)


def full_names(union_list: list[Union], separator: str = " › ") -> dict[int, str]:
    """``full_name`` for many unions at once: one query for all their ancestors."""
    ids = {i for u in union_list for i in u.ancestor_ids}
    names = dict(
        db.session.execute(select(Union.id, Union.name).where(Union.id.in_(ids), Union.level != "national")).all()
    )
    return {u.id: separator.join(names[i] for i in u.ancestor_ids if i in names) for u in union_list}


def subtree_size(union: Union) -> int:
    stmt = select(func.count(Union.id)).where(in_subtree(Union.path, union.path))
    return db.session.scalar(stmt) or 0


def children(union: Union) -> list[Union]:
    return list(db.session.scalars(select(Union).where(Union.parent_id == union.id).order_by(Union.code)))


def unions_in_scope(user, levels: tuple[str, ...] = ("province", "city", "county", "grassroots")) -> list[Union]:
    """The unions ``user`` acts on (every one for an admin), of the given levels, in tree order."""
    from portal.core import scope

    stmt = scope.scoped(select(Union), user, Union.id).where(Union.level.in_(levels)).order_by(Union.path)
    return list(db.session.scalars(stmt))


def places_by_city(
    *, value: str = "code", located_only: bool = False, city_centres: bool = False
) -> list[tuple[str, list[tuple[str, object]]]]:
    """Cities and their counties, for a "where" select grouped by city:
    [(city name, [(value, place name), …]), …] with ``value`` the union's ``code`` or ``region_code``.

    ``located_only`` keeps places whose centre is known; ``city_centres`` offers each city itself
    (its centre) before its counties.
    """
    from portal.core.i18n import lazy_gettext as _l

    cities = db.session.scalars(select(Union).where(Union.level == "city").order_by(Union.region_code, Union.code))
    stmt = select(Union).where(Union.level == "county").order_by(Union.region_code, Union.code)
    if located_only:
        stmt = stmt.where(Union.lat.is_not(None))
    by_city: dict[int, list] = {}
    for county in db.session.scalars(stmt):
        by_city.setdefault(county.parent_id, []).append((getattr(county, value), county.name.removesuffix("总工会")))
    groups = []
    for city in cities:
        name = city.name.removesuffix("总工会")
        places = (
            [(getattr(city, value), _l("%(city)s (city centre)", city=name))]
            if city_centres and (city.lat is not None or not located_only)
            else []
        )
        places += by_city.get(city.id, [])
        if places:
            groups.append((name, places))
    return groups


def all_unions_for_choice() -> list[tuple[str, str]]:
    """(code, indented name) pairs in tree order, for an admin's select box.

    Each node follows its parent, siblings by code; depth gives the indent. (Ordering by the
    stored path alone sorts ids as text — "/1/12/" before "/1/8/" — which scatters siblings.)
    """
    rows = db.session.execute(select(Union.id, Union.parent_id, Union.code, Union.name, Union.depth)).all()
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered, stack = [], sorted(children.get(None, []), key=lambda r: r.code, reverse=True)
    while stack:
        row = stack.pop()
        ordered.append((row.code, "\u3000" * max(row.depth - 1, 0) + row.name))
        stack.extend(sorted(children.get(row.id, []), key=lambda r: r.code, reverse=True))
    return ordered
