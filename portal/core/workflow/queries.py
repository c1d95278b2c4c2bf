"""Finding applications: the applicant's own, a reviewer's scope, the staff queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload

from portal.core import scope
from portal.core.errors import NotFound
from portal.core.workflow.kinds import KINDS
from portal.core.workflow.models import Application
from portal.core.workflow.states import AWAITING_REVIEW, STATES
from portal.extensions import db


def load_for_applicant(public_id: str, applicant, kinds: tuple[str, ...] | None = None) -> Application:
    stmt = select(Application).where(Application.public_id == public_id, Application.applicant_id == applicant.id)
    if kinds:
        stmt = stmt.where(Application.kind.in_(kinds))
    application = db.session.scalars(stmt).first()
    if application is None:
        raise NotFound()
    return application


def applications_of(applicant, *, limit: int = 50) -> list[Application]:
    """Every application of every kind the person has made, newest first (我的办理)."""
    stmt = (
        select(Application)
        .where(Application.applicant_id == applicant.id)
        .options(joinedload(Application.union))
        .order_by(Application.created_at.desc(), Application.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


# A draft is the applicant's own until they send it: staff never see one (queue, detail, history),
# nor a draft withdrawn without ever being sent. Sent applications carry the moment they were sent.
SENT = Application.submitted_at.is_not(None)


def load_for_reviewer(public_id: str, reviewer) -> Application:
    """An application in the reviewer's scope, else 404 — never loaded first and checked after."""
    stmt = select(Application).where(Application.public_id == public_id, SENT)
    stmt = scope.scoped(stmt, reviewer, Application.union_id)
    application = db.session.scalars(stmt).first()
    if application is None:
        raise NotFound()
    return application


def load_many_for_reviewer(public_ids: list[str], reviewer) -> list[Application]:
    """The applications among ``public_ids`` that lie in the reviewer's scope (others are left out)."""
    if not public_ids:
        return []
    stmt = (
        select(Application)
        .where(Application.public_id.in_(public_ids), SENT)
        .options(joinedload(Application.applicant), joinedload(Application.union))
    )
    return list(db.session.scalars(scope.scoped(stmt, reviewer, Application.union_id)))


@dataclass
class QueueFilters:
    status: str | None = "awaiting"
    kind: str | None = None
    union_code: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    query: str = ""
    stage: str | None = None  # "<kind>:<stage>", e.g. "aid:county_approval"
    mine: bool = False  # 等我处理: awaiting a stage this reviewer may act on


def actionable_stages(reviewer) -> list[tuple[str, str]]:
    """(kind, stage) pairs whose decisions are this reviewer's: stages of their union's level (or of
    no level), never timed ones; an admin's are all. ``may_act_at`` says the same per application."""
    level = reviewer.union.level if getattr(reviewer, "union", None) is not None else None
    return [
        (kind.name, stage.name)
        for kind in KINDS.values()
        for stage in kind.stages
        if not stage.timed and (reviewer.role == "admin" or stage.level is None or stage.level == level)
    ]


def _at_stages(pairs: list[tuple[str, str]]):
    if not pairs:
        return false()
    return or_(*(and_(Application.kind == kind, Application.stage == stage) for kind, stage in pairs))


