"""Every hardship aid route that reaches a case, asked by every kind of person, at every stage.

Personas: anonymous, the applicant, another member (neighbour), grassroots staff of the
applicant's union and of a sibling union, county staff of the applicant's county and of another,
and an admin. Stages: draft, first review (a visit recorded), more information asked, county
approval, public notice, and an open case file.

An allowed person reaches the route (2xx/3xx, or 422 for a form refusal); everyone else gets
the sign-in redirect, 403 or 404 — and nothing changes: the application's version, its audit
trail and the case file stay as they were."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.aid.models import AidApplication, AidCaseFile, AidPayment
from portal.aid.services import applications, casefiles, review
from portal.core import workflow
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.files import StoredFile
from portal.core.time import local_today
from portal.extensions import db
from tests.aid.conftest import add_document, details, png_bytes, visit
from tests.helpers import csrf_token, login_as

PERSONAS = (
    "anonymous",
    "applicant",
    "neighbour",
    "grassroots",
    "grassroots_sibling",
    "county",
    "county_other",
    "admin",
)
STAGES = ("draft", "first_review", "needs_info", "county_approval", "notice", "case")
IN_SCOPE_STAFF = {"grassroots", "county", "admin"}
WORKERS = {"applicant", "neighbour"}


@dataclass
class Made:
    application: AidApplication
    document: str
    case: str | None


@pytest.fixture
def new_member(app, tree, make_user, make_application, people):
    """A fresh member of grassroots_a1 for each case (one open aid application per person)."""
    from tests.helpers import valid_id_number

    names = iter("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜")

    def make() -> User:
        user = make_user(name=next(names) + "某", id_number=valid_id_number())
        joining = make_application(user, tree["grassroots_a1"])
        workflow.decide(db.session.get(workflow.Application, joining.id), people["grassroots"], "approve")
        db.session.commit()
        return db.session.get(User, user.id)

    return make


def _make(people, stage: str, applicant) -> Made:
    people["applicant"] = applicant
    first, county = people["grassroots"], people["county"]
    application = applications.save_draft(applicant, details())
    document = add_document(application, applicant)
    if stage != "draft":
        applications.submit(application, applicant)
    if stage == "needs_info":
        workflow.decide(application, first, "request_info", "请补充收入证明。")
    if stage in ("first_review", "county_approval", "notice", "case"):
        visit(application, first)
    if stage in ("county_approval", "notice", "case"):
        review.recommend(application, first, category="relative", amount=Decimal("3000"), note=None)
    if stage == "notice":
        review.approve(application, county, category="relative", amount=Decimal("3000"), note=None)
    if stage == "case":
        review.approve(
            application,
            county,
            category="relative",
            amount=Decimal("3000"),
            note=None,
            now=utcnow() - timedelta(days=20),
        )
    db.session.commit()
    if stage == "case":
        workflow.run_timed_stages(utcnow())
    case = casefiles.case_of(application)
    return Made(application, document.public_id, case.public_id if case else None)


# route → (method, url template, form data, who may reach it at which stages)
def _member_only(stages=STAGES):
    return lambda persona, stage: persona == "applicant" and stage in stages


def _staff(stages, who=IN_SCOPE_STAFF):
    return lambda persona, stage: persona in who and stage in stages


def _objector(persona, stage):
    return stage == "notice" and persona not in ("anonymous", "applicant")


VISIT = {"visited_on": "", "visitors": "王芳", "findings": "情况属实。"}
FIGURES = {"category": "relative", "amount": "3000", "note": ""}
PAYMENT = {"amount": "500", "paid_on": "", "method": "bank", "reference": "ZF1"}

ROUTES = {
    "application": ("GET", "/aid/applications/{a}", None, _member_only()),
    "edit": ("GET", "/aid/applications/{a}/edit", None, _member_only()),
    "document": ("GET", "/aid/applications/{a}/documents/{d}", None, _member_only()),
    "upload": ("POST", "/aid/applications/{a}/documents", "upload", _member_only()),
    "delete_document": ("POST", "/aid/applications/{a}/documents/{d}/delete", {}, _member_only()),
    "submit": ("POST", "/aid/applications/{a}/submit", {}, _member_only()),
    "reply": ("POST", "/aid/applications/{a}/reply", {"reply": "已补充。"}, _member_only()),
    "withdraw": ("POST", "/aid/applications/{a}/withdraw", {}, _member_only()),
    "my_case": ("GET", "/aid/cases/{c}", None, _member_only(("case",))),
    "object": ("POST", "/aid/notices/CA1/{a}/object", {"reason": "他家上月刚买了新车。"}, _objector),
    "staff_review": ("GET", "/staff/reviews/{a}", None, _staff(STAGES[1:])),
    "staff_document": ("GET", "/aid/staff/applications/{a}/documents/{d}", None, _staff(STAGES[1:])),
    "visit": ("POST", "/aid/staff/applications/{a}/visit", VISIT, _staff(("first_review",), {"grassroots", "admin"})),
    "recommend": (
        "POST",
        "/aid/staff/applications/{a}/recommend",
        FIGURES,
        _staff(("first_review",), {"grassroots", "admin"}),
    ),
    "approve": (
        "POST",
        "/aid/staff/applications/{a}/approve",
        FIGURES,
        _staff(("county_approval",), {"county", "admin"}),
    ),
    "case": ("GET", "/aid/staff/cases/{c}", None, _staff(("case",))),
    "payment": ("POST", "/aid/staff/cases/{c}/payments", PAYMENT, _staff(("case",))),
    "recheck": ("POST", "/aid/staff/cases/{c}/recheck", VISIT, _staff(("case",))),
    "close": ("POST", "/aid/staff/cases/{c}/close", {"reason": "已就业。", "confirmed": "yes"}, _staff(("case",))),
}
STAFF_ROUTES = {
    "staff_review",
    "staff_document",
    "visit",
    "recommend",
    "approve",
    "case",
    "payment",
    "recheck",
    "close",
}


def _state(made: Made) -> tuple:
    db.session.rollback()
    application = db.session.get(AidApplication, made.application.id)
    events = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action != "file.viewed", AuditEvent.action != "auth.login")
    )
    files = db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.deleted_at.is_(None)))
    payments = db.session.scalar(select(func.count(AidPayment.id)))
    cases = db.session.scalars(select(AidCaseFile.status, AidCaseFile.version)).all()
    return application.status, application.stage, application.version, events, files, payments, tuple(cases)


def _denied_status(route: str, persona: str, stage: str) -> set[int]:
    """What someone who may not reach the route gets."""
    if persona == "anonymous":
        return {302} if ROUTES[route][0] == "GET" or route != "object" else {302}
    if route in STAFF_ROUTES and persona in WORKERS:
        return {403}
    if route == "object" and persona == "applicant" and stage == "notice":
        return {403}  # nobody objects to their own case
    if route in ("visit", "recommend", "approve") and persona in IN_SCOPE_STAFF and stage != "draft":
        return {403}  # in scope, but this stage is not theirs (the workflow says no)
    return {404}


@pytest.mark.parametrize("stage", STAGES)
def test_every_aid_route_for_every_person_at_every_stage(client, people, new_member, stage):
    failures = []
    for route, (method, template, data, may) in ROUTES.items():
        made = _make(people, stage, new_member())
        if "{c}" in template and made.case is None:
            continue  # no case file before the notice ends: nothing to address
        url = template.format(a=made.application.public_id, d=made.document, c=made.case)
        # The allowed person goes last: their success would change what the others see.
        order = sorted(PERSONAS, key=lambda p: may(p, stage))
        first_allowed = True
        for persona in order:
            if may(persona, stage) and method == "POST" and not first_allowed:
                # Each allowed person acts on a case of their own: the first one's success has moved the other.
                made = _make(people, stage, new_member())
                url = template.format(a=made.application.public_id, d=made.document, c=made.case)
            if may(persona, stage):
                first_allowed = False
            # These tests share the test's app context with the client's requests: drop what
            # Flask-Login and Flask-WTF keep in ``g`` for the previous person.
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
            client.delete_cookie("session")
            if persona != "anonymous":
                login_as(client, people[persona])
            before = _state(made)
            if method == "GET":
                response = client.get(url)
            else:
                token = csrf_token(client, "/")
                form = dict(data) if isinstance(data, dict) else {}
                for key in ("visited_on", "paid_on"):
                    if key in form:
                        form[key] = str(local_today())
                if data == "upload":
                    form = {"files": [(io.BytesIO(png_bytes()), "补充.png")]}
                response = client.post(url, data={**form, "csrf_token": token}, content_type="multipart/form-data")
            status = response.status_code
            response.close()
            allowed = may(persona, stage)
            if allowed:
                if (
                    status >= 500
                    or status in (401, 403, 404)
                    or (status == 302 and "/auth/login" in response.headers.get("Location", ""))
                ):
                    failures.append(f"{stage} {route} {persona}: {status}, expected to be reached")
            else:
                expected = _denied_status(route, persona, stage)
                if status not in expected:
                    failures.append(f"{stage} {route} {persona}: {status}, expected {sorted(expected)}")
                if status != 302 or persona == "anonymous":
                    after = _state(made)
                    if after != before:
                        failures.append(f"{stage} {route} {persona}: changed {before} → {after}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("withdrawn", [False, True], ids=["draft", "draft withdrawn unsent"])
def test_staff_never_see_a_draft(client, people, new_member, withdrawn):
    made = _make(people, "draft", new_member())
    if withdrawn:
        workflow.withdraw(made.application, made.application.applicant)
        db.session.commit()
    for who in ("grassroots", "county", "admin"):
        g.pop("_login_user", None)
        login_as(client, people[who])
        assert client.get(f"/staff/reviews/{made.application.public_id}").status_code == 404
        for status in ("all", "withdrawn", "draft"):
            queue = client.get(f"/staff/reviews?status={status}&kind=aid").get_data(as_text=True)
            assert made.application.public_id not in queue, (who, status)
        assert (
            client.get(f"/aid/staff/applications/{made.application.public_id}/documents/{made.document}").status_code
            == 404
        )
