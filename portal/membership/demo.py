"""Demo membership data: a realistic review queue for the demo staff, and a member with a card."""

from __future__ import annotations

from portal.accounts import services as accounts
from portal.core import workflow
from portal.core.validators import id_check_digit
from portal.extensions import db
from portal.membership import services
from portal.unions import services as unions

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 (demo data only)


def _id(region: str, birth: str, seq: str) -> str:
    return f"{region}{birth}{seq}" + id_check_digit(f"{region}{birth}{seq}")


# phone, name, ID, union code, employment type, platform, employer, outcome, reviewer note
APPLICANTS = [
    (
        "13600000001",
        "赵磊",
        _id("230110", "19950412", "131"),
        "230110-001",
        "delivery_rider",
        "meituan",
        "香坊站",
        "pending",
        None,
    ),
    (
        "13600000002",
        "孙涛",
        _id("230103", "19980923", "153"),
        "230110-001",
        "delivery_rider",
        "eleme",
        "哈尔滨城南配送站",
        "pending",
        None,
    ),
    (
        "13600000003",
        "周杰",
        _id("230110", "19920117", "177"),
        "230110-001",
        "courier",
        "sf",
        "香坊营业部",
        "pending",
        None,
    ),
    (
        "13600000004",
        "吴敏",
        _id("230110", "19900605", "248"),
        "230110-002",
        "employee",
        None,
        "通天街道社区卫生服务中心",
        "pending",
        None,
    ),
    (
        "13600000005",
        "郑华",
        _id("230128", "19870228", "319"),
        "230128-001",
        "employee",
        None,
        "通河县通河镇便民服务中心",
        "pending",
        None,
    ),
    (
        "13600000006",
        "冯军",
        _id("230110", "19930808", "315"),
        "230110-001",
        "courier",
        "jd",
        "香坊京东站",
        "approved",
        None,
    ),
    (
        "13600000007",
        "陈刚",
        _id("230102", "20000101", "333"),
        "230110-001",
        "delivery_rider",
        "meituan",
        "道里站",
        "rejected",
        "您的工作区域在道里区，请向道里区的基层工会申请。",
    ),
    (
        "13600000008",
        "褚红",
        _id("230110", "19960310", "362"),
        "230110-001",
        "delivery_rider",
        "eleme",
        "",
        "needs_info",
        "请补充您所在的配送站点名称。",
    ),
]


def _apply(user, union_code, employment_type, platform, employer):
    return services.apply(
        user,
        {
            "union_code": union_code,
            "real_name": user.name,
            "ethnicity": "01",
            "education": "senior",
            "political_status": "",
            "employment_type": employment_type,
            "platform": platform or "",
            "employer": employer,
            "work_region_code": unions.get_by_code(union_code).region_code,
        },
        consent=True,
    )


def seed() -> None:
    reviewer = accounts.find_by_phone("13900000002")  # 刘洋, 香坊区总工会
    tonghe_reviewer = accounts.find_by_phone("13900000009")  # the admin decides for 通河县
    for phone, name, id_number, union_code, work, platform, employer, outcome, note in APPLICANTS:
        if accounts.find_by_phone(phone) is not None:
            continue
        user = accounts.register(phone=phone, password=DEMO_PASSWORD, name=name, id_number=id_number)
        application = _apply(user, union_code, work, platform, employer)
        decider = reviewer if union_code.startswith("230110") else tonghe_reviewer
        if outcome == "approved":
            workflow.decide(application, decider, "approve")
        elif outcome == "rejected":
            workflow.decide(application, decider, "reject", note)
        elif outcome == "needs_info":
            workflow.decide(application, decider, "request_info", note)
    # The demo worker 张伟 is a member already, so the member card can be tried at once.
    worker = accounts.find_by_phone("13800000001")
    if worker is not None and services.membership_of(worker) is None and services.open_application(worker) is None:
        application = _apply(worker, "230110-003", "employee", None, "哈尔滨松江机械制造有限公司")
        workflow.decide(application, reviewer, "approve")
    db.session.flush()
