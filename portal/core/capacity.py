"""Limited places — a library slot's seats, a volunteer activity's places — taken, released and
waited for, never more than there are, with any number of processes booking at once.

A *pool* is one thing with places (``capacity_pools``: its capacity and how many are taken). A
*claim* is one holder's place in it (``capacity_claims``): ``held`` (they have a place) or
``waiting`` (in line, by ``position``), then ``released`` when cancelled or given back.

Every step is one guarded statement inside the caller's transaction — never read-then-write:

* **take** — ``UPDATE capacity_pools SET taken = taken + 1 WHERE id = :pool AND taken < capacity``:
  a place if the row changed, else the waiting list (or ``CapacityFull``). The UPDATE takes the
  pool's row lock on PostgreSQL (SQLite's write lock), so concurrent takers queue on it and each
  sees the last one's count. ``CHECK (taken <= capacity)`` backs it.
* **one claim per holder** — ``active_key`` ("<pool>:<holder>") is unique while the claim is held
  or waiting and NULL afterwards: a second booking by the same person fails on the constraint
  even when both are sent at once.
* **a place in line** — ``UPDATE capacity_pools SET next_position = next_position + 1``, then read
  it under the same lock: positions are handed out in the order the takers got the lock.
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
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, one_of, utcnow
from portal.core.errors import CapacityFull, Conflict
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db

CLAIM_STATES = ("held", "waiting", "released")


class CapacityPool(db.Model):
    __tablename__ = "capacity_pools"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)  # e.g. "visit:3:2026-12-05T09:00"
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    taken: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CapacityClaim(db.Model):
    __tablename__ = "capacity_claims"
    __table_args__ = (
        CheckConstraint(one_of("status", CLAIM_STATES), name="status_known"),
        UniqueConstraint("pool_id", "position", name="uq_capacity_claims_pool_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("capacity_pools.id"), nullable=False, index=True)
    holder: Mapped[str] = mapped_column(String(48), nullable=False)  # e.g. "user:42"
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    position: Mapped[int | None] = mapped_column(Integer)  # in line (NULL for a place taken at once)
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # "<pool>:<holder>" while held/waiting
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Place:
    """What happened to one holder: their claim's id, ``held`` or ``waiting`` (with ``position``)."""

    claim_id: int
    holder: str
    status: str
    position: int | None = None


def ensure_pool(key: str, capacity: int) -> int:
    """The id of the pool ``key``, made with ``capacity`` if it does not exist yet (two requests
    making it at once both get the one row)."""
    found = db.session.scalar(select(CapacityPool.id).where(CapacityPool.key == key))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            pool = CapacityPool(key=key, capacity=capacity, taken=0, next_position=0)
            db.session.add(pool)
            db.session.flush()
            return pool.id
    except IntegrityError:
        return db.session.scalar(select(CapacityPool.id).where(CapacityPool.key == key))


def _take_place(pool_id: int) -> bool:
    taken = db.session.execute(
        update(CapacityPool)
        .where(CapacityPool.id == pool_id, CapacityPool.taken < CapacityPool.capacity)
        .values(taken=CapacityPool.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _give_back(pool_id: int) -> None:
    db.session.execute(
        update(CapacityPool)
        .where(CapacityPool.id == pool_id, CapacityPool.taken > 0)
        .values(taken=CapacityPool.taken - 1)
        .execution_options(synchronize_session=False)
    )


def _insert_claim(pool_id: int, holder: str, status: str, position: int | None) -> int:
    claim = CapacityClaim(
        pool_id=pool_id, holder=holder, status=status, position=position, active_key=f"{pool_id}:{holder}"
    )
    try:
        with db.session.begin_nested():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("You have already booked this.")) from None
    return claim.id


def take(pool_id: int, holder: str, *, wait: bool = True) -> Place:
    """A place for ``holder`` if one is free, else a place in line (``wait``) or ``CapacityFull``."""
    existing = db.session.scalar(select(CapacityClaim.id).where(CapacityClaim.active_key == f"{pool_id}:{holder}"))
    if existing is not None:
        raise Conflict(_l("You have already booked this."))
    if _take_place(pool_id):
        try:
            return Place(_insert_claim(pool_id, holder, "held", None), holder, "held")
        except Conflict:
            _give_back(pool_id)  # the same holder's other request won: its place is the one kept
            raise
    if not wait:
        raise CapacityFull()
    db.session.execute(
        update(CapacityPool)
        .where(CapacityPool.id == pool_id)
        .values(next_position=CapacityPool.next_position + 1)
        .execution_options(synchronize_session=False)
    )
    position = db.session.scalar(select(CapacityPool.next_position).where(CapacityPool.id == pool_id))
    return Place(_insert_claim(pool_id, holder, "waiting", position), holder, "waiting", position)


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


def position_in_line(claim_id: int) -> int | None:
    """1 for the first waiting, … ; None when the claim is not waiting."""
    row = db.session.execute(
        select(CapacityClaim.pool_id, CapacityClaim.position, CapacityClaim.status).where(CapacityClaim.id == claim_id)
    ).first()
    if row is None or row.status != "waiting":
        return None
    ahead = db.session.scalar(
        select(func.count(CapacityClaim.id)).where(
            CapacityClaim.pool_id == row.pool_id,
            CapacityClaim.status == "waiting",
            CapacityClaim.position < row.position,
        )
    )
    return ahead + 1


def counts(pool_id: int) -> tuple[int, int, int]:
    """(capacity, taken, waiting) of a pool."""
    capacity, taken = db.session.execute(
        select(CapacityPool.capacity, CapacityPool.taken).where(CapacityPool.id == pool_id)
    ).one()
    waiting = db.session.scalar(
        select(func.count(CapacityClaim.id)).where(CapacityClaim.pool_id == pool_id, CapacityClaim.status == "waiting")
    )
    return capacity, taken, waiting
