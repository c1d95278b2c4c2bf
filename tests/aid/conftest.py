"""Hardship aid test set-up: a member of a grassroots union under 香坊区 (county_a1), the staff who
review at each stage, staff out of scope, and helpers that move an application along."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from portal.accounts.models import User
from portal.core import workflow
from portal.extensions import db
from tests.helpers import valid_id_number


def png_bytes(size=(40, 30), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(64, 48), colour=(30, 120, 200), exif=None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90, **kwargs)
    return out.getvalue()


@pytest.fixture
def members(app, tree, make_user, make_application):
    """Approved members: the applicant (张三丰) and a neighbour, both of grassroots_a1."""
    made = {}
    reviewer = make_user("staff", union=tree["grassroots_a1"], name="初审员")
    for key, name in (("applicant", "张三丰"), ("neighbour", "李四")):
        user = make_user(name=name, id_number=valid_id_number())
        application = make_application(user, tree["grassroots_a1"])
        with app.app_context():
            workflow.decide(
                db.session.get(workflow.Application, application.id), db.session.get(User, reviewer.id), "approve"
            )
            db.session.commit()
        made[key] = user
    made["grassroots"] = reviewer
    return made


@pytest.fixture
def people(ctx, tree, members, make_user):
    """Everyone, loaded in the test's own session (service-level tests)."""
    users = {
        "applicant": members["applicant"],
        "neighbour": members["neighbour"],
        "grassroots": members["grassroots"],
        "outsider": make_user(name="路人"),
        "grassroots_sibling": make_user("staff", union=tree["grassroots_a1b"]),
        "county": make_user("staff", union=tree["county_a1"], name="县审批员"),
        "county_other": make_user("staff", union=tree["county_a2"]),
        "city": make_user("staff", union=tree["city_a"]),
        "admin": make_user("admin"),
    }
    return {name: db.session.get(User, u.id) for name, u in users.items()}


def details(**changes):
    from portal.aid.services.applications import AidDetails, MemberRow

    values = dict(
        region_code="230110",
        area="urban",
        members=[
            MemberRow("self", "张三丰", 45, "serious", "外卖骑手", Decimal("1200")),
            MemberRow("spouse", "王秀英", 43, "healthy", "无业", Decimal("0")),
            MemberRow("child", "张小明", 12, "healthy", "学生", Decimal("0")),
        ],
        essential_spending=Decimal("30000"),
        medical_spending=Decimal("26000"),
        main_cause="illness",
        secondary_causes=["schooling"],
        account="今年三月确诊肾病，每周透析三次，家里只有我一个人有收入。",
        help_type="medical",
        amount_requested=Decimal("5000"),
        bank_name="中国工商银行",
        bank_account="6222 0012 3456 7890 123",
        finance_consent=True,
    )
    values.update(changes)
    return AidDetails(**values)


def add_document(application, owner, data: bytes | None = None, name="收入证明.png", purpose="document"):
    from portal.core import files

    prepared = files.prepare_upload(FileStorage(io.BytesIO(data or png_bytes()), filename=name))
    return files.record_upload(prepared, owner=owner, purpose=purpose, application=application)


@pytest.fixture
def submitted(people):
    """A submitted aid application of the applicant, at the grassroots union's first review."""
    from portal.aid.services import applications

    application = applications.save_draft(people["applicant"], details())
    add_document(application, people["applicant"])
    applications.submit(application, people["applicant"])
    db.session.commit()
    return application


def visit(application, reviewer):
    from datetime import timedelta

    from portal.aid.services import review
    from portal.core.time import local_today

    return review.record_visit(
        application,
        reviewer,
        visited_on=local_today() - timedelta(days=1),
        visitors="王芳（工会主席）、李强",
        findings="两居室，丈夫透析，孩子上初中，家中无存款。",
    )


@pytest.fixture
def at_county(submitted, people):
    from portal.aid.services import review

    visit(submitted, people["grassroots"])
    review.recommend(submitted, people["grassroots"], category="relative", amount=Decimal("3000"), note=None)
    db.session.commit()
    return submitted


@pytest.fixture
def on_notice(at_county, people):
    from portal.aid.services import review

    review.approve(at_county, people["county"], category="relative", amount=Decimal("3000"), note=None)
    db.session.commit()
    return at_county
