"""The review of an aid application, stage by stage.

* 基层工会初审 (``first_review``, grassroots staff): check the documents, record the 入户走访 home
  visit, then recommend a category and amount (which passes the case on), ask for more information,
  or reject.
* 县级工会审批 (``county_approval``, county-level staff): approve a category and amount — changing
  the recommended figures needs a note — send back to the grassroots union, or reject.
* 公示 (``notice``): timed; see ``notices``.

Approving at the first two stages carries figures, so it goes through ``recommend`` / ``approve``
here: the kind's ``guard`` refuses a bare "approve" (a bulk approval, a hand-made request) there.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from portal.aid.choices import AMOUNT_MAX, CATEGORIES
from portal.aid.models import AidApplication, AidHomeVisit
from portal.core import workflow
from portal.core.errors import NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import local_today
from portal.core.validators import InvalidInput, clean_line, clean_prose
from portal.extensions import db

FIRST_REVIEW, COUNTY_APPROVAL, NOTICE = "first_review", "county_approval", "notice"
FINDINGS_MAX = 2000
VISIT_PAST_DAYS = 366  # a visit recorded now happened within the last year


def guard(application: AidApplication, action: str, actor) -> None:
    """The workflow's hook: an approval at a stage that carries figures must come with them."""
    if action != "approve" or application.stage not in (FIRST_REVIEW, COUNTY_APPROVAL):
        return
    if not getattr(application, "_figures_given", False):
        if application.stage == FIRST_REVIEW:
            raise InvalidInput(_l("Record the home visit, then recommend a category and an amount to pass it on."))
        raise InvalidInput(_l("Approve with a category and an amount on the case's page."))


def _check_stage(application: AidApplication, reviewer, stage: str) -> None:
    if application.stage != stage or "approve" not in workflow.allowed_actions(application, reviewer):
        raise NotAllowed()


def _check_figures(category: str | None, amount: Decimal | None) -> None:
    if category not in CATEGORIES:
        raise InvalidInput(_l("Please choose the category of hardship."), field="category")
    if amount is None or amount <= 0:
        raise InvalidInput(_l("Please enter the amount."), field="amount")
    if amount > AMOUNT_MAX:
        raise InvalidInput(_l("The amount can be at most ¥100,000."), field="amount")


def _approve_with_figures(
    application: AidApplication, reviewer, note: str | None, now: datetime | None = None
) -> AidApplication:
    application._figures_given = True  # for ``guard``, during this one approval only
    try:
        return workflow.decide(application, reviewer, "approve", note, now=now)
    finally:
        application._figures_given = False


def may_record_visit(application: AidApplication, reviewer) -> bool:
    return application.stage == FIRST_REVIEW and "approve" in workflow.allowed_actions(application, reviewer)


def check_visit(
    visited_on: date | None, visitors: str | None, findings: str | None, *, today: date | None = None
) -> tuple[date, str, str]:
    today = today or local_today()
    if visited_on is None:
        raise InvalidInput(_l("Please enter the date of the visit."), field="visited_on")
    if visited_on > today:
        raise InvalidInput(_l("The visit cannot be in the future."), field="visited_on")
    if (today - visited_on).days > VISIT_PAST_DAYS:
        raise InvalidInput(_l("The visit must be within the last year."), field="visited_on")
    visitors = clean_line(visitors, max_length=100, field="visitors")
    if not visitors:
        raise InvalidInput(_l("Please say who went."), field="visitors")
    findings = clean_prose(findings, max_length=FINDINGS_MAX, field="findings")
    if not findings:
        raise InvalidInput(_l("Please write down what you found."), field="findings")
    return visited_on, visitors, findings


def record_visit(
    application: AidApplication,
    reviewer,
    *,
    visited_on: date | None,
    visitors: str | None,
    findings: str | None,
    now: datetime | None = None,
) -> AidHomeVisit:
    """入户走访: grassroots staff record a visit to the household during the first review."""
    if not may_record_visit(application, reviewer):
        raise NotAllowed()
    visited_on, visitors, findings = check_visit(visited_on, visitors, findings, today=local_today(now))
    visit = AidHomeVisit(
        application_id=application.id,
        visited_on=visited_on,
        visitors=visitors,
        findings=findings,
        recorded_by_id=reviewer.id,
    )
    db.session.add(visit)
    db.session.flush()
    from portal.core import audit

    audit.record(
        "aid.visit_recorded", application, actor=reviewer, union_id=application.union_id, note=visitors, occurred_at=now
    )
    db.session.expire(application, ["visits"])
    return visit


def recommend(
    application: AidApplication,
    reviewer,
    *,
    category: str | None,
    amount: Decimal | None,
    note: str | None,
    now: datetime | None = None,
) -> AidApplication:
    """The grassroots union recommends a category and amount and passes the case to the county union.
    A home visit must be on record first."""
    _check_stage(application, reviewer, FIRST_REVIEW)
    if not application.visits:
        raise InvalidInput(_l("Record the home visit before recommending."), field="category")
    _check_figures(category, amount)
    note = workflow.decision_note("approve", note)
    application.recommended_category, application.recommended_amount = category, amount
    application.recommendation_note = note
    return _approve_with_figures(application, reviewer, note, now)


def approve(
    application: AidApplication,
    reviewer,
    *,
    category: str | None,
    amount: Decimal | None,
    note: str | None,
    now: datetime | None = None,
) -> AidApplication:
    """The county-level union approves a category and amount; the case goes on public notice.
    Figures other than the grassroots union's recommendation need a note saying why."""
    _check_stage(application, reviewer, COUNTY_APPROVAL)
    _check_figures(category, amount)
    note = workflow.decision_note("approve", note)
    changed = category != application.recommended_category or amount != application.recommended_amount
    if changed and not note:
        raise InvalidInput(
            _l("You changed the recommended category or amount: please write a note saying why."), field="note"
        )
    application.approved_category, application.approved_amount = category, amount
    application.approval_note = note
    return _approve_with_figures(application, reviewer, note, now)
