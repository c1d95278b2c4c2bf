"""The 低保 (minimum living) standards, as admins keep them: a row per division, urban or rural,
from a date. A change is a new row from its effective date — rows are never edited, so every
past self-check and review can be explained by the row in force then."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.aid.models import AREAS, SubsistenceStandard
from portal.core import audit
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput
from portal.extensions import db

MONTHLY_MAX = Decimal("10000")


def standards_for(region_code: str | None = None, *, limit: int = 300) -> list[SubsistenceStandard]:
    stmt = select(SubsistenceStandard).order_by(
        SubsistenceStandard.region_code, SubsistenceStandard.area, SubsistenceStandard.effective_from.desc()
    )
    if region_code:
        stmt = stmt.where(SubsistenceStandard.region_code == region_code)
    return list(db.session.scalars(stmt.limit(limit)))


def add_standard(
    admin, *, region_code: str | None, area: str | None, monthly_amount: Decimal | None, effective_from: date | None
) -> SubsistenceStandard:
    """A new standard for a division from a date (admins; audited)."""
    if not region_code:
        raise InvalidInput(_l("Please choose the county, district or city."), field="region")
    if area not in AREAS:
        raise InvalidInput(_l("Please choose urban or rural."), field="area")
    if monthly_amount is None or monthly_amount <= 0 or monthly_amount > MONTHLY_MAX:
        raise InvalidInput(
            _l("The standard is an amount per person per month, above 0 and at most ¥10,000."), field="amount"
        )
    if effective_from is None:
        raise InvalidInput(_l("Please enter the date it applies from."), field="effective_from")
    row = SubsistenceStandard(
        region_code=region_code, area=area, monthly_amount=monthly_amount, effective_from=effective_from, is_demo=False
    )
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise InvalidInput(
            _l("This place already has a standard from that date; enter the change from another date."),
            field="effective_from",
        ) from None
    audit.record(
        "aid.standard_added",
        row,
        actor=admin,
        note=f"{region_code} {area} {monthly_amount} {effective_from.isoformat()}",
    )
    return row
