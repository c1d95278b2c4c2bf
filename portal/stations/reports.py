"""Problem reports about stations: private between the reporter and the station's union staff.

The rules:
* a report is never shown to the public. The station page shows what staff write (the
  station's notice) and, while any report is open, only the neutral "有人反馈问题，工会正在核实";
  the reporter sees their own reports there;
* a person may send at most ``STATION_REPORTS_PER_HOUR`` and ``STATION_REPORTS_PER_DAY``
  reports (config); every sending counts, merged or not. Counted in the database from the
  audit trail, so the limit holds across processes without Redis;
* a second report from the same person on the same station within a day, while the first is
  still open, is added to the first (one open report, the texts one after the other);
* staff of the station's subtree resolve a report; the reporter gets an in-app message;
* staff see the reporter's phone masked; the full number is an explicit, audited reveal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from portal.core import audit, notify, scope
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.errors import DomainError, InvalidTransition, NotAllowed, NotFound
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, clean_prose
from portal.core.web import path_for
from portal.extensions import db
from portal.stations.models import REPORT_KIND_LABELS, REPORT_KINDS, Station, StationReport
from portal.stations.services import MAX_ID

TEXT_MAX = 500  # one sending
MERGED_TEXT_MAX = 4_000  # one report with the sendings of a day added to it
MERGE_WINDOW = timedelta(days=1)
SUBMITTED = "station_report.submitted"  # the audit action each sending writes (and the limit counts)


class TooManyReports(DomainError):
    status_code = 429
    default_message = _l("You have sent many reports in a short time. Please try again later.")


def _check_rate(user, now: datetime) -> None:
    since_day = now - timedelta(days=1)
    times = list(
        db.session.scalars(
            select(AuditEvent.occurred_at).where(
                AuditEvent.actor_id == user.id, AuditEvent.action == SUBMITTED, AuditEvent.occurred_at > since_day
            )
        )
    )
    config = current_app.config
    if sum(t > now - timedelta(hours=1) for t in times) >= config["STATION_REPORTS_PER_HOUR"]:
        raise TooManyReports(
            _l(
                "You can send at most %(num)d problem reports an hour. Please try again later.",
                num=config["STATION_REPORTS_PER_HOUR"],
            )
        )
    if len(times) >= config["STATION_REPORTS_PER_DAY"]:
        raise TooManyReports(
            _l(
                "You can send at most %(num)d problem reports a day. Please try again tomorrow.",
                num=config["STATION_REPORTS_PER_DAY"],
            )
        )


def report_problem(user, station: Station, *, kind: str, text: str | None) -> tuple[StationReport, bool]:
    """A worker tells the station's union that something is wrong there.

    Returns the report and whether the sending was added to the person's open report of the day.
    """
    now = utcnow()
    if kind not in REPORT_KINDS:
        raise InvalidInput(_l("Please choose what is wrong."), field="kind")
    text = clean_prose(text)
    if kind == "other" and not text:
        raise InvalidInput(_l("Please describe the problem."), field="text")
    if len(text) > TEXT_MAX:
        raise InvalidInput(_l("At most 500 characters."), field="text")
    _check_rate(user, now)
    report = db.session.scalars(
        select(StationReport)
        .where(
            StationReport.station_id == station.id,
            StationReport.reporter_id == user.id,
            StationReport.status == "open",
            StationReport.created_at > now - MERGE_WINDOW,
        )
        .order_by(StationReport.created_at)
    ).first()
    merged = report is not None
    if merged:
        # The kind of the first sending stays; a different kind is named in the text it adds.
        added = text if kind == report.kind else "：".join(filter(None, (str(REPORT_KIND_LABELS[kind]), text)))
        if added:
            combined = "\n\n".join(filter(None, (report.text, added)))
            if len(combined) > MERGED_TEXT_MAX:
                raise InvalidInput(
                    _l("Your report about this station is already long; the union will answer it soon."),
                    field="text",
                )
            report.text = combined
    else:
        report = StationReport(station=station, reporter_id=user.id, kind=kind, text=text)
        db.session.add(report)
    db.session.flush()
    audit.record(SUBMITTED, report, actor=user, union_id=station.union_id, note="merged" if merged else None)
    return report, merged


def has_open_reports(station: Station) -> bool:
    stmt = select(StationReport.id).where(StationReport.station_id == station.id, StationReport.status == "open")
    return db.session.scalars(stmt.limit(1)).first() is not None


def reports_of(user, station: Station, *, now: datetime | None = None) -> list[StationReport]:
    """The person's own reports on this station: the open ones and those resolved in the last 30 days."""
    if not getattr(user, "is_authenticated", False):
        return []
    since = (now or utcnow()) - timedelta(days=30)
    stmt = (
        select(StationReport)
        .where(
            StationReport.station_id == station.id,
            StationReport.reporter_id == user.id,
            (StationReport.status == "open") | (StationReport.resolved_at > since),
        )
        .order_by(StationReport.created_at.desc())
    )
    return list(db.session.scalars(stmt))


