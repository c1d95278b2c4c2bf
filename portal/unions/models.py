"""The union tree: national → province → city → county → grassroots.

Each node keeps a materialised ``path`` of ids ("/1/4/27/"), so a subtree is one
index range scan and a staff member's scope is a single subquery.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, binary_string, one_of, utcnow
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db

LEVELS = ("national", "province", "city", "county", "grassroots")
LEVEL_LABELS = {
    "national": _l("National"),
    "province": _l("Province"),
    "city": _l("City"),
    "county": _l("County / district"),
    "grassroots": _l("Grassroots"),
}

KINDS = ("regional", "enterprise", "community_federation", "industry_federation")
KIND_LABELS = {
    "regional": _l("Regional federation of trade unions"),
    "enterprise": _l("Enterprise union"),
    "community_federation": _l("Community union federation"),
    "industry_federation": _l("Industry union federation"),
}


class Union(db.Model):
    __tablename__ = "unions"
    __scope_column__ = "id"
    __table_args__ = (
        CheckConstraint(one_of("level", LEVELS), name="level_known"),
        CheckConstraint(one_of("kind", KINDS), name="kind_known"),
        CheckConstraint("(parent_id IS NULL) = (level = 'national')", name="only_root_has_no_parent"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False, default="regional")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"), index=True)
    # "/<root id>/…/<own id>/"; set by services.create_union once the id is known.
    path: Mapped[str] = mapped_column(binary_string(255), nullable=False, index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    # For industry federations: the kinds of work they organise, comma-separated
    # employment types ("delivery_rider,courier"), so riders are offered them first.
    serves: Mapped[str | None] = mapped_column(String(120))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    parent: Mapped[Union | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Union]] = relationship(back_populates="parent", order_by="Union.code")

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Union {self.code} {self.name}>"

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this node, read from the path."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def accepts_members(self) -> bool:
        return self.level == "grassroots" and self.is_active

    def contains(self, other: Union) -> bool:
        """True when ``other`` is this node or lies below it."""
        return bool(self.path) and other.path.startswith(self.path)


def subtree_bounds(path: str) -> tuple[str, str]:
    """The half-open range [low, high) of paths in the subtree rooted at ``path``.

    Paths hold only digits and "/", and "0" sorts right after "/", so every path
    that starts with "/1/4/" lies in ["/1/4/", "/1/40").
    """
    if not path.endswith("/"):
        raise ValueError("a union path ends with '/'")
    return path, path[:-1] + "0"


def in_subtree(path_column, path: str):
    low, high = subtree_bounds(path)
    return (path_column >= low) & (path_column < high)
