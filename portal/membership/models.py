"""Membership: the applications to join or transfer, the membership itself and its history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import crypto
from portal.core.db import TimestampMixin, UTCDateTime, one_of, utcnow
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import birth_summary, mask_id_number
from portal.core.validators import parse_id_number
from portal.core.workflow import Application
from portal.extensions import db
from portal.membership.choices import EDUCATION, EMPLOYMENT_TYPES, ETHNIC_GROUPS, PLATFORMS, POLITICAL_STATUS


class MembershipApplication(Application):
    """入会申请: a worker asks to join a grassroots union."""

    __tablename__ = "membership_applications"
    __mapper_args__ = {"polymorphic_identity": "membership"}

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    real_name: Mapped[str] = mapped_column(String(50), nullable=False)
    ethnicity: Mapped[str] = mapped_column(String(2), nullable=False)
    education: Mapped[str] = mapped_column(String(16), nullable=False)
    political_status: Mapped[str | None] = mapped_column(String(24))
    employment_type: Mapped[str] = mapped_column(String(24), nullable=False)
    platform: Mapped[str | None] = mapped_column(String(16))
    employer: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    work_region_code: Mapped[str | None] = mapped_column(String(12))

    @property
    def ethnicity_label(self) -> str:
        return str(ETHNIC_GROUPS.get(self.ethnicity, self.ethnicity))

    @property
    def education_label(self) -> str:
        return str(EDUCATION.get(self.education, self.education))

    @property
    def political_status_label(self) -> str:
        return str(POLITICAL_STATUS.get(self.political_status or "", ""))

    @property
    def employment_label(self) -> str:
        return str(EMPLOYMENT_TYPES.get(self.employment_type, self.employment_type))

    @property
    def workplace(self) -> str:
        """美团 · 香坊站 / 哈尔滨松江机械制造有限公司"""
        platform = str(PLATFORMS[self.platform]) if self.platform and self.platform != "other" else ""
        return " · ".join(part for part in (platform, self.employer) if part)


class TransferApplication(Application):
    """会员转会: a member moves to another grassroots union (reviewed by the receiving union)."""

    __tablename__ = "transfer_applications"
    __mapper_args__ = {"polymorphic_identity": "transfer"}

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), nullable=False, index=True)
    from_union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    membership = relationship("Membership")
    from_union = relationship("Union", foreign_keys=[from_union_id])


class IdentityChangeApplication(Application):
    """更正身份信息: a member (or applicant) asks to change their real name or ID number.

    Both values are locked once someone is a member or has an application under review; staff
    whose scope holds the member's union review the change. The ID numbers before and after are
    sealed like the account's own (``core.crypto``); the new one is NULL when it does not change.
    """

    __tablename__ = "identity_change_applications"
    __mapper_args__ = {"polymorphic_identity": "identity_change"}

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    old_name: Mapped[str] = mapped_column(String(50), nullable=False)
    new_name: Mapped[str] = mapped_column(String(50), nullable=False)
    old_id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    new_id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    def reveal_old_id_number(self) -> str | None:
        return crypto.decrypt(self.old_id_number_encrypted) if self.old_id_number_encrypted else None

    def reveal_new_id_number(self) -> str | None:
        """The requested ID number, clear. Staff views go through the audited reveal."""
        return crypto.decrypt(self.new_id_number_encrypted) if self.new_id_number_encrypted else None

    @property
    def changes_name(self) -> bool:
        return self.new_name != self.old_name

    @property
    def changes_id_number(self) -> bool:
        return self.new_id_number_encrypted is not None

    @property
    def old_id_number_masked(self) -> str:
        return mask_id_number(self.reveal_old_id_number())

    @property
    def new_id_number_masked(self) -> str:
        return mask_id_number(self.reveal_new_id_number())

    @property
    def old_birth_summary(self) -> str:
        old = self.reveal_old_id_number()
        return birth_summary(parse_id_number(old).birth_date) if old else ""

    @property
    def new_birth_summary(self) -> str:
        new = self.reveal_new_id_number()
        return birth_summary(parse_id_number(new).birth_date) if new else ""


MEMBERSHIP_STATUSES = ("active", "left")


class Membership(TimestampMixin, db.Model):
    """A person's membership: one row per person, kept (with its history) when they transfer or leave."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint(one_of("status", MEMBERSHIP_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, unique=True)
    member_number: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="active")
    joined_on: Mapped[date] = mapped_column(Date, nullable=False)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_reason: Mapped[str | None] = mapped_column(Text)
    # Part of every card token: bumped when the member leaves, so old QR codes stop verifying.
    card_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    user = relationship("User")
    union = relationship("Union")
    events: Mapped[list[MembershipEvent]] = relationship(
        back_populates="membership", order_by="MembershipEvent.occurred_at"
    )

    @property
    def is_active(self) -> bool:
        return self.status == "active"


EVENT_LABELS = {
    "joined": _l("Joined"),
    "transferred": _l("Transferred"),
    "left": _l("Left the union"),
    "rejoined": _l("Rejoined"),
}


class MembershipEvent(db.Model):
    """The membership's own history: joined, transferred, left, rejoined."""

    __tablename__ = "membership_events"
    __table_args__ = (CheckConstraint(one_of("action", tuple(EVENT_LABELS)), name="action_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    from_union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"))
    to_union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    membership = relationship(Membership, back_populates="events")
    from_union = relationship("Union", foreign_keys=[from_union_id])
    to_union = relationship("Union", foreign_keys=[to_union_id])

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self.action])


class MemberNumberCounter(db.Model):
    """The last member number handed out per prefix (province + year); taken with one atomic UPDATE."""

    __tablename__ = "member_number_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
