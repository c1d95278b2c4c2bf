"""Claims (理赔): a member claims under a plan they hold; the grassroots union checks the documents;
the county union approves the payout, worked out again then against what is left of the annual cap,
and records the payment.

The cap holds under concurrency: the payout is added to the enrolment's ``paid_fen`` by a guarded
update (``UPDATE … SET paid_fen = paid_fen + :pay WHERE id = :id AND paid_fen = :seen``) and worked
out again from the new total when another approval got there first — never read-then-written. A
claim that would pass the cap is reduced to what is left, and its calculation says so.
"""

from __future__ import annotations

import json
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
from portal.insurance.models import (
    PAYMENT_METHODS,
    InsuranceClaim,
    InsuranceClaimInvoice,
    InsuranceEnrolment,
)

DOCUMENT_CHECK, PAYOUT_APPROVAL = "document_check", "payout_approval"
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
        "before_coverage": _l("It began before your cover started (%(date)s).", date=fmt_date(enrolment.coverage_start)),
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


def claimable_enrolments(member) -> list[InsuranceEnrolment]:
    stmt = select(InsuranceEnrolment).where(
        InsuranceEnrolment.user_id == member.id, InsuranceEnrolment.status == "active"
    )
    return list(db.session.scalars(stmt.order_by(InsuranceEnrolment.coverage_start.desc())))


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


def update_claim(claim: InsuranceClaim, member, d: ClaimDetails, today: date | None = None) -> InsuranceClaim:
    if claim.applicant_id != member.id or not editable(claim):
        raise NotAllowed(_l("This claim can no longer be changed."))
    check_details(claim.enrolment, d, today or local_today())
    _apply(claim, d)
    if claim.status == "needs_info":
        _hold_invoices(claim)
    db.session.flush()
    return claim


def add_documents(claim: InsuranceClaim, member, prepared) -> None:
    from portal.core import files

    if claim.applicant_id != member.id or not editable(claim):
        raise NotAllowed(_l("Documents can be added while the claim is a draft or more information is asked for."))
    if files.count_files(claim, "document") + len(prepared) > files_limit():
        raise InvalidInput(_l("Too many files on one claim."))
    for item in prepared:
        files.record_upload(item, owner=member, purpose="document", application=claim)


def files_limit() -> int:
    from flask import current_app

    return int(current_app.config["UPLOAD_MAX_FILES"])


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


# --- The county union's approval -------------------------------------------------------------------


@dataclass
class Payment:
    paid_on: date | None
    method: str | None
    reference: str = ""


def guard(claim: InsuranceClaim, action: str, actor) -> None:
    """The workflow's hook: approving the payout must come with the payment (``approve_payout``)."""
    if action == "approve" and claim.stage == PAYOUT_APPROVAL and getattr(claim, "_payment", None) is None:
        raise InvalidInput(_l("Approve the payout with the payment's details on the claim's page."))


def check_payment(payment: Payment, today: date) -> Payment:
    if payment.paid_on is None:
        raise InvalidInput(_l("Please enter the date of payment."), field="paid_on")
    if payment.paid_on > today:
        raise InvalidInput(_l("The payment cannot be in the future."), field="paid_on")
    if payment.method not in PAYMENT_METHODS:
        raise InvalidInput(_l("Please choose how it was paid."), field="method")
    payment.reference = (clean_line(payment.reference) or "")[:64]
    return payment


def approve_payout(claim: InsuranceClaim, reviewer, payment: Payment, *, now: datetime | None = None):
    """The county union approves: the payout is worked out now, against what is left of the cap,
    added to the member's year total by a guarded update, and the payment recorded."""
    if claim.stage != PAYOUT_APPROVAL or "approve" not in workflow.allowed_actions(claim, reviewer):
        raise NotAllowed()
    claim._payment = check_payment(payment, local_today())
    try:
        return workflow.decide(claim, reviewer, "approve", now=now)
    finally:
        claim._payment = None


def pay_out(claim: InsuranceClaim, reviewer) -> None:
    """``ApplicationKind.on_approve``: work out the payout against the year total and add it to the
    total with compare-and-set, again from the new total when another approval got there first."""
    rules = claim.plan.rules
    for _attempt in range(50):
        seen = db.session.scalar(
            select(InsuranceEnrolment.paid_fen)
            .where(InsuranceEnrolment.id == claim.enrolment_id)
        )
        result = plan_rules.estimate(
            rules, claim.eligible_amount, Decimal(seen) / 100, diagnosis=claim.diagnosis or None
        )
        pay_fen = int(result.payout * 100)
        moved = db.session.execute(
            update(InsuranceEnrolment)
            .where(InsuranceEnrolment.id == claim.enrolment_id, InsuranceEnrolment.paid_fen == seen)
            .values(paid_fen=InsuranceEnrolment.paid_fen + pay_fen)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            break
    else:  # pragma: no cover - fifty approvals of one member's claims within one moment
        raise Conflict(_l("Too many payouts for this member at once. Please try again."))
    db.session.expire(claim.enrolment, ["paid_fen"])
    payment = claim._payment
    claim.payout, claim.payout_before_cap = result.payout, result.before_cap
    claim.calculation_json = json.dumps([_line_data(line) for line in result.lines], ensure_ascii=False)
    claim.paid_on, claim.payment_method, claim.payment_reference = payment.paid_on, payment.method, payment.reference
    db.session.flush()


def _line_data(line: plan_rules.Line) -> dict:
    def text(value):
        return None if value is None else str(value)

    return {
        "kind": line.kind,
        "amount": text(line.amount),
        "rate": text(line.rate),
        "result": text(line.result),
        "low": text(line.low),
        "high": text(line.high),
    }


def calculation_lines(claim: InsuranceClaim) -> list[plan_rules.Line]:
    def dec(value):
        return None if value is None else Decimal(value)

    return [
        plan_rules.Line(
            kind=d["kind"],
            amount=Decimal(d["amount"]),
            rate=dec(d["rate"]),
            result=dec(d["result"]),
            low=dec(d["low"]),
            high=dec(d["high"]),
        )
        for d in claim.calculation
    ]
