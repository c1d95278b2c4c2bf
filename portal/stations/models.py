"""Outdoor worker rest stations and the problems workers report about them.

Coordinates are WGS-84 (what phones' GPS gives). Map apps that draw in GCJ-02
or BD-09 get converted coordinates at the moment a link is built (core/geo.py).

Nearest-station search needs a spatial index. On SQLite it is an R*Tree virtual
table (``station_rtree``) kept in step with ``stations`` by triggers (created in
the migration; not part of the SQLAlchemy metadata). On PostgreSQL a btree on
(lat, lng) serves the same bounding-box query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, one_of, utcnow
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db

# The order is part of the stored bitmask: append new codes, never reorder.
AMENITIES = (
    "water",
    "microwave",
    "charging",
    "toilet",
    "rest",
    "aircon",
    "first_aid",
    "wifi",
    "ebike_charging",
    "books",
)
AMENITY_BITS = {code: 1 << i for i, code in enumerate(AMENITIES)}
AMENITY_LABELS = {
    "water": _l("Drinking water"),
    "microwave": _l("Microwave"),
    "charging": _l("Phone charging"),
    "toilet": _l("Toilet"),
    "rest": _l("Seats and shade"),
    "aircon": _l("Air conditioning"),
    "first_aid": _l("First aid kit"),
    "wifi": _l("Wi-Fi"),
    "ebike_charging": _l("E-bike charging"),
    "books": _l("Books"),
}

# Each amenity's symbol in the UI icon sprite (static/img/icons.svg): one cached file for every icon.
AMENITY_ICONS = {
    "water": "water",
    "microwave": "microwave",
    "charging": "plug",
    "toilet": "toilet",
    "rest": "seat",
    "aircon": "snow",
    "first_aid": "aid-kit",
    "wifi": "wifi",
    "ebike_charging": "ebike",
    "books": "book",
}


def amenity_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= AMENITY_BITS[code]
    return mask


def amenity_codes(mask: int) -> list[str]:
    return [code for code in AMENITIES if mask & AMENITY_BITS[code]]


class Station(TimestampMixin, db.Model):
    __tablename__ = "stations"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_in_range"),
        CheckConstraint("lng BETWEEN -180 AND 180", name="lng_in_range"),
        Index("ix_stations_lat_lng", "lat", "lng"),
        Index("ix_stations_name_address", "name", "address"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lng: Mapped[float] = mapped_column(Float, nullable=False)
    amenity_mask: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    open_hours: Mapped[str] = mapped_column(String(200), nullable=False, default="24h")
    phone: Mapped[str | None] = mapped_column(String(30))
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), nullable=False, index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Staff closed it for a while (repairs, a holiday): shown as 暂停开放 whatever the hours say.
    is_suspended: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # What staff tell every visitor ("暂停开放至12月5日"); the only station text the public page
    # shows that is not a fact of the station itself. Workers' reports stay private.
    public_notice: Mapped[str | None] = mapped_column(String(200))

    union = relationship("Union")

    @property
    def amenities(self) -> list[str]:
        return amenity_codes(self.amenity_mask)


REPORT_KINDS = ("closed", "no_water", "charger_broken", "other")
REPORT_KIND_LABELS = {
    "closed": _l("Closed when it should be open"),
    "no_water": _l("No drinking water"),
    "charger_broken": _l("Charger broken"),
    "other": _l("Something else"),
}
REPORT_STATUSES = ("open", "resolved")


class StationReport(db.Model):
    """A worker's report of a problem at a station; the station's union staff resolve it."""

    __tablename__ = "station_reports"
    __table_args__ = (
        CheckConstraint(one_of("kind", REPORT_KINDS), name="kind_known"),
        CheckConstraint(one_of("status", REPORT_STATUSES), name="status_known"),
        Index("ix_station_reports_station_status", "station_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), nullable=False)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    station = relationship(Station)
    reporter = relationship("User", foreign_keys=[reporter_id])

    @property
    def kind_label(self) -> str:
        return str(REPORT_KIND_LABELS[self.kind])
