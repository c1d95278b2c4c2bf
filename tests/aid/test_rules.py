"""能申请吗？ The self-check's rules, on worked examples (standard ¥800, 2×, 80 %, 30 %, 12 months)
and as properties."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.aid.rules import Household, Thresholds, assess, per_capita_monthly

T = Thresholds(standard=D("800"))


def check(size, income, essential=0, medical=0, migrant=False, months=None):
    return assess(Household(size, D(str(income)), D(str(essential)), D(str(medical)), migrant, months), T)


@pytest.mark.parametrize(
    ("size", "income", "essential", "medical", "category", "reasons", "per_capita", "insurance"),
    [
        # The example: (36,000 − 12,000) ÷ 12 ÷ 3 = 666.67 < 800.
        (3, 36000, 12000, 9000, "deep", ("deep", "relative"), "666.67", False),
        # Exactly at the standard is not below it; below twice it is.
        (1, 9600, 0, 0, "relative", ("relative",), "800.00", False),
        (1, "9599.90", 0, 0, "deep", ("deep", "relative"), "799.99", False),
        # The figure is to the fen and the lines are compared with it: 799.9991… is 800.00, not below.
        (1, "9599.99", 0, 0, "relative", ("relative",), "800.00", False),
        # Exactly at twice the standard is not below it.
        (1, 19200, 0, 0, "none", (), "1600.00", False),
        (1, "19199.90", 0, 0, "relative", ("relative",), "1599.99", False),
        # A one-person household between the lines.
        (1, 12000, 0, 0, "relative", ("relative",), "1000.00", False),
        # A ten-person household: at 10 × 800 × 12 = 96,000 left it is not deep; one yuan less it is.
        (10, 96000, 0, 0, "relative", ("relative",), "800.00", False),
        (10, 96500, 501, 0, "deep", ("deep", "relative"), "799.99", False),
        # Accident alone: spending above 80 % of a high income, per capita above twice the line.
        (2, 250000, 201000, 150000, "accident", ("accident",), "2041.67", False),
        # Exactly 80 % is not above it.
        (2, 250000, 200000, 0, "none", (), "2083.33", False),
        # Several apply: the category is the first of deep, relative, accident; every reason listed.
        (2, 20000, 18000, 18000, "deep", ("deep", "relative", "accident"), "83.33", False),
        # No category but medical costs above 30 % of income: point to mutual medical cover …
        (2, 100000, 35000, 31000, "none", (), "2708.33", True),
        # … exactly 30 % is not above it.
        (2, 100000, 35000, 30000, "none", (), "2708.33", False),
        # Nothing earned, nothing spent: below every line, and 0 > 80 % of 0 is false.
        (1, 0, 0, 0, "deep", ("deep", "relative"), "0.00", False),
        # A household that qualifies is not sent to insurance instead.
        (1, 5000, 4500, 4500, "deep", ("deep", "relative", "accident"), "41.67", False),
    ],
)
def test_worked_examples(size, income, essential, medical, category, reasons, per_capita, insurance):
    outcome = check(size, income, essential, medical)
    assert outcome.category == category
    assert outcome.reasons == reasons
    assert outcome.per_capita_monthly == D(per_capita)
    assert outcome.suggest_insurance is insurance
    assert outcome.relative_line == D("1600.00")


def test_a_migrant_worker_needs_twelve_months_in_the_job():
    assert check(1, 5000, migrant=True, months=11).unmet == ("migrant_months",)
    assert not check(1, 5000, migrant=True, months=11).eligible
    assert check(1, 5000, migrant=True, months=12).eligible
    assert check(1, 5000, migrant=False).eligible  # the rule is for migrant workers only


def test_the_multiplier_and_shares_are_settings():
    household = Household(1, D(12000), D(0))
    assert assess(household, Thresholds(standard=D(800), relative_multiplier=D("1.2"))).category == "none"
    spender = Household(1, D(100000), D(70000))
    assert assess(spender, Thresholds(standard=D(800), accident_share=D("0.6"))).category == "accident"


def test_impossible_households_are_refused():
    with pytest.raises(ValueError):
        assess(Household(0, D(1), D(0)), T)
    with pytest.raises(ValueError):
        assess(Household(1, D(1000), D(10), D(20)), T)  # medical part larger than the whole


def test_per_capita_rounds_half_up_to_the_fen():
    assert per_capita_monthly(Household(3, D(100), D(0))) == D("2.78")  # 2.777…


AMOUNT = st.decimals(min_value=0, max_value=1_000_000, places=2)
SIZE = st.integers(min_value=1, max_value=12)


@given(size=SIZE, income=AMOUNT, essential=AMOUNT, more=AMOUNT.filter(lambda d: d > 0))
def test_more_income_never_turns_none_into_a_category(size, income, essential, more):
    before = assess(Household(size, income, essential), T)
    after = assess(Household(size, income + more, essential), T)
    if before.category == "none":
        assert after.category == "none"


@given(size=SIZE, income=AMOUNT, essential=AMOUNT, more=AMOUNT.filter(lambda d: d > 0))
def test_more_essential_spending_never_turns_a_category_into_none(size, income, essential, more):
    before = assess(Household(size, income, essential), T)
    after = assess(Household(size, income, essential + more), T)
    if before.category != "none":
        assert after.category != "none"
