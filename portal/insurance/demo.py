"""Demo data for mutual medical insurance: the four demo plans (issue 9's figures)."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from portal.extensions import db
from portal.insurance.models import InsurancePlan
from portal.insurance.plans_data import DEMO_PLANS


def seed_plans() -> None:
    have = set(db.session.scalars(select(InsurancePlan.code)))
    for data in DEMO_PLANS:
        if data["code"] in have:
            continue
        values = {k: v for k, v in data.items() if k != "rules"}
        plan = InsurancePlan(**values, is_demo=True)
        plan.rules = data["rules"]
        db.session.add(plan)
    db.session.flush()


def seed_enrolments() -> None:
    """张伟 (the demo worker, a member) holds HOSP-2026 since 1 January, paid by himself and
    confirmed by 香坊区's staff."""
    from datetime import date, datetime

    from portal.accounts.models import User
    from portal.insurance.models import InsuranceEnrolment
    from portal.membership.services.common import membership_of

    worker = db.session.scalar(select(User).where(User.phone == "13800000001"))
    county = db.session.scalar(select(User).where(User.phone == "13900000002"))
    plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == "HOSP-2026"))
    membership = membership_of(worker) if worker is not None else None
    if plan is None or membership is None or county is None:
        return
    if db.session.scalar(
        select(InsuranceEnrolment.id).where(
            InsuranceEnrolment.user_id == worker.id, InsuranceEnrolment.plan_id == plan.id
        )
    ):
        return
    db.session.add(
        InsuranceEnrolment(
            user_id=worker.id,
            plan_id=plan.id,
            union_id=membership.union_id,
            status="active",
            paid_by="self",
            source="self",
            contribution=plan.contribution,
            enrolled_at=datetime(2025, 12, 10, 2, 0, tzinfo=UTC),
            enrolled_by_id=worker.id,
            confirmed_at=datetime(2025, 12, 12, 3, 0, tzinfo=UTC),
            confirmed_by_id=county.id,
            payment_reference="演示收据0001",
            coverage_start=date(2026, 1, 1),
            coverage_end=date(2026, 12, 31),
            covered_from=date(2026, 4, 1),
        )
    )
    db.session.flush()


def seed_claims() -> None:
    """Claims for staff to try, through the services (each sent on a fixed date, so the demo loads
    the same whenever it runs): 张伟's stay in May, paid; his stay in October, documents
    checked, waiting for 刘洋 (香坊区) to approve the payout; 冯军's (a rider of 230110-001), waiting
    for 王芳 (its grassroots union) to check the documents."""
    from datetime import date
    from decimal import Decimal

    from portal.accounts import services as accounts
    from portal.core import files, workflow
    from portal.insurance import claims, payouts, services
    from portal.insurance.models import InsuranceClaim, InsuranceEnrolment

    today = date(2026, 11, 20)
    worker, rider = accounts.find_by_phone("13800000001"), accounts.find_by_phone("13600000006")
    county, admin = accounts.find_by_phone("13900000002"), accounts.find_by_phone("13900000009")
    plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == "HOSP-2026"))
    if None in (worker, rider, county, admin, plan) or db.session.scalar(select(InsuranceClaim.id).limit(1)):
        return
    cover = db.session.scalar(
        select(InsuranceEnrolment).where(InsuranceEnrolment.user_id == worker.id, InsuranceEnrolment.plan_id == plan.id)
    )
    if cover is None:
        return
    rider_cover = services.enrol_self(rider, plan, date(2025, 12, 5))
    services.confirm_payment(rider_cover, county, reference="演示收据0002", today=date(2025, 12, 12))

    def claim(person, enrolment, start, end, hospital, diagnosis, amounts, invoices, sent_on):
        total, public, serious, excluded = (Decimal(a) for a in amounts)
        made = claims.draft_claim(
            person,
            enrolment,
            claims.ClaimDetails(start, end, hospital, diagnosis, total, public, serious, excluded, invoices),
            sent_on,
        )
        for name in ("住院发票.png", "出院小结.png", "结算单.png"):
            files.record_upload(_demo_image(name), owner=person, purpose="document", application=made)
        claims.submit_claim(made, person, sent_on)
        return made

    paid = claim(
        worker,
        cover,
        date(2026, 5, 10),
        date(2026, 5, 16),
        "哈尔滨医科大学附属第二医院",
        "腰椎间盘突出",
        ("20000", "9000", "2000", "1000"),
        ["HRB2026051601", "HRB2026051602"],
        date(2026, 5, 20),
    )
    workflow.decide(paid, admin, "approve")
    payouts.approve_payout(paid, county, payouts.Payment(date(2026, 6, 3), "bank", "XF-2026-0603"))
    waiting = claim(
        worker,
        cover,
        date(2026, 10, 8),
        date(2026, 10, 12),
        "哈尔滨市第一医院",
        "肺炎",
        ("12600", "7000", "0", "600"),
        ["HRB2026101201"],
        date(2026, 10, 15),
    )
    workflow.decide(waiting, admin, "approve")
    claim(
        rider,
        rider_cover,
        date(2026, 11, 2),
        date(2026, 11, 6),
        "哈尔滨市香坊区人民医院",
        "右腿骨折",
        ("15800", "8200", "0", "900"),
        ["HRB2026110601"],
        today,
    )
    db.session.flush()


def _demo_image(name: str):
    """A plain photo standing in for a scanned paper (demo data carries no real documents)."""
    import io

    from PIL import Image, ImageDraw
    from werkzeug.datastructures import FileStorage

    from portal.core import files

    image = Image.new("RGB", (600, 800), (246, 244, 236))
    draw = ImageDraw.Draw(image)
    for y in range(80, 760, 40):
        draw.line((60, y, 540, y), fill=(200, 196, 186), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return files.prepare_upload(FileStorage(out, filename=name))
