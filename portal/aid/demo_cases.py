"""Demo hardship aid cases at every stage, in 香坊区 and 通河县: a draft, cases waiting for the
grassroots union and for the county union, one asked for more information, cases on public notice
(so the notice pages have entries), and case files with payments — one due for its yearly review.

Everything goes through the services (membership, aid, workflow), dated in the past where a stage
has to be over. Demo people only; their documents are small generated images."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from portal.accounts import services as accounts
from portal.accounts.demo import DEMO_PASSWORD
from portal.aid.services import applications, casefiles, review
from portal.aid.services.applications import AidDetails, MemberRow
from portal.core import files, workflow
from portal.core.db import utcnow
from portal.core.time import local_today
from portal.core.validators import id_check_digit
from portal.extensions import db


def _id(region: str, birth: str, seq: str) -> str:
    return f"{region}{birth}{seq}" + id_check_digit(f"{region}{birth}{seq}")


@dataclass(frozen=True)
class DemoCase:
    phone: str
    name: str
    id_number: str
    union_code: str
    stage: str  # draft, first_review, needs_info, county_approval, notice, case, case_due
    cause: str
    help_type: str
    amount: str
    account: str


CASES = (
    DemoCase(
        "13700000001",
        "赵秀兰",
        _id("230110", "19780512", "226"),
        "230110-001",
        "first_review",
        "illness",
        "medical",
        "6000",
        "丈夫去年确诊尿毒症，每周透析三次，自付部分每月两千多元。",
    ),
    DemoCase(
        "13700000002",
        "钱国强",
        _id("230110", "19820307", "415"),
        "230110-001",
        "county_approval",
        "accident",
        "living",
        "4000",
        "送餐途中被撞，右腿骨折，三个月不能跑单。",
    ),
    DemoCase(
        "13700000003",
        "孙丽娟",
        _id("230110", "19850919", "528"),
        "230110-001",
        "notice",
        "single_parent",
        "schooling",
        "3000",
        "独自抚养两个孩子，大女儿今年考上高中。",
    ),
    DemoCase(
        "13700000004",
        "李建华",
        _id("230110", "19751101", "617"),
        "230110-003",
        "case",
        "disability",
        "living",
        "3600",
        "工伤致残后只能做零工，妻子长期患病。",
    ),
    DemoCase(
        "13700000005",
        "周梅",
        _id("230110", "19900224", "748"),
        "230110-001",
        "needs_info",
        "illness",
        "medical",
        "5000",
        "母亲脑梗住院，医保报销后仍欠医院一万多元。",
    ),
    DemoCase(
        "13700000006",
        "吴志刚",
        _id("230128", "19800630", "831"),
        "230128-001",
        "notice",
        "disaster",
        "living",
        "5000",
        "七月暴雨冲毁了家里的房子和大棚。",
    ),
    DemoCase(
        "13700000007",
        "郑桂芝",
        _id("230128", "19720815", "912"),
        "230128-001",
        "first_review",
        "illness",
        "medical",
        "4000",
        "乳腺癌术后化疗，家里只有我一个人有收入。",
    ),
    DemoCase(
        "13700000008",
        "王德福",
        _id("230128", "19680118", "135"),
        "230128-001",
        "case_due",
        "unemployment",
        "living",
        "2400",
        "厂子停产后失业，老伴瘫痪在床。",
    ),
    DemoCase(
        "13700000009",
        "冯雪",
        _id("230110", "19950704", "356"),
        "230110-001",
        "draft",
        "schooling",
        "schooling",
        "2000",
        "弟弟上大学的学费还差一些。",
    ),
)


def _document(text: str) -> FileStorage:
    image = Image.new("RGB", (480, 340), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 468, 328), outline=(180, 40, 40), width=4)
    for i, line in enumerate(("DEMO", text)):
        draw.text((32, 40 + 40 * i), line, fill=(60, 60, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return FileStorage(out, filename=f"{text}.png", content_type="image/png")


def _member(case: DemoCase, reviewer):
    """A demo member of the case's grassroots union (applied and approved through membership)."""
    from portal.membership import services as membership

    user = accounts.register(phone=case.phone, password=DEMO_PASSWORD, name=case.name, id_number=case.id_number)
    joining = membership.apply(
        user,
        {
            "union_code": case.union_code,
            "real_name": case.name,
            "ethnicity": "01",
            "education": "junior",
            "political_status": "",
            "employment_type": "employee",
            "platform": "",
            "employer": "哈尔滨市香坊区某物流公司" if case.union_code.startswith("230110") else "通河县某农业合作社",
            "work_region_code": case.union_code.split("-")[0],
        },
        consent=True,
    )
    workflow.decide(joining, reviewer, "approve")
    return user


