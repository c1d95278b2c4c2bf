"""Limited places — a library slot's seats, a volunteer activity's places — taken, released and
waited for, never more than there are, with any number of processes booking at once.

A *pool* is one thing with places (``capacity_pools``: its capacity and how many are taken). A
*claim* is one holder's place in it (``capacity_claims``): ``held`` (they have a place) or
``waiting`` (in line, by ``position``), then ``released`` when cancelled or given back.

Every step is one guarded statement inside the caller's transaction — never read-then-write. The
statements of a take are built once (Core, on the tables): a booking burst is CPU-bound.

* **take** — ``UPDATE capacity_pools SET taken = taken + 1 WHERE id = :pool AND taken < capacity``:
  a place if the row changed, else the waiting list (or ``CapacityFull``). The UPDATE takes the
  pool's row lock on PostgreSQL (SQLite's write lock), so concurrent takers queue on it and each
  sees the last one's count. ``CHECK (taken <= capacity)`` backs it. ``take_in`` finds the pool by
  its key in that same UPDATE (``… WHERE key = :key …``), and inserts a pool that does not exist
  yet with its first place taken. A pool whose capacity follows configuration (a person's limit)
  gets it set by the same statement (``SET capacity = :n … WHERE taken < :n``).
* **one claim per holder** — ``active_key`` ("<pool>:<holder>") is unique while the claim is held
  or waiting and NULL afterwards. The claim is inserted with ``INSERT … ON CONFLICT (active_key) DO
  NOTHING RETURNING id`` — no read before, no savepoint: no row back means the holder has a claim
  already (perhaps their other request, sent at the same moment), and the place just taken is
  given back (``Conflict``).
* **a place in line** — ``UPDATE capacity_pools SET next_position = next_position + 1 … RETURNING
  next_position, taken, capacity``: one statement, under the pool's lock, so positions are handed
  out in the order the takers got the lock. The claim's INSERT also returns how many wait before it
  (``in_line``): it begins after every earlier taker committed. The first UPDATE found no place,
  but the pool may have changed before this one locked it — made by another taker (``take_in``'s
  first UPDATE saw no pool yet: it was not committed) or a place given back with nobody waiting —
  so this UPDATE draws a position only if the pool is still full (``+ CASE WHEN taken >= capacity
  …``), and when it is not, the taker takes the free place (under the lock now: it is theirs).
  Else the first bookers of a new slot, arriving together, could wait in line beside free places
  that nobody would promote them to.
* **release** — the claim is released with a guarded UPDATE (``WHERE status IN ('held',
  'waiting')``: releasing twice gives back one place), and a freed place goes at once to the first
  in line (``promote``), in the same transaction: a place is never free while someone waits.
* **promote** — the pool's place is taken first (the guarded UPDATE, which locks the pool), and
  only then is the first waiting claim read and moved to ``held``; with no one waiting the place is
  given back. Promotions of one pool therefore run one at a time, first in line first.

Domains keep their own rows (a library booking, a volunteer sign-up) and hold the claim's id; the
caller notifies whoever ``release`` or ``promote`` moved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.core.capacity_models import CLAIM_STATES, CapacityClaim, CapacityPool, waiting_count
from portal.core.db import utcnow
from portal.core.errors import CapacityFull, Conflict
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db


@dataclass(frozen=True)
class Place:
    """What happened to one holder: their claim's id, ``held`` or ``waiting`` — with ``position``
    (the order of arrival in line, kept while waiting) and ``in_line`` (1 for the first waiting, …
    as the place in line was taken; ``position_in_line`` tells it later)."""

    claim_id: int
    holder: str
    status: str
    position: int | None = None
    in_line: int | None = None


# The statements of a take, built once (Core, on the tables: no ORM work per call), values bound.
_pools, _claims = CapacityPool.__table__, CapacityClaim.__table__
_POOL_ID = select(_pools.c.id).where(_pools.c.key == bindparam("pool_key"))
_TAKE_PLACE = (
    update(_pools)
    .where(_pools.c.id == bindparam("pool"), _pools.c.taken < _pools.c.capacity)
    .values(taken=_pools.c.taken + 1)
)
_TAKE_PLACE_RESIZING = (
    update(_pools)
    .where(_pools.c.id == bindparam("pool"), _pools.c.taken < bindparam("new_capacity"))
    .values(taken=_pools.c.taken + 1, capacity=bindparam("new_capacity"))
)
_GIVE_BACK = update(_pools).where(_pools.c.id == bindparam("pool"), _pools.c.taken > 0).values(taken=_pools.c.taken - 1)
# A position is drawn only when the pool is full as the line's UPDATE locks it: see the notes.
_A_POSITION_IF_FULL = case((_pools.c.taken >= _pools.c.capacity, 1), else_=0)
_NEXT_POSITION = (
    update(_pools)
    .where(_pools.c.id == bindparam("pool"))
    .values(next_position=_pools.c.next_position + _A_POSITION_IF_FULL)
    .returning(_pools.c.next_position, _pools.c.taken, _pools.c.capacity)
)
_TAKE_PLACE_IN = (
    update(_pools)
    .where(_pools.c.key == bindparam("pool_key"), _pools.c.taken < _pools.c.capacity)
    .values(taken=_pools.c.taken + 1)
    .returning(_pools.c.id)
)
_TAKE_PLACE_IN_RESIZING = (
    update(_pools)
    .where(_pools.c.key == bindparam("pool_key"), _pools.c.taken < bindparam("new_capacity"))
    .values(taken=_pools.c.taken + 1, capacity=bindparam("new_capacity"))
    .returning(_pools.c.id)
)
_NEXT_POSITION_IN = (
    update(_pools)
    .where(_pools.c.key == bindparam("pool_key"))
    .values(next_position=_pools.c.next_position + _A_POSITION_IF_FULL)
    .returning(_pools.c.id, _pools.c.next_position, _pools.c.taken, _pools.c.capacity)
)
_CLAIM_BY_KEY = select(_claims.c.id).where(_claims.c.active_key == bindparam("active_key"))
_earlier = _claims.alias("earlier")
_insert_new_statements: dict[tuple[str, str, str], object] = {}
_insert_waiting_statements: dict[str, object] = {}


def insert_new(table, unique_column: str, values: dict) -> int | None:
    """Insert a row into ``table`` (a table or a model) unless one already has its ``unique_column``
    value: its id, or None for a duplicate. One statement (``INSERT … ON CONFLICT (column) DO NOTHING
    RETURNING id``, SQLite and PostgreSQL): no savepoint, and a duplicate leaves the transaction
    usable. ``values`` holds every column to write (no model defaults are applied)."""
    table = getattr(table, "__table__", table)
    dialect = db.session.get_bind().dialect.name
    statement = _insert_new_statements.get((table.name, unique_column, dialect))
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).on_conflict_do_nothing(index_elements=[unique_column]).returning(table.c.id)
        _insert_new_statements[(table.name, unique_column, dialect)] = statement
    return db.session.execute(statement, values).scalar()


def ensure_pool(key: str, capacity: int) -> int:
    """The id of the pool ``key``, made with ``capacity`` if it does not exist yet (two requests
    making it at once both get the one row)."""
    found = db.session.execute(_POOL_ID, {"pool_key": key}).scalar()
    if found is not None:
        return found
    made = insert_new(_pools, "key", {"key": key, "capacity": capacity, "taken": 0, "next_position": 0})
    if made is not None:
        return made
    return db.session.execute(_POOL_ID, {"pool_key": key}).scalar()  # made meanwhile by another request


def _take_place(pool_id: int, capacity: int | None = None) -> bool:
    if capacity is None:
        taken = db.session.execute(_TAKE_PLACE, {"pool": pool_id})
    else:  # the capacity follows the caller's number, set by the same statement
        taken = db.session.execute(_TAKE_PLACE_RESIZING, {"pool": pool_id, "new_capacity": capacity})
    return taken.rowcount == 1


def _give_back(pool_id: int) -> None:
    db.session.execute(_GIVE_BACK, {"pool": pool_id})


def _claim_row(pool_id: int, holder: str, status: str, position: int | None) -> dict:
    now = utcnow()
    return {
        "pool_id": pool_id,
        "holder": holder,
        "status": status,
        "position": position,
        "active_key": f"{pool_id}:{holder}",
        "created_at": now,
        "updated_at": now,
    }


def _already() -> Conflict:
    return Conflict(_l("You have already booked this."))


def _has_claim(pool_id: int, holder: str) -> bool:
    return db.session.execute(_CLAIM_BY_KEY, {"active_key": f"{pool_id}:{holder}"}).first() is not None


def _held(pool_id: int, holder: str) -> Place:
    """The claim of a place just taken (``Conflict`` when the holder has one already: the place is
    given back)."""
    claim_id = insert_new(_claims, "active_key", _claim_row(pool_id, holder, "held", None))
    if claim_id is None:
        _give_back(pool_id)  # the holder's claim (maybe another request's, just now) is the one kept
        raise _already()
    return Place(claim_id, holder, "held")


def _waiting(pool_id: int, holder: str, position: int) -> Place:
    """The claim of a place in line at ``position`` (just drawn, under the pool's lock), and how
    many wait before it — read by the INSERT itself, which begins after every earlier taker committed."""
    dialect = db.session.get_bind().dialect.name
    statement = _insert_waiting_statements.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        ahead = (
            select(func.count(_earlier.c.id))
            .where(
                _earlier.c.pool_id == bindparam("line_pool"),
                _earlier.c.status == "waiting",
                _earlier.c.position < bindparam("line_position"),
            )
            .scalar_subquery()
        )
        statement = insert(_claims).on_conflict_do_nothing(index_elements=["active_key"]).returning(_claims.c.id, ahead)
        _insert_waiting_statements[dialect] = statement
    values = _claim_row(pool_id, holder, "waiting", position) | {"line_pool": pool_id, "line_position": position}
    row = db.session.execute(statement, values).first()
    if row is None:
        raise _already()  # the position drawn stays unused: a gap, and the order is kept
    return Place(row[0], holder, "waiting", position, row[1] + 1)


def _no_place(pool_id: int, holder: str, wait: bool) -> Place:
    """No place was free: a place in line, or ``CapacityFull`` (``Conflict`` for a holder who has a
    claim already: the better answer)."""
    if not wait:
        if _has_claim(pool_id, holder):
            raise _already()
        raise CapacityFull()
    position, taken_now, places = db.session.execute(_NEXT_POSITION, {"pool": pool_id}).one()
    return _line_or_place(pool_id, holder, position, taken_now, places)


def _line_or_place(pool_id: int, holder: str, position: int, taken: int, capacity: int) -> Place:
    """The taker holds the pool's lock: a place in line at ``position`` (drawn as the pool was
    full) — or, when a place is free now (see the module's notes, no position drawn), that place."""
    if taken < capacity and _take_place(pool_id):
        return _held(pool_id, holder)
    return _waiting(pool_id, holder, position)


def take(pool_id: int, holder: str, *, wait: bool = True, capacity: int | None = None) -> Place:
    """A place for ``holder`` if one is free, else a place in line (``wait``) or ``CapacityFull``;
    ``Conflict`` when the holder has a place or a place in line already.

    ``capacity``: the pool's capacity becomes this number as the place is taken (a limit that follows
    the configuration; below what is taken already, the pool is full). Only for pools nobody waits in
    (``wait=False``): a larger capacity does not promote anyone."""
    if capacity is not None and wait:
        raise ValueError("a capacity given with the place is for pools without a line (wait=False)")
    if _take_place(pool_id, capacity):
        return _held(pool_id, holder)
    return _no_place(pool_id, holder, wait)


def take_in(key: str, capacity: int, holder: str, *, wait: bool = True, resize: bool = False) -> Place:
    """``take`` in the pool ``key``, made with ``capacity`` by its first taker. The statement that
    takes the place (or the place in line) finds the pool by its key, and a new pool is inserted
    with its first place taken: no separate ``ensure_pool``. ``resize``: the pool's capacity becomes
    ``capacity`` as the place is taken (see ``take``; only with ``wait=False``)."""
    if resize and wait:
        raise ValueError("a capacity given with the place is for pools without a line (wait=False)")
    if resize:
        taken = db.session.execute(_TAKE_PLACE_IN_RESIZING, {"pool_key": key, "new_capacity": capacity}).first()
    else:
        taken = db.session.execute(_TAKE_PLACE_IN, {"pool_key": key}).first()
    if taken is not None:
        return _held(taken[0], holder)
    if wait:
        in_line = db.session.execute(_NEXT_POSITION_IN, {"pool_key": key}).first()
        if in_line is not None:
            pool_id, position, taken_now, places = in_line
            return _line_or_place(pool_id, holder, position, taken_now, places)
    if capacity > 0:  # no such pool yet (or, without a line, a full one): made with this place taken
        made = insert_new(_pools, "key", {"key": key, "capacity": capacity, "taken": 1, "next_position": 0})
        if made is not None:
            return _held(made, holder)
    # Made meanwhile by another request, or full: the pool as it is now.
    return take(ensure_pool(key, capacity), holder, wait=wait, capacity=capacity if resize else None)


def release(claim_id: int) -> list[Place]:
    """Give a claim back (a cancellation): its place, if it held one, goes to the first in line.
    Returns the places promoted (for the caller to tell those people). Releasing twice: nothing."""
    for _attempt in range(5):  # a waiting claim may be promoted meanwhile: read it again
        claim = db.session.execute(
            select(CapacityClaim.pool_id, CapacityClaim.status).where(CapacityClaim.id == claim_id)
        ).first()
        if claim is None or claim.status == "released":
            return []
        released = db.session.execute(
            update(CapacityClaim)
            .where(CapacityClaim.id == claim_id, CapacityClaim.status == claim.status)
            .values(status="released", active_key=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if released.rowcount == 1:
            break
    else:  # pragma: no cover - five changes of one claim within one moment
        raise Conflict(_l("This booking is changing right now. Please try again."))
    if claim.status != "held":
        return []
    _give_back(claim.pool_id)
    return promote(claim.pool_id)


def promote(pool_id: int) -> list[Place]:
    """While a place is free and someone waits: the first in line gets it. Each round takes the
    place first (locking the pool), then reads who is first."""
    promoted = []
    while _take_place(pool_id):
        first = db.session.execute(
            select(CapacityClaim.id, CapacityClaim.holder)
            .where(CapacityClaim.pool_id == pool_id, CapacityClaim.status == "waiting")
            .order_by(CapacityClaim.position)
            .limit(1)
        ).first()
        if first is None:
            _give_back(pool_id)
            break
        moved = db.session.execute(
            update(CapacityClaim)
            .where(CapacityClaim.id == first.id, CapacityClaim.status == "waiting")
            .values(status="held", updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # cancelled in the meantime: try the next one with this place
            _give_back(pool_id)
            continue
        promoted.append(Place(first.id, first.holder, "held"))
    return promoted


def set_capacity(pool_id: int, capacity: int) -> list[Place]:
    """Change how many places there are: never below those taken; more places go to the line."""
    changed = db.session.execute(
        update(CapacityPool)
        .where(CapacityPool.id == pool_id, CapacityPool.taken <= capacity)
        .values(capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise Conflict(_l("More places are already booked than that."))
    return promote(pool_id)


_mine = _claims.alias("mine")
_POSITION_IN_LINE = select(
    _mine.c.status,
    select(func.count(_claims.c.id))
    .where(
        _claims.c.pool_id == _mine.c.pool_id,
        _claims.c.status == "waiting",
        _claims.c.position < _mine.c.position,
    )
    .scalar_subquery(),
).where(_mine.c.id == bindparam("claim"))


def position_in_line(claim_id: int) -> int | None:
    """1 for the first waiting, … ; None when the claim is not waiting. One query."""
    row = db.session.execute(_POSITION_IN_LINE, {"claim": claim_id}).first()
    if row is None or row[0] != "waiting":
        return None
    return row[1] + 1


def counts(pool_id: int) -> tuple[int, int, int]:
    """(capacity, taken, waiting) of a pool."""
    capacity, taken = db.session.execute(
        select(CapacityPool.capacity, CapacityPool.taken).where(CapacityPool.id == pool_id)
    ).one()
    waiting = db.session.scalar(select(waiting_count(pool_id)))
    return capacity, taken, waiting


__all__ = [  # the pool's tables live in capacity_models; callers import them from here
    "CLAIM_STATES",
    "CapacityClaim",
    "CapacityPool",
    "Place",
    "counts",
    "ensure_pool",
    "insert_new",
    "position_in_line",
    "promote",
    "release",
    "set_capacity",
    "take",
    "take_in",
    "waiting_count",
]
