"""People who use the portal: workers (default), staff bound to a union node, admins."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from portal.core import crypto
from portal.core.db import TimestampMixin, UTCDateTime, one_of
from portal.core.i18n import lazy_gettext as _l
from portal.core.masking import birth_summary, mask_id_number, mask_phone
from portal.core.validators import GENDER_LABELS
from portal.extensions import db
from portal.unions.models import Union

ROLES = ("worker", "staff", "admin")
ROLE_LABELS = {"worker": _l("Worker"), "staff": _l("Union staff"), "admin": _l("Administrator")}
GENDERS = ("male", "female")
ID_HASH_PURPOSE = "resident-id"


def _new_session_token() -> str:
    return secrets.token_urlsafe(12)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role_known"),
        CheckConstraint("role <> 'staff' OR union_id IS NOT NULL", name="staff_has_union"),
        CheckConstraint("gender IS NULL OR " + one_of("gender", GENDERS), name="gender_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="worker")
    union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"), index=True)
    # Sensitive personal information: the clear ID number is never stored.
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(8))
    large_text: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Part of the login cookie: changing it (password change) signs out every other session.
    session_token: Mapped[str] = mapped_column(String(32), nullable=False, default=_new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    union: Mapped[Union | None] = relationship()
    # Unread in-app messages, counted in the statement that loads the signed-in user
    # (``load_user``: notify.unread_count_of), for the 消息 tab's badge on every page. None when the
    # user was loaded any other way.
    unread_messages: Mapped[int | None] = query_expression()

    # --- Flask-Login ---------------------------------------------------------
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def rotate_session_token(self) -> None:
        self.session_token = _new_session_token()

    # --- Roles ---------------------------------------------------------------
    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        """Staff or admin: someone who works in the staff workspace."""
        return self.role in ("staff", "admin")

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[self.role])

    # --- Sensitive data --------------------------------------------------------
    @property
    def has_id_number(self) -> bool:
        return self.id_number_encrypted is not None

    def reveal_id_number(self) -> str | None:
        """The clear ID number. Staff views of it must go through an audited service."""
        if self.id_number_encrypted is None:
            return None
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.reveal_id_number())

    @property
    def birth_summary(self) -> str:
        """Birth year and age only: month and day next to the masked ID number would give it away."""
        return birth_summary(self.birth_date)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def gender_label(self) -> str:
        return str(GENDER_LABELS[self.gender]) if self.gender else ""
