"""Claims (理赔) as the member makes them: details checked against the cover, papers, sending
(one claim of a member at a time, invoice numbers held while the claim is open). The grassroots
check is the workflow's plain approval; the county's approval and the payout are in ``payouts``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core import workflow
from portal.core.errors import Conflict, NotAllowed, NotFound
from portal.core.i18n import fmt_date
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import local_today
from portal.core.validators import InvalidInput, clean_line
from portal.extensions import db
from portal.insurance import rules as plan_rules
from portal.insurance.models import InsuranceClaim, InsuranceClaimInvoice, InsuranceEnrolment

INVOICES_MAX = 20
_INVOICE = re.compile(r"[A-Za-z0-9-]{4,40}")
TEXT_MAX = 100
CLOSED = ("draft", "rejected", "withdrawn")  # claims that hold nothing


@dataclass
class ClaimDetails:
    started_on: date | None
    ended_on: date | None
    hospital: str = ""
    diagnosis: str = ""
    total_cost: Decimal = Decimal(0)
    public_paid: Decimal = Decimal(0)
    serious_paid: Decimal = Decimal(0)
    excluded: Decimal = Decimal(0)
    invoices: list[str] = field(default_factory=list)


def event_of(plan) -> str:
    if plan.rules.benefit == "lump_sum":
        return "diagnosis"
    return "accident" if plan.family == "accident" else "hospital"


def parse_invoices(text: str | None) -> list[str]:
    """Invoice numbers as typed: separated by spaces, commas or new lines (full-width folded)."""
    from portal.core.validators import fold_fullwidth

    return [n.upper() for n in re.split(r"[\s,，、;；]+", fold_fullwidth(text or "")) if n]


def refusal_text(code: str, enrolment: InsuranceEnrolment) -> str:
    rules = enrolment.plan.rules
    texts = {
        "before_coverage": _l(
            "It began before your cover started (%(date)s).", date=fmt_date(enrolment.coverage_start)
        ),
        "after_coverage": _l("It began after your cover ended (%(date)s).", date=fmt_date(enrolment.coverage_end)),
        "waiting": _l(
            "It began in the waiting period of a first enrolment, which ends on %(date)s.",
            date=fmt_date(enrolment.covered_from),
        ),
        "late": _l(
            "Claims must be made within %(days)d days of leaving hospital or of the diagnosis.", days=rules.claim_days
        ),
        "future": _l("The dates cannot be in the future, and leaving hospital cannot come before admission."),
    }
    return str(texts[code])


def check_details(enrolment: InsuranceEnrolment, d: ClaimDetails, today: date) -> ClaimDetails:
    """The claim's details as the plan can take them, or ``InvalidInput`` on the field at fault."""
    plan = enrolment.plan
    event = event_of(plan)
    if d.started_on is None:
        raise InvalidInput(_l("Please enter the date."), field="started_on")
    if event != "hospital":
        d.ended_on = d.started_on
    if d.ended_on is None:
        raise InvalidInput(_l("Please enter the date you left hospital."), field="ended_on")
    d.hospital = clean_line(d.hospital) or ""
    d.diagnosis = clean_line(d.diagnosis) or ""
    if not d.hospital:
        raise InvalidInput(_l("Please enter the hospital."), field="hospital")
    if len(d.hospital) > TEXT_MAX:
        raise InvalidInput(_l("At most %(max)d characters.", max=TEXT_MAX), field="hospital")
    if not d.diagnosis:
        raise InvalidInput(_l("Please enter the diagnosis."), field="diagnosis")
    if len(d.diagnosis) > TEXT_MAX:
        raise InvalidInput(_l("At most %(max)d characters.", max=TEXT_MAX), field="diagnosis")
    if plan.rules.benefit == "lump_sum" and d.diagnosis not in plan.rules.diseases:
        raise InvalidInput(
            _l("This plan pays for: %(diseases)s.", diseases="、".join(plan.rules.diseases)), field="diagnosis"
        )
    if plan.rules.benefit == "bands":
        if d.public_paid + d.serious_paid + d.excluded > d.total_cost:
            raise InvalidInput(
                _l("What insurance paid and the excluded items cannot add up to more than the total cost."),
                field="total_cost",
            )
        if not d.invoices:
            raise InvalidInput(_l("Please enter the invoice numbers."), field="invoices")
    if len(d.invoices) > INVOICES_MAX:
        raise InvalidInput(_l("At most %(num)d invoices on one claim.", num=INVOICES_MAX), field="invoices")
    for number in d.invoices:
        if not _INVOICE.fullmatch(number):
            raise InvalidInput(
                _l("“%(number)s” is not an invoice number (4 to 40 letters, digits or dashes).", number=number),
                field="invoices",
            )
    if len(set(d.invoices)) != len(d.invoices):
        raise InvalidInput(_l("An invoice number is entered twice."), field="invoices")
    why = plan_rules.claim_refusal(
        event_start=d.started_on,
        event_end=d.ended_on,
        claimed_on=today,
        coverage_start=enrolment.coverage_start,
        coverage_end=enrolment.coverage_end,
        covered_from=enrolment.covered_from or enrolment.coverage_start,
        rules=plan.rules,
    )
    if why is not None:
        raise InvalidInput(refusal_text(why, enrolment), field="started_on")
    return d