def _scoped_reports(actor):
    return scope.scoped(select(StationReport).join(StationReport.station), actor, Station.union_id)


def reports_in_scope(actor, *, status: str = "open", page: int = 1, per_page: int = 20):
    stmt = _scoped_reports(actor).options(
        joinedload(StationReport.station).joinedload(Station.union), joinedload(StationReport.reporter)
    )
    if status in ("open", "resolved"):
        stmt = stmt.where(StationReport.status == status)
    stmt = stmt.order_by(StationReport.created_at.desc(), StationReport.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def open_count_in_scope(actor) -> int:
    """How many reports wait for the actor's answer (staff home)."""
    stmt = scope.scoped(
        select(func.count(StationReport.id)).join(StationReport.station).where(StationReport.status == "open"),
        actor,
        Station.union_id,
    )
    return db.session.scalar(stmt) or 0


def open_counts(station_ids: list[int]) -> dict[int, int]:
    if not station_ids:
        return {}
    stmt = (
        select(StationReport.station_id, func.count(StationReport.id))
        .where(StationReport.station_id.in_(station_ids), StationReport.status == "open")
        .group_by(StationReport.station_id)
    )
    return dict(db.session.execute(stmt).all())


def load_in_scope(actor, report_id: int) -> StationReport:
    if not 0 < report_id <= MAX_ID:  # beyond the INTEGER column: PostgreSQL would refuse the query
        raise NotFound()
    report = db.session.scalars(_scoped_reports(actor).where(StationReport.id == report_id)).first()
    if report is None:
        raise NotFound()
    return report


def resolve_report(actor, report_id: int, note: str | None) -> StationReport:
    """Staff mark a report resolved (once: compare-and-set); the reporter is told in the message centre."""
    report = load_in_scope(actor, report_id)
    note = clean_prose(note, max_length=TEXT_MAX, field="note") or None
    result = db.session.execute(
        update(StationReport)
        .where(StationReport.id == report.id, StationReport.status == "open")
        .values(status="resolved", resolved_at=utcnow(), resolved_by_id=actor.id, resolution_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(_l("This report has already been resolved."))
    db.session.refresh(report)
    audit.record(
        "station_report.resolved",
        report,
        actor=actor,
        union_id=report.station.union_id,
        from_state="open",
        to_state="resolved",
        note=note,
    )
    notify.notify(
        report.reporter,
        "station_report.resolved_with_note" if note else "station_report.resolved",
        link=path_for("stations.detail", station_id=report.station_id) + "#my-reports",
        station=report.station.name,
        union=report.station.union.name,
        note=note or "",
    )
    return report


def reveal_reporter_phone(actor, report_id: int) -> str:
    """The reporter's full mobile number, for staff of the station's subtree; every view is logged."""
    report = load_in_scope(actor, report_id)
    if actor.id == report.reporter_id:
        raise NotAllowed()
    audit.record(
        "sensitive.phone_viewed",
        report.reporter,
        actor=actor,
        union_id=report.station.union_id,
        note=f"station report {report.id}",
    )
    return report.reporter.phone


def register_messages() -> None:
    notify.message_template(
        "station_report.resolved",
        _l("Your report has been dealt with"),
        _l("%(union)s has dealt with the problem you reported at %(station)s. Thank you."),
    )
    notify.message_template(
        "station_report.resolved_with_note",
        _l("Your report has been dealt with"),
        _l("%(union)s has dealt with the problem you reported at %(station)s: %(note)s"),
    )
