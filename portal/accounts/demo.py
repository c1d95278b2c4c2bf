"""Demo accounts: one of each kind of person who uses the portal."""

from __future__ import annotations

from portal.accounts import services
from portal.core import demo
from portal.extensions import db

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 (printed by `make run`; demo data only)

ACCOUNTS = [
    # label, phone, name, role, union code, demo ID number (fictional, valid checksum)
    ("Worker (职工)", "13800000001", "张伟", "worker", None, "230110199003151237"),
    ("Delivery rider (外卖骑手)", "13800000002", "李强", "worker", None, None),
    ("Grassroots staff (基层工会)", "13900000001", "王芳", "staff", "230110-001", None),
    ("County staff (香坊区总工会)", "13900000002", "刘洋", "staff", "230110", None),
    ("Admin (系统管理员)", "13900000009", "陈静", "admin", None, None),
]

for label, phone, name, _role, _union, _id in ACCOUNTS:
    demo.DEMO_ACCOUNTS.append({"label": label, "phone": phone, "password": DEMO_PASSWORD, "name": name})


def seed() -> None:
    for _label, phone, name, role, union_code, id_number in ACCOUNTS:
        if services.find_by_phone(phone) is not None:
            continue
        user = services.create_account(
            None, phone=phone, password=DEMO_PASSWORD, name=name, role=role, union_code=union_code
        )
        if id_number:
            services.update_profile(user, name=name, id_number=id_number)
    db.session.flush()