def _details(case: DemoCase) -> AidDetails:
    return AidDetails(
        region_code=case.union_code.split("-")[0],
        area="urban" if case.union_code.startswith("230110") else "rural",
        members=[
            MemberRow("self", case.name, 46, "healthy", "职工", Decimal("1500")),
            MemberRow("spouse", "家属", 47, "serious" if case.cause == "illness" else "healthy", "无业", Decimal("0")),
            MemberRow("child", "孩子", 15, "healthy", "学生", Decimal("0")),
        ],
        essential_spending=Decimal("26000"),
        medical_spending=Decimal("22000") if case.cause == "illness" else Decimal("0"),
        main_cause=case.cause,
        account=case.account,
        help_type=case.help_type,
        amount_requested=Decimal(case.amount),
        bank_name="中国农业银行",
        bank_account="6228480012345678" + case.phone[-3:],
        finance_consent=True,
    )


def seed() -> None:
    grassroots = accounts.find_by_phone("13900000001")  # 王芳, 香坊区快递外卖配送行业工会联合会
    county = accounts.find_by_phone("13900000002")  # 刘洋, 香坊区总工会
    admin = accounts.find_by_phone("13900000009")  # 陈静 acts for 通河县 (no demo staff there)
    if grassroots is None or county is None or admin is None:
        return
    now = utcnow()
    for case in CASES:
        if accounts.find_by_phone(case.phone) is not None:
            continue
        in_xiangfang = case.union_code == "230110-001"
        first, second = (grassroots, county) if in_xiangfang else (admin, admin)
        # A case whose notice is over started long enough ago: its file is open (and, for
        # case_due, close to its yearly review).
        start = {"case": now - timedelta(days=75), "case_due": now - timedelta(days=350)}.get(
            case.stage, now - timedelta(days=3)
        )
        member = _member(case, county if case.union_code.startswith("230110") else admin)
        application = applications.save_draft(member, _details(case))
        application.created_at = start
        for title in ("收入证明", "病历或证明"):
            files.record_upload(
                files.prepare_upload(_document(title)), owner=member, purpose="document", application=application
            )
        if case.stage == "draft":
            continue
        applications.submit(application, member, now=start)
        if case.stage == "first_review":
            continue
        if case.stage == "needs_info":
            workflow.transition(
                application,
                "request_info",
                grassroots,
                note="请补充医院出具的费用清单。",
                now=start + timedelta(hours=20),
            )
            continue
        review.record_visit(
            application,
            first,
            visited_on=local_today(start + timedelta(days=1)),
            visitors="王芳（工会主席）、李强" if in_xiangfang else "通河县总工会帮扶中心",
            findings="入户核实：住房简陋，家中主要劳动力收入不稳定，情况属实。",
            now=start + timedelta(days=1),
        )
        category = "deep" if case.stage in ("case_due",) else "relative"
        amount = Decimal(case.amount)
        review.recommend(
            application, first, category=category, amount=amount, note=None, now=start + timedelta(days=1, hours=2)
        )
        if case.stage == "county_approval":
            continue
        review.approve(application, second, category=category, amount=amount, note=None, now=start + timedelta(days=2))
    db.session.flush()
    # Notices over by now end as the jobs runner would end them; then payments on the open files.
    # The runner works in transactions of its own (one per case, claimed by compare-and-set) and
    # starts by ending the current one: what was made above must be committed first.
    db.session.commit()
    from sqlalchemy import select

    from portal.aid.models import AidApplication

    over = db.session.scalars(
        select(AidApplication.stage_due_at)
        .where(AidApplication.stage_due_at <= utcnow())
        .order_by(AidApplication.stage_due_at)
    ).all()
    for due in over:  # as the runner would have, the moment each notice ended
        workflow.run_timed_stages(due)
    for case in CASES:
        if case.stage not in ("case", "case_due"):
            continue
        user = accounts.find_by_phone(case.phone)
        for file in casefiles.cases_of_household(user):
            if file.payments:
                continue
            staff = county if case.union_code.startswith("230110") else admin
            months = 2 if case.stage == "case" else 11
            for m in range(months):
                paid_on = file.opened_on + timedelta(days=5 + 30 * m)
                if paid_on <= local_today():
                    casefiles.record_payment(
                        file,
                        staff,
                        amount=Decimal(case.amount) / 12,
                        paid_on=paid_on,
                        method="bank",
                        reference=f"ZF{paid_on:%Y%m}{case.phone[-3:]}",
                    )
    db.session.flush()
