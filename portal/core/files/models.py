"""The row of an uploaded file. The content is elsewhere (``storage``), sealed with the row's key."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, one_of, utcnow
from portal.core.i18n import gettext as _
from portal.extensions import db

# What a file is for. A new purpose is a new migration (the CHECK constraint lists them).
PURPOSES = ("document", "visit_photo", "reply")
# What is stored (sniffed from the content, then re-encoded): HEIC arrives, JPEG is kept.
CONTENT_TYPES = ("image/jpeg", "image/png", "application/pdf")
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
NAME_MAX = 100
LABEL_MAX = 64


def _public_id() -> str:
    return secrets.token_urlsafe(16)


class StoredFile(db.Model):
    __tablename__ = "stored_files"
    __table_args__ = (
        db.CheckConstraint(one_of("purpose", PURPOSES), name="purpose_known"),
        db.CheckConstraint(one_of("content_type", CONTENT_TYPES), name="content_type_known"),
        db.CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # In URLs instead of the id: not a sequence anyone can walk.
    public_id: Mapped[str] = mapped_column(String(24), unique=True, nullable=False, default=_public_id)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)  # who uploaded it
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str | None] = mapped_column(String(LABEL_MAX))  # what the document is, as the person said
    content_type: Mapped[str] = mapped_column(String(32), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)  # of the stored (re-encoded) plaintext
    original_name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)  # for display only, never a path
    storage_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    thumbnail_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    wrapped_key: Mapped[str] = mapped_column(String(255), nullable=False)  # the data key, sealed by core.crypto
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # of the stored plaintext
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner = relationship("User")
    application = relationship("Application")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def display_name(self) -> str:
        """The label the person gave, else the file's name."""
        return self.label or self.original_name

    @property
    def download_name(self) -> str:
        """The original name with the extension of what is stored (IMG_0001.HEIC → IMG_0001.jpg)."""
        stem, dot, _ext = self.original_name.rpartition(".")
        return (stem if dot and stem else self.original_name) + EXTENSIONS[self.content_type]

    @property
    def size_text(self) -> str:
        return format_size(self.size)

    def __repr__(self) -> str:
        return f"<StoredFile {self.public_id} {self.content_type} {self.size}>"


def format_size(size: int) -> str:
    """340 KB, 2.4 MB — as people read file sizes (1 MB = 1024 KB, like phones show them)."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=max(1, round(size / 1024)))
    return _("%(size)s MB", size=f"{size / (1024 * 1024):.1f}".removesuffix(".0"))
