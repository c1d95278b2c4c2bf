"""What every kind of application has in common (kinds subclass it, joined-table)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, one_of, utcnow
from portal.core.i18n import lazy_gettext as _l
from portal.core.workflow.kinds import KINDS, ApplicationKind, Stage
from portal.core.workflow.states import AWAITING_REVIEW, OPEN_STATES, STATE_LABELS, STATES
from portal.extensions import db


def _public_id() -> str:
    return secrets.token_urlsafe(12)


class Application(db.Model):
    """What every kind of application has in common. Kinds subclass it (joined-table)."""

    __tablename__ = "applications"
    __table_args__ = (
        db.CheckConstraint(one_of("status", STATES), name="status_known"),
        # The staff queue at 50,000 applications (migration 0012, docs/performance.md): what awaits
        # a decision in a part of the tree — counted by kind or by the stages a reviewer acts on, and
        # the page's ids — from the index alone (id included: PostgreSQL's indexes hold no key);
        # and a part of the tree's applications of every status. The queue's order (newest first)
        # is ix_applications_queue_order, below the class.
        db.Index(
            "ix_applications_queue_awaiting",
            *("status", "union_id", "kind", "stage", "applicant_id", "submitted_at", "id"),
        ),
        db.Index("ix_applications_queue_scope", "union_id", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Used in every URL: not a guessable sequence.
    public_id: Mapped[str] = mapped_column(String(24), unique=True, nullable=False, default=_public_id)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # ix_applications_queue_awaiting
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # The union whose staff (and whose ancestors' staff) review it.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")  # ix_applications_queue_awaiting
    # Where an open application is in its kind's stages (None when draft or closed), and when a
    # timed stage (公示) is over.
    stage: Mapped[str | None] = mapped_column(String(32), index=True)
    stage_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # "<group>:<applicant id>" while open, NULL once closed: a unique column that keeps one
    # open application per person and group, on every database, without a partial index.
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # ix_applications_queue_order
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    applicant = relationship("User", foreign_keys=[applicant_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    union = relationship("Union")

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "application"}

    @property
    def kind_spec(self) -> ApplicationKind:
        return KINDS[self.kind]

    @property
    def current_stage(self) -> Stage | None:
        return self.kind_spec.stage(self.stage) if self.stage else None

    @property
    def status_label(self) -> str:
        stage = self.current_stage if self.status in AWAITING_REVIEW else None
        if stage is not None and (stage.wait_working_days or len(self.kind_spec.stages) > 1):
            return str(stage.waiting_label or stage.label)  # 基层工会初审 / 县级工会审批 / 公示中
        if self.status in AWAITING_REVIEW and self.review_started_at is not None:
            return str(_l("Under review"))
        return str(STATE_LABELS[self.status])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def awaiting_review(self) -> bool:
        return self.status in AWAITING_REVIEW


# The staff queue's order, newest first and never-sent ones last, walked instead of sorted
# (PostgreSQL otherwise sorted every row in scope). On SQLite, which has no NULLS LAST in an index,
# migration 0012 makes it (submitted_at DESC, id DESC): the same order there, as NULL sorts first.
db.Index("ix_applications_queue_order", Application.submitted_at.desc().nulls_last(), Application.id.desc())
