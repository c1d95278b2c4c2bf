"""Append-only audit events: who did what to which record, when, and from where.

Events are written in the same transaction as the change they describe, so an
event exists exactly when the change does. Rows are never updated or deleted
through the ORM (see the guards below).
"""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Integer, String, Text, event, inspect, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(64), nullable=False)
    union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor = relationship("User")

    __table_args__ = (db.Index("ix_audit_events_subject", "subject_type", "subject_id"),)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnlyError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnlyError("audit events are append-only")


def subject_type_of(subject) -> str:
    """The table of the subject's base class: one name for every kind of application."""
    return inspect(subject).mapper.base_mapper.class_.__tablename__


def record(
    action: str,
    subject,
    *,
    actor=None,
    union_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Add an audit event about ``subject`` (a model instance with an ``id``) to the session.

    ``occurred_at`` is for timed steps replayed at a given moment (``flask jobs run --as-of``)."""
    ev = AuditEvent(
        occurred_at=occurred_at or utcnow(),
        action=action,
        subject_type=subject_type_of(subject),
        subject_id=str(subject.id),
        actor_id=getattr(actor, "id", None),
        union_id=union_id,
        from_state=from_state,
        to_state=to_state,
        note=note,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(ev)
    return ev


def record_many(action: str, subject_type: str, subjects, *, actor=None) -> None:
    """Audit events of one ``action`` about many rows inserted in bulk: ``subjects`` are
    (id, union id, to state) triples. One INSERT for them all (a spreadsheet import of 10,000)."""
    from sqlalchemy import insert

    now = utcnow()
    ip = request.remote_addr if has_request_context() else None
    rows = [
        {
            "occurred_at": now,
            "action": action,
            "subject_type": subject_type,
            "subject_id": str(ident),
            "actor_id": getattr(actor, "id", None),
            "union_id": union_id,
            "from_state": None,
            "to_state": to_state,
            "note": None,
            "ip_address": ip,
        }
        for ident, union_id, to_state in subjects
    ]
    if rows:
        db.session.execute(insert(AuditEvent), rows)


def events_for(subject) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type_of(subject))
        .where(AuditEvent.subject_id == str(subject.id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(db.session.scalars(stmt))


def events_for_many(subjects) -> dict[int, list[AuditEvent]]:
    """The events of several subjects of one type in one query, by subject id."""
    subjects = list(subjects)
    if not subjects:
        return {}
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type_of(subjects[0]))
        .where(AuditEvent.subject_id.in_([str(s.id) for s in subjects]))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    grouped: dict[int, list[AuditEvent]] = {s.id: [] for s in subjects}
    for found in db.session.scalars(stmt):
        grouped[int(found.subject_id)].append(found)
    return grouped
