"""Worker libraries (职工书屋): where they are and when they open, visits booked into slots,
the catalogue each library holds, holds (预约借书) queued per title, and loans.

Limited things go through ``portal.core.capacity``:

* a visit slot is a pool keyed ``visit:<library>:<slot start>`` (made when first booked, with the
  library's places per slot); each visit holds the claim of its place or of its place in line;
* a person's upcoming visits are a pool ``visitor:<user>`` whose capacity is the per-person limit,
  so the limit holds when one person books twice at once;
* a catalogue entry's copies are a pool ``book:<entry>``: a loan or a hold given a copy holds a
  place, a hold in the queue waits in its line (FIFO per title and library).

Catalogue text is searched through SQLite's FTS5 (trigram) table ``library_book_fts`` or
PostgreSQL's pg_trgm GIN indexes (made by the migration, not modelled here), and, for one- and
two-character queries that trigrams cannot serve, through ``library_book_grams``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, one_of, utcnow
from portal.extensions import db

DEFAULT_SLOT_MINUTES = 60
DEFAULT_PLACES_PER_SLOT = 10


class Library(TimestampMixin, db.Model):
    __tablename__ = "libraries"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_in_range"),
        CheckConstraint("lng BETWEEN -180 AND 180", name="lng_in_range"),
        CheckConstraint("slot_minutes BETWEEN 15 AND 240", name="slot_minutes_in_range"),
        CheckConstraint("places_per_slot BETWEEN 1 AND 500", name="places_per_slot_in_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lng: Mapped[float] = mapped_column(Float, nullable=False)
    phone: Mapped[str | None] = mapped_column(String(30))
    open_hours: Mapped[str] = mapped_column(String(200), nullable=False)  # core.hours' format
    slot_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=DEFAULT_SLOT_MINUTES)
    places_per_slot: Mapped[int] = mapped_column(Integer, nullable=False, default=DEFAULT_PLACES_PER_SLOT)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    notice: Mapped[str | None] = mapped_column(String(200))  # what staff tell every visitor

    union = relationship("Union")


class LibraryClosure(db.Model):
    """A day a library is closed although its hours say open (an inventory day, a local holiday).
    Public holidays come from the shared calendar (``core.time``)."""

    __tablename__ = "library_closures"
    __table_args__ = (UniqueConstraint("library_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(String(100), nullable=False, default="")


class LibraryPartnerStation(db.Model):
    """A rest station where this library's staff leave reserved books for members to collect."""

    __tablename__ = "library_partner_stations"
    __table_args__ = (PrimaryKeyConstraint("library_id", "station_id"),)

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), nullable=False)


VISIT_STATES = ("booked", "waiting", "cancelled", "checked_in", "no_show", "lapsed")
ACTIVE_VISIT_STATES = ("booked", "waiting")


