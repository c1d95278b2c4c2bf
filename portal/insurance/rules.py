"""What a mutual medical insurance claim pays: plain functions of a plan's rules and plain numbers
(no database, no request). A plan is data (``PlanRules``: deductible, bands, annual cap, claim
window, diseases); next year's plan is new data, not new code.

Per event (a hospitalisation, a diagnosis, an accident):

    eligible amount = total cost − public insurance (统筹) − serious-illness insurance (大病)
                      − items outside the catalogue (目录外自费), never below zero
    above the deductible = eligible amount − deductible (起付线), never below zero
    payout before the cap = Σ over the bands of (the part of "above the deductible" in the band × rate)

Each band's line is rounded to the fen, half up, and the payout is the sum of the lines — so the
lines a member reads add up to what is paid. The payout is then held to what is left of the
member's annual cap for the plan year. A lump-sum plan (``benefit="lump_sum"``) pays its fixed
amount once, for a listed disease.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
BENEFITS = ("bands", "lump_sum")


def fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Band:
    """Pays ``rate`` of the amount above the deductible up to ``upto`` (None: no upper end)."""

    upto: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class PlanRules:
    benefit: str = "bands"  # "bands" (a share of the eligible amount) or "lump_sum"
    deductible: Decimal = Decimal(0)  # per event
    bands: tuple[Band, ...] = ()
    annual_cap: Decimal = Decimal(0)  # per member and plan year, across all claims
    claim_days: int = 180  # a claim within this many days of discharge (or diagnosis)
    waiting_days: int = 90  # after a first enrolment; none when renewed without a gap
    lump_sum: Decimal = Decimal(0)
    diseases: tuple[str, ...] = ()  # lump-sum plans: the listed diseases
    sex: str | None = None  # "F" or "M": who may enrol; None: anyone
    occupations: tuple[str, ...] = ()  # granted with membership for these occupations (入会赠送)
    extras: dict = field(default_factory=dict)  # plan text only (e.g. the accidental death amount)

    def __post_init__(self):
        if self.benefit not in BENEFITS:
            raise ValueError(f"unknown benefit {self.benefit!r}")
        if self.annual_cap < 0 or self.deductible < 0 or self.lump_sum < 0:
            raise ValueError("amounts are not negative")
        lows = [b.upto for b in self.bands[:-1]]
        if any(u is None for u in lows) or lows != sorted(lows) or (self.bands and self.bands[-1].upto is not None):
            raise ValueError("bands rise, and only the last one is open-ended")
        if any(not (0 <= b.rate <= 1) for b in self.bands):
            raise ValueError("a band's rate is between 0 and 1")

    @classmethod
    def from_data(cls, data: dict) -> PlanRules:
        """From a plan's stored rules (JSON: amounts as strings)."""
        money = lambda key: Decimal(str(data.get(key, 0)))  # noqa: E731
        return cls(
            benefit=data.get("benefit", "bands"),
            deductible=money("deductible"),
            bands=tuple(
                Band(None if b.get("upto") is None else Decimal(str(b["upto"])), Decimal(str(b["rate"])))
                for b in data.get("bands", ())
            ),
            annual_cap=money("annual_cap"),
            claim_days=int(data.get("claim_days", 180)),
            waiting_days=int(data.get("waiting_days", 90)),
            lump_sum=money("lump_sum"),
            diseases=tuple(data.get("diseases", ())),
            sex=data.get("sex"),
            occupations=tuple(data.get("occupations", ())),
            extras=dict(data.get("extras", {})),
        )

    def to_data(self) -> dict:
        data = {
            "benefit": self.benefit,
            "deductible": str(self.deductible),
            "bands": [{"upto": None if b.upto is None else str(b.upto), "rate": str(b.rate)} for b in self.bands],
            "annual_cap": str(self.annual_cap),
            "claim_days": self.claim_days,
            "waiting_days": self.waiting_days,
            "lump_sum": str(self.lump_sum),
            "diseases": list(self.diseases),
            "sex": self.sex,
            "occupations": list(self.occupations),
            "extras": self.extras,
        }
        return data


