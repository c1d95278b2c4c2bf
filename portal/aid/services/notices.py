"""公示: approved cases on the county's public notice page, and objections to them.

A case is on notice while it sits at the ``notice`` stage with its period not yet over
(``stage_due_at``, counted in working days by ``core.time``). The page shows the masked name (张*),
the union, the category and the amount — nothing else about the household. Anyone signed in may
object during the period; the objector's identity goes to the audit trail for staff, never to the
page, and the case returns to the county union's review (``core.workflow.object_to``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.aid.choices import CATEGORY_LABELS
from portal.aid.models import AidApplication
from portal.aid.services.review import NOTICE
from portal.core import workflow
from portal.core.db import utcnow
from portal.core.errors import NotFound
from portal.extensions import db
from portal.unions.models import Union, in_subtree


def masked_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name and one star per other character."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else "*"


@dataclass(frozen=True)
class NoticeEntry:
    public_id: str
    name: str
    union: str
    category: str
    amount: Decimal
    ends_at: datetime
    last_day: date  # the notice runs to the end of this day (Asia/Shanghai)


def county_for(code: str) -> Union | None:
    """A county-level union by its code (the notice pages are per county)."""
    union = db.session.scalars(select(Union).where(Union.code == code)).first()
    return union if union is not None and union.level == "county" else None


def _on_notice(county: Union, now: datetime):
    return (
        select(AidApplication)
        .join(Union, Union.id == AidApplication.union_id)
        .where(
            AidApplication.stage == NOTICE,
            AidApplication.status.in_(workflow.AWAITING_REVIEW),
            AidApplication.stage_due_at > now,
            in_subtree(Union.path, county.path),
        )
    )


def notices(county: Union, *, now: datetime | None = None) -> list[NoticeEntry]:
    """The cases on notice in the county now, the soonest to end first."""
    stmt = (
        _on_notice(county, now or utcnow())
        .options(joinedload(AidApplication.applicant), joinedload(AidApplication.union))
        .order_by(AidApplication.stage_due_at, AidApplication.id)
    )
    return [
        NoticeEntry(
            public_id=a.public_id,
            name=masked_name(a.applicant.name),
            union=a.union.name,
            category=str(CATEGORY_LABELS[a.approved_category]),
            amount=a.approved_amount,
            ends_at=a.stage_due_at,
            last_day=a.notice_last_day,
        )
        for a in db.session.scalars(stmt).unique()
    ]


def load_on_notice(county: Union, public_id: str, *, now: datetime | None = None) -> AidApplication:
    application = db.session.scalars(
        _on_notice(county, now or utcnow()).where(AidApplication.public_id == public_id)
    ).first()
    if application is None:
        raise NotFound()
    return application


def object_to(county: Union, public_id: str, person, reason: str | None) -> AidApplication:
    """Someone signed in objects to a case on the county's notice: back to county review."""
    application = load_on_notice(county, public_id)
    return workflow.object_to(application, person, reason)


def counties_with_notices(*, now: datetime | None = None) -> list[tuple[Union, int]]:
    """Counties with cases on notice now, and how many (the notice board's index)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Union.path)
        .join(AidApplication, AidApplication.union_id == Union.id)
        .where(
            AidApplication.stage == NOTICE,
            AidApplication.status.in_(workflow.AWAITING_REVIEW),
            AidApplication.stage_due_at > now,
        )
    ).all()
    counts: dict[int, int] = {}
    counties = db.session.scalars(select(Union).where(Union.level == "county").order_by(Union.code)).all()
    for (path,) in rows:
        for county in counties:
            if path.startswith(county.path):
                counts[county.id] = counts.get(county.id, 0) + 1
                break
    return [(c, counts[c.id]) for c in counties if c.id in counts]