class LibraryVisit(db.Model):
    """One person's booking of a slot (预约到馆): booked (a place) or waiting (in line), then
    checked in, cancelled, a no-show — or lapsed (still in line when the slot began)."""

    __tablename__ = "library_visits"
    __table_args__ = (
        CheckConstraint(one_of("status", VISIT_STATES), name="status_known"),
        CheckConstraint("slot_end > slot_start", name="slot_ends_after_start"),
        Index("ix_library_visits_library_slot", "library_id", "slot_start"),
        Index("ix_library_visits_user_slot", "user_id", "slot_start"),
        Index("ix_library_visits_status_slot", "status", "slot_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    claim_id: Mapped[int] = mapped_column(ForeignKey("capacity_claims.id"), nullable=False, unique=True)
    # The person's place among their upcoming visits (pool "visitor:<user>"), released when the
    # visit is over (checked in, cancelled, no-show, lapsed).
    quota_claim_id: Mapped[int | None] = mapped_column(ForeignKey("capacity_claims.id"), unique=True)
    code: Mapped[str] = mapped_column(String(6), nullable=False, unique=True)  # typed at the desk
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    library = relationship(Library)
    user = relationship("User", foreign_keys=[user_id])


class LibrarySuspension(db.Model):
    """Booking suspended after repeated no-shows (3 within 30 days → 7 days, configurable)."""

    __tablename__ = "library_suspensions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_library_suspensions_user_ends", "user_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    no_shows: Mapped[int] = mapped_column(Integer, nullable=False)


class LibraryBook(TimestampMixin, db.Model):
    """A title one library holds (its catalogue entry), with how many copies."""

    __tablename__ = "library_books"
    __table_args__ = (
        UniqueConstraint("library_id", "isbn"),
        CheckConstraint("copies >= 0", name="copies_not_negative"),
        CheckConstraint("length(isbn) = 13", name="isbn_13_digits"),
        Index("ix_library_books_isbn", "isbn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), nullable=False)
    isbn: Mapped[str] = mapped_column(String(13), nullable=False)  # ISBN-13, digits only
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    author: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    publisher: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    year: Mapped[int | None] = mapped_column(Integer)
    clc: Mapped[str] = mapped_column(String(20), nullable=False, default="")  # 中图法 class, e.g. I247.5
    copies: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    pool_id: Mapped[int] = mapped_column(ForeignKey("capacity_pools.id"), nullable=False, unique=True)

    library = relationship(Library)


class LibraryBookGram(db.Model):
    """Every one- and two-character piece of a catalogue entry's title, author and publisher
    (lower-cased): one- and two-character searches read this index instead of scanning. The key
    is (gram, book_id, field): a gram's entries come in id order, so a search reads only as many
    as it shows."""

    __tablename__ = "library_book_grams"
    __table_args__ = (PrimaryKeyConstraint("gram", "book_id", "field"), Index("ix_library_book_grams_book", "book_id"))

    gram: Mapped[str] = mapped_column(String(2), nullable=False)
    field: Mapped[str] = mapped_column(String(1), nullable=False)  # t(itle), a(uthor), p(ublisher)
    book_id: Mapped[int] = mapped_column(ForeignKey("library_books.id", ondelete="CASCADE"), nullable=False)


HOLD_STATES = ("queued", "allocated", "ready", "collected", "cancelled", "expired")
OPEN_HOLD_STATES = ("queued", "allocated", "ready")


class LibraryHold(db.Model):
    """A member's reservation of a title at one library (预约借书): queued (waiting for a copy),
    allocated (a copy is theirs; staff fetch it, and carry it to the chosen rest station), ready
    (waiting to be collected until ``expires_at``), then collected, cancelled or expired."""

    __tablename__ = "library_holds"
    __table_args__ = (
        CheckConstraint(one_of("status", HOLD_STATES), name="status_known"),
        Index("ix_library_holds_book_status", "book_id", "status"),
        Index("ix_library_holds_user_status", "user_id", "status"),
        Index("ix_library_holds_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("library_books.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    claim_id: Mapped[int] = mapped_column(ForeignKey("capacity_claims.id"), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    pickup_station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))  # None: at the library
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    book = relationship(LibraryBook)
    user = relationship("User", foreign_keys=[user_id])


class LibraryLoan(db.Model):
    """A copy lent to a member: due in 30 days, renewable once when nobody is waiting."""

    __tablename__ = "library_loans"
    __table_args__ = (
        CheckConstraint("renewals BETWEEN 0 AND 1", name="renewed_at_most_once"),
        CheckConstraint("reminders BETWEEN 0 AND 2", name="reminders_known"),
        Index("ix_library_loans_user_returned", "user_id", "returned_at"),
        Index("ix_library_loans_returned_due", "returned_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("library_books.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    claim_id: Mapped[int] = mapped_column(ForeignKey("capacity_claims.id"), nullable=False, unique=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("library_holds.id"), unique=True)
    lent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    lent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    renewals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Reminders sent: 1 = three days before the due date, 2 = on the due date (jobs runner).
    reminders: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    book = relationship(LibraryBook)
    user = relationship("User", foreign_keys=[user_id])


__all__ = [
    "ACTIVE_VISIT_STATES",
    "HOLD_STATES",
    "OPEN_HOLD_STATES",
    "VISIT_STATES",
    "Library",
    "LibraryBook",
    "LibraryBookGram",
    "LibraryClosure",
    "LibraryHold",
    "LibraryLoan",
    "LibraryPartnerStation",
    "LibrarySuspension",
    "LibraryVisit",
]