@dataclass(frozen=True)
class Line:
    """One step of the calculation. ``kind``: "eligible", "deductible", "band", "lump_sum", "cap"."""

    kind: str
    amount: Decimal  # the amount the step works on (the part in a band, the deductible …)
    rate: Decimal | None = None
    result: Decimal | None = None  # what it pays (a band, a lump sum) or what is left (the cap)
    low: Decimal | None = None  # a band's range
    high: Decimal | None = None


@dataclass(frozen=True)
class Estimate:
    payout: Decimal  # what is paid, held to what is left of the annual cap
    before_cap: Decimal
    capped: bool  # the cap reduced it
    left_before: Decimal  # what was left of the cap before this claim
    lines: tuple[Line, ...]
    refused: str | None = None  # lump sum: "not_listed" (the diagnosis is not a listed disease)


def eligible_amount(total: Decimal, public: Decimal, serious: Decimal, excluded: Decimal) -> Decimal:
    """What the plan works on: the cost after public and serious-illness insurance and the items
    outside the catalogue, never below zero."""
    if min(total, public, serious, excluded) < 0:
        raise ValueError("amounts are not negative")
    return fen(max(Decimal(0), total - public - serious - excluded))


def estimate(
    rules: PlanRules,
    eligible: Decimal = Decimal(0),
    paid_this_year: Decimal = Decimal(0),
    diagnosis: str | None = None,
) -> Estimate:
    """What a claim pays under ``rules``, given what the member has been paid this plan year."""
    if eligible < 0 or paid_this_year < 0:
        raise ValueError("amounts are not negative")
    eligible, paid_this_year = fen(eligible), fen(paid_this_year)
    left = max(Decimal(0), rules.annual_cap - paid_this_year)
    lines: list[Line] = []
    refused = None
    if rules.benefit == "lump_sum":
        if diagnosis in rules.diseases:
            before_cap = rules.lump_sum
            lines.append(Line("lump_sum", rules.lump_sum, result=rules.lump_sum))
        else:
            before_cap, refused = Decimal(0), "not_listed"
    else:
        lines.append(Line("eligible", eligible))
        above = max(Decimal(0), eligible - rules.deductible)
        lines.append(Line("deductible", rules.deductible, result=above))
        before_cap, low = Decimal(0), Decimal(0)
        for band in rules.bands:
            high = band.upto
            part = max(Decimal(0), (above if high is None else min(above, high)) - low)
            if part > 0 or band is rules.bands[0]:  # the first band always, to show 0 × 50 %
                paid = fen(part * band.rate)
                lines.append(Line("band", part, rate=band.rate, result=paid, low=low, high=high))
                before_cap += paid
            if high is None or above <= high:
                break
            low = high
    payout = min(before_cap, left)
    capped = payout < before_cap
    if capped:
        lines.append(Line("cap", rules.annual_cap, result=left))
    return Estimate(
        payout=fen(payout),
        before_cap=fen(before_cap),
        capped=capped,
        left_before=left,
        lines=tuple(lines),
        refused=refused,
    )


# --- When a claim may be made -----------------------------------------------------------------


def waiting_until(coverage_start: date, rules: PlanRules, *, renewed_without_gap: bool) -> date:
    """The first day an event is covered: ``waiting_days`` after a first enrolment's coverage
    starts (enrolled 2026-03-01: covered from 2026-05-30); from the start when renewed."""
    return coverage_start if renewed_without_gap else coverage_start + timedelta(days=rules.waiting_days)


def claim_refusal(
    *,
    event_start: date,
    event_end: date,
    claimed_on: date,
    coverage_start: date,
    coverage_end: date,
    covered_from: date,
    rules: PlanRules,
) -> str | None:
    """Why a claim cannot be made, or None: "before_coverage", "after_coverage" (the event starts
    outside the member's coverage), "waiting" (inside the waiting period), "late" (more than
    ``claim_days`` after discharge), "future" (an event that has not happened)."""
    if event_end < event_start or event_end > claimed_on:
        return "future"
    if event_start < coverage_start:
        return "before_coverage"
    if event_start > coverage_end:
        return "after_coverage"
    if event_start < covered_from:
        return "waiting"
    if claimed_on > event_end + timedelta(days=rules.claim_days):
        return "late"
    return None
