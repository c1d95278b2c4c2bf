"""Claims: what is refused and why (coverage, waiting period, 180 days, a claimed invoice, an
overlapping stay), the two stages, the payout worked out at approval against what is left of the
cap, and invoices released when a claim is rejected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.core import workflow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.insurance import claims, payouts
from portal.insurance.models import InsuranceEnrolment
from tests.insurance.conftest import claim_details, sent_claim

JUNE = date(2026, 6, 30)


def _approve(claim, people, *, paid_on=JUNE):
    workflow.decide(claim, people["grassroots"], "approve")
    return payouts.approve_payout(claim, people["county"], payouts.Payment(paid_on, "bank", "HX-1"))


@pytest.mark.parametrize(
    ("start", "end", "today", "why"),
    [
        (date(2026, 3, 20), date(2026, 3, 25), JUNE, "等待期"),  # covered for illness from 1 April
        (date(2025, 12, 28), date(2026, 1, 3), JUNE, "保障开始之前"),
        (date(2026, 4, 5), date(2026, 4, 10), date(2026, 10, 8), "180天"),  # 181 days after leaving
        (date(2026, 6, 28), date(2026, 7, 2), JUNE, "不能是将来"),
    ],
)
def test_a_claim_the_cover_does_not_take_is_refused_with_its_reason(people, covered, start, end, today, why):
    with pytest.raises(DomainError) as refused:
        claims.draft_claim(people["rider"], covered["rider"], claim_details(start, end), today)
    assert why in str(refused.value.message) and refused.value.field == "started_on"


def test_the_waiting_periods_last_day_and_the_day_after(people, covered):
    with pytest.raises(DomainError):
        claims.draft_claim(people["rider"], covered["rider"], claim_details(date(2026, 3, 31)), JUNE)
    assert claims.draft_claim(people["rider"], covered["rider"], claim_details(date(2026, 4, 1)), JUNE).id


def test_an_invoice_claimed_once_cannot_be_claimed_again(people, covered):
    sent_claim(people["rider"], covered["rider"], claim_details(date(2026, 5, 1), invoices=["HX0001"]), JUNE)
    second = claims.draft_claim(
        people["rider"], covered["rider"], claim_details(date(2026, 6, 1), invoices=["HX0002", "HX0001"]), JUNE
    )
    from tests.aid.conftest import add_document

    add_document(second, people["rider"])
    with pytest.raises(DomainError) as refused:
        claims.submit_claim(second, people["rider"], JUNE)
    assert "HX0001" in str(refused.value.message)


def test_an_overlapping_hospital_stay_is_refused(people, covered):
    sent_claim(people["rider"], covered["rider"], claim_details(date(2026, 5, 1), date(2026, 5, 10)), JUNE)
    overlapping = claims.draft_claim(
        people["rider"], covered["rider"], claim_details(date(2026, 5, 10), date(2026, 5, 12)), JUNE
    )
    from tests.aid.conftest import add_document

    add_document(overlapping, people["rider"])
    with pytest.raises(DomainError) as refused:
        claims.submit_claim(overlapping, people["rider"], JUNE)
    assert "重叠" in str(refused.value.message)


def test_a_rejected_claims_invoices_can_be_claimed_again(people, covered):
    first = sent_claim(people["rider"], covered["rider"], claim_details(date(2026, 5, 1), invoices=["HX0100"]), JUNE)
    workflow.decide(first, people["grassroots"], "reject", "材料不是本人的")
    again = sent_claim(people["rider"], covered["rider"], claim_details(date(2026, 5, 1), invoices=["HX0100"]), JUNE)
    assert again.status == "submitted"


def test_two_stages_then_the_payout_with_its_calculation(people, covered):
    claim = sent_claim(people["rider"], covered["rider"], claim_details(date(2026, 5, 1)), JUNE)
    assert claim.stage == "document_check" and claim.estimate == Decimal("3750.00")
    with pytest.raises(NotAllowed):  # the county does not check the documents
        payouts.approve_payout(claim, people["county"], payouts.Payment(JUNE, "bank"))
    workflow.decide(claim, people["grassroots"], "approve")
    assert claim.stage == "payout_approval"
    with pytest.raises(DomainError):  # a bare approval (bulk, a made-up request) carries no payment
        workflow.decide(claim, people["county"], "approve")
    payouts.approve_payout(claim, people["county"], payouts.Payment(JUNE, "bank", "HX-1"))
    db.session.commit()
    assert claim.status == "approved" and claim.payout == Decimal("3750.00") and not claim.capped
    assert [line.kind for line in payouts.calculation_lines(claim)] == ["eligible", "deductible", "band"]
    assert db.session.get(InsuranceEnrolment, covered["rider"].id).paid_fen == 375000


def test_a_claim_past_the_cap_is_reduced_to_what_is_left(people, covered):
    big = sent_claim(
        people["rider"],
        covered["rider"],
        claim_details(date(2026, 4, 2), total="70000", public="9000", serious="500", excluded="0"),
        JUNE,
    )  # eligible 60,500
    _approve(big, people)
    assert big.payout == Decimal("30000.00") and big.payout_before_cap == Decimal("36000.00") and big.capped
    more = sent_claim(people["rider"], covered["rider"], claim_details(date(2026, 5, 1)), JUNE)
    assert more.estimate == Decimal("0.00")
    _approve(more, people)
    assert more.payout == Decimal("0.00") and more.capped
    assert payouts.calculation_lines(more)[-1].kind == "cap"
    assert db.session.get(InsuranceEnrolment, covered["rider"].id).paid_fen == 3_000_000


def test_only_the_member_claims_on_their_own_cover(people, covered):
    with pytest.raises(NotAllowed):
        claims.draft_claim(people["woman"], covered["rider"], claim_details(date(2026, 5, 1)), JUNE)


def test_a_pending_enrolment_cannot_claim(people, covered):
    from portal.insurance import services

    plan = next(p for p in services.plans() if p.code == "FEMALE-2026")
    pending = services.enrol_self(people["woman"], plan, date(2026, 3, 1))
    with pytest.raises(NotAllowed):
        claims.draft_claim(people["woman"], pending, claim_details(date(2026, 5, 1)), JUNE)