def queue(reviewer, filters: QueueFilters, page: int = 1, per_page: int = 20, *, pending: dict[str, int] | None = None):
    """Applications in the reviewer's scope, newest first, filtered.

    Shaped for 50,000 applications (docs/performance.md, bench/staff_queue.py): the page is one
    statement that picks its ids from the indexes (migration 0012) and only then reads those rows
    with their applicant and union; the total counts applications without joining anything
    (people are joined only to search by name or number). ``pending``, the reviewer's
    ``pending_counts`` when the caller has them, is the total of an unfiltered "awaiting" queue
    (or of one kind of it): no count is run then."""
    from portal.accounts.models import User
    from portal.unions.models import Union, in_subtree

    conditions = [SENT]
    if filters.status == "awaiting":
        conditions.append(Application.status.in_(AWAITING_REVIEW))
    elif filters.status in STATES:
        conditions.append(Application.status == filters.status)
    if filters.kind in KINDS:
        conditions.append(Application.kind == filters.kind)
    if filters.stage and filters.stage.partition(":")[0] in KINDS:
        kind_name, _sep, stage_name = filters.stage.partition(":")
        if KINDS[kind_name].stage(stage_name) is not None:
            conditions.append(_at_stages([(kind_name, stage_name)]))
    if filters.mine:
        conditions += [
            Application.status.in_(AWAITING_REVIEW),
            Application.applicant_id != reviewer.id,
            _at_stages(actionable_stages(reviewer)),
        ]
    if filters.union_code:
        union = db.session.scalars(select(Union).where(Union.code == filters.union_code)).first()
        if union is None:
            conditions.append(Application.id.is_(None))
        else:
            conditions.append(Application.union_id.in_(select(Union.id).where(in_subtree(Union.path, union.path))))
    if filters.date_from:
        conditions.append(Application.submitted_at >= _start_of_day(filters.date_from))
    if filters.date_to:
        conditions.append(Application.submitted_at < _start_of_day(filters.date_to + timedelta(days=1)))
    query = (filters.query or "").strip().replace("%", "").replace("_", "")

    def filtered(stmt):
        if query:
            stmt = stmt.join(User, User.id == Application.applicant_id).where(
                or_(User.name.like(f"%{query}%"), User.phone.like(f"%{query}%"))
            )
        return scope.scoped(stmt.where(*conditions), reviewer, Application.union_id)

    order = (Application.submitted_at.desc().nulls_last(), Application.id.desc())

    def items(limit: int, offset: int) -> list[Application]:
        ids = filtered(select(Application.id)).order_by(*order).limit(limit).offset(offset)
        stmt = (
            select(Application)
            .where(Application.id.in_(ids))
            .options(joinedload(Application.applicant), joinedload(Application.union))
            .order_by(*order)
        )
        return list(db.session.scalars(stmt))

    def count() -> int:
        only_awaiting = filters.status == "awaiting" and not (filters.stage or filters.mine or filters.union_code)
        if pending is not None and only_awaiting and not (filters.date_from or filters.date_to or query):
            return pending.get(filters.kind, 0) if filters.kind in KINDS else sum(pending.values())
        return db.session.scalar(filtered(select(func.count()).select_from(Application)))

    return _QueuePage(load_items=items, load_total=count, page=page, per_page=per_page, error_out=False)


class _QueuePage(Pagination):
    """``db.paginate``'s page (items, total, pages, prev/next) from the queue's own two queries."""

    def _query_items(self) -> list:
        return self._query_args["load_items"](self.per_page, self._query_offset)

    def _query_count(self) -> int:
        return self._query_args["load_total"]()


def _start_of_day(day: date) -> datetime:
    """Midnight in Asia/Shanghai, as UTC: staff pick dates in local time."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.min, tzinfo=ZoneInfo("Asia/Shanghai"))


def pending_counts(reviewer) -> dict[str, int]:
    """Applications awaiting a decision in the reviewer's scope, by kind. Grouped by status and
    kind, the order ix_applications_queue_awaiting holds them in: read from the index alone on both
    databases (grouped by kind only, SQLite walked the whole kind index instead)."""
    stmt = select(Application.kind, func.count()).where(Application.status.in_(AWAITING_REVIEW))
    stmt = scope.scoped(stmt, reviewer, Application.union_id).group_by(Application.status, Application.kind)
    counts: dict[str, int] = {}
    for kind, n in db.session.execute(stmt).all():
        counts[kind] = counts.get(kind, 0) + n
    return counts


def history_for(applicant_id: int, reviewer, *, exclude_id: int | None = None) -> list[Application]:
    """The applicant's other applications that this reviewer may see."""
    stmt = (
        select(Application)
        .where(Application.applicant_id == applicant_id, SENT)
        .order_by(Application.created_at.desc())
    )
    if exclude_id:
        stmt = stmt.where(Application.id != exclude_id)
    stmt = scope.scoped(stmt, reviewer, Application.union_id).options(joinedload(Application.union))
    return list(db.session.scalars(stmt))
