"""Finding applications: the applicant's own, one in a reviewer's scope, a person's history.
The staff queue is ``queue``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.core import scope
from portal.core.errors import NotFound
from portal.core.workflow.models import Application
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
