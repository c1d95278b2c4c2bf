"""The payout rules (insurance.rules): the plan's worked examples, and properties that hold for
any amount — never negative, never above what is left of the cap, never less for a larger bill,
and a plan year's claims together never above the cap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.insurance.plans_data import DEMO_PLANS, HOSPITAL_RULES
from portal.insurance.rules import claim_refusal, eligible_amount, estimate, waiting_until

D = Decimal
FEMALE = next(p["rules"] for p in DEMO_PLANS if p["code"] == "FEMALE-2026")
ACCIDENT = next(p["rules"] for p in DEMO_PLANS if p["code"] == "NEF-ACCIDENT")


@pytest.mark.parametrize(
    ("eligible", "paid_before", "payout", "capped"),
    [
        ("8000", "0", "3750.00", False),
        ("500", "0", "0.00", False),
        ("10500", "0", "5000.00", False),
        ("30000", "0", "16700.00", False),
        ("1234.56", "0", "367.28", False),
        ("60500", "0", "30000.00", True),  # 36,000 before the cap
        ("8000", "28000", "2000.00", True),  # what is left of the cap
        ("8000", "30000", "0.00", True),
        ("499.99", "0", "0.00", False),
        ("500.01", "0", "0.01", False),  # half up: 0.005 → 0.01
    ],
)
def test_the_hospital_plans_worked_examples(eligible, paid_before, payout, capped):
    result = estimate(HOSPITAL_RULES, D(eligible), D(paid_before))
    assert (str(result.payout), result.capped) == (payout, capped)


def test_sixty_thousand_five_hundred_is_thirty_six_thousand_before_the_cap():
    result = estimate(HOSPITAL_RULES, D("60500"))
    assert result.before_cap == D("36000.00") and result.payout == D("30000.00")
    bands = [(line.amount, line.rate, line.result) for line in result.lines if line.kind == "band"]
    assert bands == [
        (D(10000), D("0.5"), D("5000.00")),
        (D(40000), D("0.6"), D("24000.00")),
        (D("10000.00"), D("0.7"), D("7000.00")),
    ]


def test_the_lines_add_up_to_the_payout_before_the_cap():
    for amount in ("8000", "30000", "60500", "1234.56", "77777.77"):
        result = estimate(HOSPITAL_RULES, D(amount))
        assert sum(line.result for line in result.lines if line.kind == "band") == result.before_cap


def test_the_eligible_amount_takes_off_public_and_serious_illness_insurance_and_excluded_items():
    assert eligible_amount(D("20000"), D("9000"), D("2000"), D("1000")) == D("8000.00")
    assert eligible_amount(D("1000"), D("900"), D("200"), D("0")) == D("0.00")  # never below zero
    with pytest.raises(ValueError):
        eligible_amount(D("-1"), D(0), D(0), D(0))


def test_the_womens_plan_pays_its_lump_sum_once_for_a_listed_disease():
    assert estimate(FEMALE, diagnosis="乳腺癌").payout == D("10000.00")
    assert estimate(FEMALE, diagnosis="肺炎").payout == D("0.00")
    assert estimate(FEMALE, diagnosis="肺炎").refused == "not_listed"
    assert estimate(FEMALE, paid_this_year=D(10000), diagnosis="宫颈癌").payout == D("0.00")


def test_the_accident_plan_pays_everything_above_a_hundred_up_to_five_thousand_a_year():
    assert estimate(ACCIDENT, D("1100")).payout == D("1000.00")
    assert estimate(ACCIDENT, D("100")).payout == D("0.00")
    assert estimate(ACCIDENT, D("9000")).payout == D("5000.00")
    assert estimate(ACCIDENT, D("900"), D("4500")).payout == D("500.00")


money = st.decimals(min_value=0, max_value=2_000_000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(eligible=money, paid=st.decimals(min_value=0, max_value=40_000, places=2))
def test_a_payout_is_never_negative_nor_above_what_is_left(eligible, paid):
    result = estimate(HOSPITAL_RULES, eligible, paid)
    assert D(0) <= result.payout <= max(D(0), HOSPITAL_RULES.annual_cap - paid)
    assert result.payout <= result.before_cap


@settings(max_examples=300, deadline=None)
@given(a=money, b=money, paid=st.decimals(min_value=0, max_value=40_000, places=2))
def test_a_larger_bill_never_pays_less(a, b, paid):
    low, high = sorted((a, b))
    assert estimate(HOSPITAL_RULES, low, paid).payout <= estimate(HOSPITAL_RULES, high, paid).payout


@settings(max_examples=200, deadline=None)
@given(bills=st.lists(money, min_size=1, max_size=12))
def test_a_plan_years_claims_together_never_pass_the_cap(bills):
    paid = D(0)
    for bill in bills:
        paid += estimate(HOSPITAL_RULES, bill, paid).payout
    assert paid <= HOSPITAL_RULES.annual_cap


def test_the_waiting_period_and_renewal_without_a_gap():
    first = waiting_until(date(2026, 3, 1), HOSPITAL_RULES, renewed_without_gap=False)
    assert first == date(2026, 5, 30)

    def refusal(start, covered_from):
        return claim_refusal(
            event_start=start,
            event_end=start,
            claimed_on=date(2026, 6, 30),
            coverage_start=date(2026, 3, 1),
            coverage_end=date(2026, 12, 31),
            covered_from=covered_from,
            rules=HOSPITAL_RULES,
        )

    assert refusal(date(2026, 5, 29), first) == "waiting"
    assert refusal(date(2026, 5, 30), first) is None
    renewed = waiting_until(date(2026, 3, 1), HOSPITAL_RULES, renewed_without_gap=True)
    assert refusal(date(2026, 3, 1), renewed) is None


def test_a_claim_outside_the_coverage_or_after_180_days_is_refused_with_its_reason():
    def refusal(start, end, claimed):
        return claim_refusal(
            event_start=start,
            event_end=end,
            claimed_on=claimed,
            coverage_start=date(2026, 1, 1),
            coverage_end=date(2026, 12, 31),
            covered_from=date(2026, 1, 1),
            rules=HOSPITAL_RULES,
        )

    assert refusal(date(2025, 12, 30), date(2026, 1, 5), date(2026, 2, 1)) == "before_coverage"
    assert refusal(date(2027, 1, 2), date(2027, 1, 5), date(2027, 2, 1)) == "after_coverage"
    assert refusal(date(2026, 3, 1), date(2026, 3, 10), date(2026, 9, 6)) is None  # the 180th day after discharge
    assert refusal(date(2026, 3, 1), date(2026, 3, 10), date(2026, 9, 7)) == "late"
    assert refusal(date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 9)) == "future"
