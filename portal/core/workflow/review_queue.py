"""The staff review queue: every kind of application a reviewer may see, filtered, a page at a
time, with the counts of what awaits them (the pills, 等我处理).

Shaped for 50,000 applications (docs/performance.md, bench/staff_queue.py): rows as plain values
(``QueueRow``), statements built once per shape of filter and kept, counts in one pass."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, bindparam, false, func, literal, or_, select

from portal.core import scope
from portal.core.masking import mask_phone
from portal.core.workflow.kinds import KINDS
from portal.core.workflow.models import Application
from portal.core.workflow.queries import SENT
from portal.core.workflow.queue_plan import Unindexed as _Unindexed
from portal.core.workflow.queue_plan import walk_pays as _walk_pays
from portal.core.workflow.states import AWAITING_REVIEW, STATES
from portal.extensions import db


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


def _at_stages(pairs: list[tuple[str, str]], col=lambda column: column):
    if not pairs:
        return false()
    kind_col, stage_col = col(Application.kind), col(Application.stage)
    return or_(*(and_(kind_col == _const(kind), stage_col == _const(stage)) for kind, stage in pairs))


def _const(value: str):
    """A constant of the statement's shape written into its text, not sent as a parameter: a
    statement PostgreSQL has prepared is planned once for any parameters, and it plans better
    knowing that it looks for 'submitted' and 'resubmitted' (docs/performance.md)."""
    return literal(value, literal_execute=True)


def _awaiting(col=lambda column: column):
    return col(Application.status).in_(
        bindparam("awaiting", list(AWAITING_REVIEW), expanding=True, literal_execute=True)
    )


def queue(reviewer, filters: QueueFilters, page: int = 1, per_page: int = 20, *, pending: dict[str, int] | None = None):
    """Applications in the reviewer's scope, newest first, filtered.

    Shaped for 50,000 applications (docs/performance.md, bench/staff_queue.py): the page is one
    statement that picks its ids from the indexes (migration 0012) and only then reads those rows
    with their applicant and union, as plain rows (``QueueRow``); the total counts applications
    without joining anything (people are joined only to search by name or number), and no
    further than ``COUNT_CAP``. ``pending``, the reviewer's ``pending_counts`` when the caller has
    them, is the total of an unfiltered "awaiting" queue (or of one kind of it): no count is run
    then. The statements are built once per shape of filter and kept (``_QueueStatements``):
    values travel as parameters. The total is known before the page is read, and tells SQLite how
    to find it (``_walk_pays``)."""
    from portal.unions.models import Union, subtree_bounds

    scope_shape, params = scope.bound_scope(reviewer)
    status = filters.status if filters.status == "awaiting" or filters.status in STATES else None
    if status not in (None, "awaiting"):
        params["status"] = status
    kind = filters.kind if filters.kind in KINDS else None
    if kind:
        params["kind"] = kind
    stage = None
    if filters.stage and filters.stage.partition(":")[0] in KINDS:
        kind_name, _sep, stage_name = filters.stage.partition(":")
        if KINDS[kind_name].stage(stage_name) is not None:
            stage = (kind_name, stage_name)
    mine = tuple(actionable_stages(reviewer)) if filters.mine else None
    if mine is not None:
        params["me"] = reviewer.id
    union = "none"
    if filters.union_code:
        path = db.session.scalar(select(Union.path).where(Union.code == filters.union_code))
        if path is not None:
            union = "subtree"
            params["union_low"], params["union_high"] = subtree_bounds(path)
    if filters.date_from:
        params["date_from"] = _start_of_day(filters.date_from)
    if filters.date_to:
        params["date_to"] = _start_of_day(filters.date_to + timedelta(days=1))
    query = (filters.query or "").strip().replace("%", "").replace("_", "")
    if query:
        params["like"] = f"%{query}%"
    limited = bool(filters.union_code or filters.date_from or filters.date_to or query)  # the walk's no use
    narrowed = bool(stage) or limited
    shape = _QueueShape(
        scope=scope_shape,
        status=status if status in (None, "awaiting") else "one",
        kind=bool(kind),
        stage=stage,
        mine=mine,
        union=union if filters.union_code else None,
        date_from=bool(filters.date_from),
        date_to=bool(filters.date_to),
        query=bool(query),
    )
    offset = (page - 1) * per_page
    if pending is not None and status == "awaiting" and mine is None and not narrowed:
        total, exact = (pending.get(kind, 0) if kind else sum(pending.values())), True
    elif (
        isinstance(pending, PendingCounts)
        and status in ("awaiting", None)
        and mine is not None
        and not (narrowed or kind)
    ):
        total, exact = pending.mine, True
    else:
        # Counted up to ``limit`` and no further: an exact count of every status walks every row
        # in scope (1.5 ms for 49,000 on SQLite, growing with the table), for a figure nobody
        # pages through. Beyond it the page says "more than 1,000".
        limit = max(COUNT_CAP, offset + per_page)
        n = _run(_QueueStatements.of(shape).count, {**params, "limit": limit + 1}).scalar()
        total, exact = min(n, limit), n <= limit
    if not limited and _walk_pays(total, offset + per_page):
        shape = replace(shape, walk=True)
    statements = _QueueStatements.of(shape)
    items = [QueueRow(row) for row in _run(statements.rows, {**params, "limit": per_page, "offset": offset})]
    return QueuePage(items, page=page, per_page=per_page, total=total, exact=exact)


@dataclass(frozen=True)
class _QueueShape:
    """Which filters a queue request uses (not their values): one pair of statements per shape."""

    scope: str  # scope.bound_scope: "all", "subtree" or "none"
    status: str | None  # "awaiting", "one" (a given status) or None (every status)
    kind: bool
    stage: tuple[str, str] | None
    mine: tuple[tuple[str, str], ...] | None  # the stages the reviewer acts at
    union: str | None  # "subtree", "none" (an unknown union: nothing) or None
    date_from: bool
    date_to: bool
    query: bool
    walk: bool = False  # SQLite: the newest-first index, not the filters' indexes (``_walk_pays``)


@dataclass(frozen=True)
class _QueueStatements:
    """The page's rows and its capped count for one shape, with their values as parameters.

    Building the statements (SQLAlchemy expressions, the scope's subquery, the stage pairs) took
    longer than running them on a county's queue: they are made once per shape and kept."""

    rows: object
    count: object

    @classmethod
    def of(cls, shape: _QueueShape) -> _QueueStatements:
        return _kept(("queue", shape), lambda: cls._build(shape))

    @staticmethod
    def _build(shape: _QueueShape) -> _QueueStatements:
        from portal.accounts.models import User
        from portal.unions.models import Union

        # The walk (``_walk_pays``): no term SQLite could find rows by but the order's index.
        col = _Unindexed if shape.walk else (lambda column: column)
        conditions = [SENT]
        if shape.status == "awaiting":
            conditions.append(_awaiting(col))
        elif shape.status == "one":
            conditions.append(col(Application.status) == bindparam("status"))
        if shape.kind:
            conditions.append(col(Application.kind) == bindparam("kind"))
        if shape.stage:
            conditions.append(_at_stages([shape.stage], col))
        if shape.mine is not None:
            conditions += [
                _awaiting(col),
                Application.applicant_id != bindparam("me"),
                _at_stages(list(shape.mine), col),
            ]
        if shape.union == "subtree":
            in_union = select(Union.id).where(
                Union.path >= bindparam("union_low"), Union.path < bindparam("union_high")
            )
            conditions.append(Application.union_id.in_(in_union))
        elif shape.union == "none":
            conditions.append(false())
        if shape.date_from:
            conditions.append(Application.submitted_at >= bindparam("date_from", type_=Application.submitted_at.type))
        if shape.date_to:
            conditions.append(Application.submitted_at < bindparam("date_to", type_=Application.submitted_at.type))

        def filtered(stmt):
            if shape.query:
                like = bindparam("like")
                stmt = stmt.join(User, User.id == Application.applicant_id).where(
                    or_(User.name.like(like), User.phone.like(like))
                )
            return scope.scoped_bound(stmt.where(*conditions), shape.scope, col(Application.union_id))

        order = (Application.submitted_at.desc().nulls_last(), Application.id.desc())
        ids = (
            filtered(select(Application.id))
            .order_by(*order)
            .limit(bindparam("limit", type_=Integer(), literal_execute=True))
            .offset(bindparam("offset", type_=Integer(), literal_execute=True))
        )
        rows = (
            select(*QueueRow.COLUMNS, User.name, User.phone, Union.name, Union.path)
            .join(User, User.id == Application.applicant_id)
            .join(Union, Union.id == Application.union_id)
            .where(Application.id.in_(ids))
            .order_by(*order)
        )
        first = (
            filtered(select(Application.id)).limit(bindparam("limit", type_=Integer(), literal_execute=True)).subquery()
        )
        return _QueueStatements(rows=rows, count=select(func.count()).select_from(first))


class _Person:
    __slots__ = ("name", "phone_masked")

    def __init__(self, name: str, phone: str):
        self.name, self.phone_masked = name, mask_phone(phone)


class _UnionRef:
    __slots__ = ("id", "name", "path")

    def __init__(self, id_: int, name: str, path: str):
        self.id, self.name, self.path = id_, name, path


class QueueRow:
    """One line of the staff queue: the columns the list shows, as plain values.

    Reading 20 applications as ORM objects (each kind a joined-table subclass, with applicant
    and union) was most of the queue's Python time at 50,000 applications (docs/performance.md).
    The row answers what the list and ``allowed_actions`` ask of an application — with the same
    properties, taken from ``Application``, so the rules are written once; anything else needs
    the application itself (``load_for_reviewer``)."""

    COLUMNS = (
        Application.id,
        Application.public_id,
        Application.kind,
        Application.stage,
        Application.status,
        Application.submitted_at,
        Application.applicant_id,
        Application.union_id,
        Application.stage_due_at,
        Application.review_started_at,
    )
    __slots__ = tuple(c.key for c in COLUMNS) + ("applicant", "union")

    kind_spec = Application.kind_spec
    current_stage = Application.current_stage
    status_label = Application.status_label

    def __init__(self, row):
        values = tuple(row)
        for name, value in zip(self.__slots__[: len(self.COLUMNS)], values, strict=False):
            setattr(self, name, value)
        applicant_name, phone, union_name, union_path = values[len(self.COLUMNS) :]
        self.applicant = _Person(applicant_name, phone)
        self.union = _UnionRef(self.union_id, union_name, union_path)


# The queue counts this many applications at most (or to the end of the page asked for).
COUNT_CAP = 1000


class QueuePage:
    """One page of the queue: its rows, and the total — exact, or a lower bound when the
    filtered applications run past ``COUNT_CAP`` (then the number of pages is unknown: ``None``)."""

    def __init__(self, items: list, *, page: int, per_page: int, total: int, exact: bool):
        self.items, self.page, self.per_page = items, page, per_page
        self.total, self.total_exact = total, exact
        self.pages = max(1, -(-total // per_page)) if exact else None
        self.has_prev = page > 1
        self.prev_num = page - 1 if self.has_prev else None
        self.has_next = page * per_page < total or not exact
        self.next_num = page + 1 if self.has_next else None

    def __iter__(self):
        return iter(self.items)


def _start_of_day(day: date) -> datetime:
    """Midnight in Asia/Shanghai, as UTC: staff pick dates in local time."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.min, tzinfo=ZoneInfo("Asia/Shanghai"))


# Statements built once and kept, by shape (which filters, which scope, which stages): values
# travel as parameters. Shapes are few; the dict is emptied if it ever grows past 512.
_statements: dict = {}


def _kept(key, build):
    stmt = _statements.get(key)
    if stmt is None:
        if len(_statements) > 512:
            _statements.clear()
        stmt = _statements[key] = build()
    return stmt


def _run(stmt, params):
    """A kept statement of plain columns, on the session's connection (its transaction) without
    the ORM's execution layer, which has nothing to do for it: 40–60 µs a statement."""
    return db.session.connection().execute(stmt, params)


class PendingCounts(dict):
    """Applications awaiting a decision in a reviewer's scope, by kind (kinds with none left out);
    ``mine``: those waiting for this reviewer's own decision (等我处理 — at a stage they act at, and
    not their own application), as ``QueueFilters(mine=True)`` lists them."""

    mine: int = 0


def pending_counts(reviewer) -> PendingCounts:
    """``PendingCounts`` in one pass over ix_applications_queue_awaiting, each kind (and "mine")
    counted on its own (``count(*) FILTER (WHERE …)``): a ``GROUP BY`` made SQLite sort the
    awaiting rows in a temporary tree first — 1.5 ms instead of 0.64 for a province admin's 3,344
    (docs/performance.md). Built once per scope shape and set of stages, as the queue's are."""
    scope_shape, params = scope.bound_scope(reviewer)
    names, pairs = tuple(KINDS), tuple(actionable_stages(reviewer))

    def build():
        # count(*) FILTER (WHERE …): SQLite ≥ 3.30 and PostgreSQL; 20 % faster than count(CASE …)
        by_kind = [func.count().filter(Application.kind == _const(name)) for name in names]
        mine = func.count().filter(and_(_at_stages(list(pairs)), Application.applicant_id != bindparam("me")))
        stmt = select(*by_kind, mine).where(_awaiting())
        return scope.scoped_bound(stmt, scope_shape, Application.union_id)

    stmt = _kept(("pending", scope_shape, names, pairs), build)
    *by_kind, mine = _run(stmt, {**params, "me": reviewer.id}).one()
    counts = PendingCounts({name: n for name, n in zip(names, by_kind, strict=True) if n})
    counts.mine = mine
    return counts
