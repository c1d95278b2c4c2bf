"""Hardship aid's tables. The 低保 (minimum living) standard of each county-level division."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, one_of, utcnow
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db

AREAS = ("urban", "rural")
AREA_LABELS = {"urban": _l("Urban"), "rural": _l("Rural")}


class SubsistenceStandard(db.Model):
    """A division's 低保 standard (yuan per person per month) for urban or rural households, from a date.

    Admins add a row when the standard changes; the row in force on a day is the latest that began
    on or before it."""

    __tablename__ = "aid_subsistence_standards"
    __table_args__ = (
        db.CheckConstraint(one_of("area", AREAS), name="area_known"),
        db.CheckConstraint("monthly_amount > 0", name="amount_positive"),
        db.UniqueConstraint("region_code", "area", "effective_from", name="uq_aid_standard_region_area_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    area: Mapped[str] = mapped_column(String(8), nullable=False)
    monthly_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
