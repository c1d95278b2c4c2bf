"""The demo plans (issue 9's figures, labelled as demo data wherever they are shown). A real
deployment enters its own plans; next year's plan is a new row of data like these."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.insurance.rules import Band, PlanRules

HOSPITAL_RULES = PlanRules(
    benefit="bands",
    deductible=Decimal(500),
    bands=(Band(Decimal(10_000), Decimal("0.5")), Band(Decimal(50_000), Decimal("0.6")), Band(None, Decimal("0.7"))),
    annual_cap=Decimal(30_000),
    claim_days=180,
    waiting_days=90,
)

FEMALE_DISEASES = ("乳腺癌", "宫颈癌", "卵巢癌", "子宫内膜癌")

# Occupations given the accident plan with membership (membership.choices.NEW_FORM_TYPES).
NEW_FORM_OCCUPATIONS = (
    "delivery_rider",
    "courier",
    "ride_hailing_driver",
    "truck_driver",
    "live_streamer",
    "domestic_worker",
    "other_new_form",
)

DEMO_PLANS = [
    {
        "code": "HOSP-2026",
        "family": "hospital",
        "plan_year": 2026,
        "name": "在职职工住院医疗互助保障（2026年度）",
        "name_en": "Hospitalisation mutual medical cover for employed workers (2026)",
        "contribution": Decimal(60),
        "coverage_start": date(2026, 1, 1),
        "coverage_end": date(2026, 12, 31),
        "enrol_from": date(2025, 12, 1),
        "enrol_until": date(2026, 11, 30),
        "rules": HOSPITAL_RULES,
    },
    {
        "code": "HOSP-2027",
        "family": "hospital",
        "plan_year": 2027,
        "name": "在职职工住院医疗互助保障（2027年度）",
        "name_en": "Hospitalisation mutual medical cover for employed workers (2027)",
        "contribution": Decimal(60),
        "coverage_start": date(2027, 1, 1),
        "coverage_end": date(2027, 12, 31),
        "enrol_from": date(2026, 12, 1),
        "enrol_until": date(2027, 1, 31),
        "rules": HOSPITAL_RULES,
    },
    {
        "code": "FEMALE-2026",
        "family": "female",
        "plan_year": 2026,
        "name": "女职工特殊疾病互助保障",
        "name_en": "Women workers' special illness mutual cover",
        "contribution": Decimal(30),
        "coverage_start": date(2026, 1, 1),
        "coverage_end": date(2026, 12, 31),
        "enrol_from": date(2025, 12, 1),
        "enrol_until": date(2026, 11, 30),
        "rules": PlanRules(
            benefit="lump_sum",
            lump_sum=Decimal(10_000),
            annual_cap=Decimal(10_000),
            diseases=FEMALE_DISEASES,
            sex="F",
            waiting_days=90,
            claim_days=180,
        ),
    },
    {
        "code": "NEF-ACCIDENT",
        "family": "accident",
        "plan_year": 2026,
        "name": "新就业形态劳动者意外伤害互助（入会赠送）",
        "name_en": "Accident mutual cover for new-employment-form workers (given with membership)",
        "contribution": Decimal(0),
        "coverage_start": date(2026, 1, 1),
        "coverage_end": date(2027, 12, 31),
        "enrol_from": date(2026, 1, 1),
        "enrol_until": date(2027, 12, 31),
        "given_with": "membership",
        "rules": PlanRules(
            benefit="bands",
            deductible=Decimal(100),
            bands=(Band(None, Decimal(1)),),
            annual_cap=Decimal(5_000),
            waiting_days=0,
            claim_days=180,
            occupations=NEW_FORM_OCCUPATIONS,
            extras={"death_or_disability": "20000"},
        ),
    },
]
