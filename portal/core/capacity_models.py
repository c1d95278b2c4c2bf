"""The tables of limited places (``core.capacity``'s notes say how they are used): pools, with
their capacity, places taken and the next place in line; and claims, one holder's place or place
in line. With ``waiting_count``, the one way to count a pool's line in a query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, one_of, utcnow
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


def waiting_count(pool_id):
    """How many wait in the line of the pool ``pool_id`` (a value, or a column for a correlated
    subquery: a catalogue entry's ``pool_id``) — a scalar subquery."""
    return (
        select(func.count(CapacityClaim.id))
        .where(CapacityClaim.pool_id == pool_id, CapacityClaim.status == "waiting")
        .scalar_subquery()
    )
