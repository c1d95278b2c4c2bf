"""The county union's approval of a claim: the payout worked out again at that moment against what
is left of the annual cap, and the payment recorded.

The cap holds under concurrency: the payout is added to the enrolment's ``paid_fen`` by a guarded
update (``UPDATE … SET paid_fen = paid_fen + :pay WHERE id = :id AND paid_fen = :seen``) and worked
out again from the new total when another approval got there first — never read-then-written. A
claim that would pass the cap is reduced to what is left, and its calculation says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update

from portal.core import workflow
from portal.core.errors import Conflict, NotAllowed
from portal.core.i18n import lazy_gettext as _l
from portal.core.time import local_today
from portal.core.validators import InvalidInput, clean_line
from portal.extensions import db
from portal.insurance import rules as plan_rules
from portal.insurance.models import PAYMENT_METHODS, InsuranceClaim, InsuranceEnrolment

PAYOUT_APPROVAL = "payout_approval"


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
        seen = db.session.scalar(select(InsuranceEnrolment.paid_fen).where(InsuranceEnrolment.id == claim.enrolment_id))
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
