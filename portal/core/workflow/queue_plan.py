"""How SQLite is to find a page of the staff queue (review_queue): walking the newest-first index,
or collecting what the filters' indexes find and sorting it. SQLite has no statistics to choose
with; the queue knows how many applications match before it reads the page, and chooses here
(docs/performance.md, "Third round")."""

from __future__ import annotations

from time import monotonic

from sqlalchemy import func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from portal.core.workflow.models import Application
from portal.extensions import db


def walk_pays(matches: int, reach: int) -> bool:
    """Should SQLite find the page by walking the newest-first index (ix_applications_queue_order)
    and testing each application, rather than collect every match through the filters' indexes
    and sort them? SQLite has no statistics to tell; the queue knows how many match (the pills'
    counts, or the capped count) before it reads the page. Walking meets about
    ``reach × table / matches`` applications to find the first ``reach`` (fewer for what awaits
    review, which is recent); collecting sorts all ``matches``. The walk is chosen when it meets
    fewer — a province admin's first pages (3,344 awaiting of 50,000: 0.02 ms instead of 0.4–0.6),
    never a county's (262: 0.08 ms sorted, 5 ms walked at page 11). PostgreSQL plans this itself
    from its statistics: False there."""
    if matches <= 0 or db.session.get_bind().dialect.name != "sqlite":
        return False
    return reach * table_size() < matches * matches


_size = {"rows": 0, "until": 0.0}


def table_size() -> int:
    """About how many applications there are (the highest id), read at most once a minute: a
    planning figure, not a count."""
    now = monotonic()
    if now >= _size["until"]:
        _size["rows"] = db.session.scalar(select(func.max(Application.id))) or 0
        _size["until"] = now + 60
    return _size["rows"]


class Unindexed(ColumnElement):
    """A column that SQLite must not look rows up by: ``+column``, SQLite's documented way to take
    a term out of its choice of index (sqlite.org/optoverview.html, "Disqualifying WHERE clause
    terms using unary-+"), so that the walk uses the order's index. Elsewhere the column itself."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(Unindexed)
def _unindexed_anywhere(element, compiler, **kw):
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.column, **kw)