def claims_of(member, limit: int = 50) -> list[InsuranceClaim]:
    """The member's claims, newest first (drafts too: they are theirs)."""
    stmt = (
        select(InsuranceClaim)
        .where(InsuranceClaim.applicant_id == member.id)
        .order_by(InsuranceClaim.created_at.desc(), InsuranceClaim.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def enrolment_for_claim(member, public_id: str | None) -> InsuranceEnrolment:
    enrolment = db.session.scalar(
        select(InsuranceEnrolment).where(
            InsuranceEnrolment.public_id == (public_id or ""), InsuranceEnrolment.user_id == member.id
        )
    )
    if enrolment is None:
        raise NotFound()
    if enrolment.status != "active":
        raise NotAllowed(_l("You can claim once your cover has started."))
    return enrolment


def _apply(claim: InsuranceClaim, d: ClaimDetails) -> None:
    claim.started_on, claim.ended_on = d.started_on, d.ended_on
    claim.hospital, claim.diagnosis = d.hospital, d.diagnosis
    claim.total_cost, claim.public_paid = d.total_cost, d.public_paid
    claim.serious_paid, claim.excluded = d.serious_paid, d.excluded
    claim.eligible_amount = plan_rules.eligible_amount(d.total_cost, d.public_paid, d.serious_paid, d.excluded)
    have = {i.number: i for i in claim.invoices}
    claim.invoices = [have.get(n) or InsuranceClaimInvoice(number=n) for n in d.invoices]


def draft_claim(member, enrolment: InsuranceEnrolment, d: ClaimDetails, today: date | None = None) -> InsuranceClaim:
    if enrolment.user_id != member.id or enrolment.status != "active":
        raise NotAllowed(_l("You can claim once your cover has started."))
    check_details(enrolment, d, today or local_today())
    claim = InsuranceClaim(
        enrolment_id=enrolment.id, union_id=enrolment.union_id, event=event_of(enrolment.plan), started_on=d.started_on
    )
    claim.enrolment = enrolment
    _apply(claim, d)
    return workflow.save_draft(claim, member)


def editable(claim: InsuranceClaim) -> bool:
    return claim.status in ("draft", "needs_info")


def add_documents(claim: InsuranceClaim, member, prepared) -> None:
    """Record prepared uploads as the claim's papers (``files.record_upload`` keeps to the limit)."""
    from portal.core import files

    if claim.applicant_id != member.id or not editable(claim):
        raise NotAllowed(_l("Documents can be added while the claim is a draft or more information is asked for."))
    for item in prepared:
        files.record_upload(item, owner=member, purpose="document", application=claim)


def _lock_enrolment(enrolment_id: int) -> None:
    """Take the member's enrolment row for the rest of the transaction (PostgreSQL: its row lock;
    SQLite: the write lock), so that two claims sent at once are checked one after the other."""
    db.session.execute(
        update(InsuranceEnrolment)
        .where(InsuranceEnrolment.id == enrolment_id)
        .values(version=InsuranceEnrolment.version + 1)
        .execution_options(synchronize_session=False)
    )


def _overlapping(claim: InsuranceClaim) -> InsuranceClaim | None:
    stmt = select(InsuranceClaim).where(
        InsuranceClaim.enrolment_id == claim.enrolment_id,
        InsuranceClaim.id != claim.id,
        InsuranceClaim.status.not_in(CLOSED),
        InsuranceClaim.started_on <= claim.ended_on,
        InsuranceClaim.ended_on >= claim.started_on,
    )
    return db.session.scalars(stmt.limit(1)).first()


def _hold_invoices(claim: InsuranceClaim) -> None:
    """Hold the claim's invoice numbers (unique): refused, naming the number, if another claim holds one."""
    numbers = claim.invoice_numbers
    if numbers:
        taken = db.session.scalar(
            select(InsuranceClaimInvoice.held).where(
                InsuranceClaimInvoice.held.in_(numbers), InsuranceClaimInvoice.claim_id != claim.id
            )
        )
        if taken:
            raise Conflict(_l("Invoice %(number)s has already been claimed.", number=taken))
    for invoice in claim.invoices:
        invoice.held = invoice.number
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # claimed by another claim sent at the same moment
        raise Conflict(_l("One of these invoices has just been claimed on another claim.")) from None


def release_invoices(claim: InsuranceClaim, state: str, actor) -> None:
    """``ApplicationKind.on_close``: a rejected or withdrawn claim's invoices may be claimed again."""
    for invoice in claim.invoices:
        invoice.held = None
    db.session.flush()


def submit_claim(claim: InsuranceClaim, member, today: date | None = None, now: datetime | None = None):
    """Send a draft: checked again (dates against today, overlap, invoices), one claim of a member
    at a time; needs at least one document."""
    from portal.core import files

    if claim.applicant_id != member.id or claim.status != "draft":
        raise NotAllowed(_l("This claim can no longer be sent."))
    _lock_enrolment(claim.enrolment_id)
    today = today or local_today()
    check_details(claim.enrolment, _details_of(claim), today)
    if not files.files_of(claim, purpose="document"):
        raise InvalidInput(_l("Please add photos of the invoices and the hospital's papers first."))
    other = _overlapping(claim)
    if other is not None:
        raise Conflict(
            _l(
                "This overlaps a claim already made for %(start)s to %(end)s.",
                start=fmt_date(other.started_on),
                end=fmt_date(other.ended_on),
            )
        )
    _hold_invoices(claim)
    paid = claim.enrolment.paid_this_year
    claim.estimate = plan_rules.estimate(
        claim.plan.rules, claim.eligible_amount, paid, diagnosis=claim.diagnosis or None
    ).payout
    return workflow.submit(claim, member, now=now)


def _details_of(claim: InsuranceClaim) -> ClaimDetails:
    return ClaimDetails(
        started_on=claim.started_on,
        ended_on=claim.ended_on,
        hospital=claim.hospital,
        diagnosis=claim.diagnosis,
        total_cost=claim.total_cost,
        public_paid=claim.public_paid,
        serious_paid=claim.serious_paid,
        excluded=claim.excluded,
        invoices=claim.invoice_numbers,
    )
