"""In-app messages (the 消息 tab). SMS or WeChat delivery can later sit behind ``notify``.

A message is stored as a template name plus parameters, not as finished text,
so each person reads it in their own language whoever triggered it. Domains
register their templates with ``message_template``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


@dataclass(frozen=True)
class MessageTemplate:
    title: object  # a lazy string with %(name)s placeholders
    body: object


_TEMPLATES: dict[str, MessageTemplate] = {}


def message_template(name: str, title, body) -> None:
    _TEMPLATES[name] = MessageTemplate(title, body)


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    template: Mapped[str] = mapped_column(String(64), nullable=False)
    params_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    link: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (db.Index("ix_messages_user_created", "user_id", "created_at"),)

    @property
    def params(self) -> dict:
        return json.loads(self.params_json or "{}")

    def _render(self, part: str) -> str:
        tpl = _TEMPLATES.get(self.template)
        if tpl is None:
            return ""
        return str(getattr(tpl, part)) % self.params

    @property
    def title(self) -> str:
        return self._render("title")

    @property
    def body(self) -> str:
        return self._render("body")


def notify(user, template: str, link: str | None = None, **params) -> Message:
    """Send ``user`` an in-app message built from a registered template."""
    if template not in _TEMPLATES:
        raise KeyError(f"unknown message template {template!r}")
    msg = Message(user_id=user.id, template=template, params_json=json.dumps(params, ensure_ascii=False), link=link)
    db.session.add(msg)
    return msg


def unread_count_of(user_id):
    """The number of unread messages of ``user_id`` (a value or a column), as an expression."""
    return select(func.count(Message.id)).where(Message.user_id == user_id, Message.read_at.is_(None)).scalar_subquery()


def unread_count(user) -> int:
    """Unread messages: counted when the signed-in user was loaded (``User.unread_messages``),
    otherwise now."""
    loaded = getattr(user, "unread_messages", None)
    if loaded is not None:
        return loaded
    return db.session.scalar(select(unread_count_of(user.id))) or 0


def messages_for(user, page: int, per_page: int = 20):
    stmt = select(Message).where(Message.user_id == user.id).order_by(Message.created_at.desc(), Message.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def mark_all_read(user) -> int:
    result = db.session.execute(
        update(Message).where(Message.user_id == user.id, Message.read_at.is_(None)).values(read_at=utcnow())
    )
    return result.rowcount
