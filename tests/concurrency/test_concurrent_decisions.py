"""Many gunicorn workers at once: one decision per application, unique member numbers, one open application.

These run against a real multi-process server on the suite's database (SQLite file or PostgreSQL).
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.workflow import Application
from portal.extensions import db
from portal.membership.models import MemberNumberCounter, Membership
from tests.concurrency.conftest import Browser
from tests.helpers import PASSWORD, valid_id_number

pytestmark = pytest.mark.slow


def _run_together(jobs):
    """Start every job at the same instant (a barrier), return their results in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_reviewers_deciding_at_once_resolve_to_exactly_one_decision(
    app, live_server, make_user, make_application, tree
):
    reviewers = [
        make_user("staff", union=tree["county_a1"]),
        make_user("staff", union=tree["grassroots_a1"]),
        make_user("staff", union=tree["city_a"]),
        make_user("admin"),
    ]
    applications = [make_application(make_user(id_number=valid_id_number()), tree["grassroots_a1"]) for _ in range(8)]
    browsers = []
    for reviewer in reviewers:
        browser = Browser(live_server)
        browser.login(reviewer.phone, PASSWORD)
        browsers.append(browser)
    decisions = [("approve", ""), ("reject", "不符合条件"), ("request_info", "请补充材料"), ("approve", "")]
    statuses = Counter()
    for application in applications:
        url = f"/staff/reviews/{application.public_id}/decide"
        tokens = [b.token(f"/staff/reviews/{application.public_id}") for b in browsers]

        def decide(i, url=url, tokens=tokens):
            decision, note = decisions[i]
            # confirmed=yes: what the reject button's confirmation dialog adds (UX7)
            data = {"decision": decision, "note": note, "confirmed": "yes", "csrf_token": tokens[i]}
            return browsers[i].request(url, data)[0]

        results = _run_together([lambda i=i: decide(i) for i in range(len(browsers))])
        statuses.update(results)
        assert results.count(303) == 1, results  # exactly one reviewer's decision went through
        assert all(code in (303, 409) for code in results), results  # the others: "already decided"
    with app.app_context():
        for application in applications:
            saved = db.session.get(Application, application.id)
            decided = db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.subject_type == "applications",
                    AuditEvent.subject_id == str(application.id),
                    AuditEvent.action.in_(["application.approve", "application.reject", "application.request_info"]),
                )
            ).all()
            assert len(decided) == 1
            assert (
                saved.status
                == {
                    "application.approve": "approved",
                    "application.reject": "rejected",
                    "application.request_info": "needs_info",
                }[decided[0]]
            )
            members = db.session.scalar(
                select(func.count(Membership.id)).where(Membership.user_id == saved.applicant_id)
            )
            assert members == (1 if saved.status == "approved" else 0)
    assert statuses[500] == 0


def test_approvals_at_the_same_instant_never_share_a_member_number(app, live_server, make_user, make_application, tree):
    applications = [make_application(make_user(id_number=valid_id_number()), tree["grassroots_a1"]) for _ in range(16)]
    browsers = []
    for union in ("county_a1", "grassroots_a1", "city_a", "province"):
        for _ in range(2):
            browser = Browser(live_server)
            browser.login(make_user("staff", union=tree[union]).phone, PASSWORD)
            browsers.append(browser)
    jobs = []
    for i, application in enumerate(applications):
        browser = browsers[i % len(browsers)]
        token = browser.token(f"/staff/reviews/{application.public_id}")
        url = f"/staff/reviews/{application.public_id}/decide"
        jobs.append(lambda b=browser, u=url, t=token: b.request(u, {"decision": "approve", "csrf_token": t})[0])
    results = _run_together(jobs)
    assert results == [303] * len(applications)
    with app.app_context():
        numbers = db.session.scalars(select(Membership.member_number)).all()
        counter = db.session.scalars(select(MemberNumberCounter.last_value)).one()
    assert len(numbers) == len(set(numbers)) == len(applications)
    assert counter == len(applications)


def test_submitting_twice_at_once_files_one_application(app, live_server, make_user, tree):
    user = make_user(name="双击骑手", id_number=valid_id_number())
    tabs = [Browser(live_server) for _ in range(4)]
    for tab in tabs:
        tab.login(user.phone, PASSWORD)
    form = {
        "union_code": "GA1",
        "real_name": "双击骑手",
        "ethnicity": "01",
        "education": "senior",
        "political_status": "",
        "employment_type": "delivery_rider",
        "platform": "meituan",
        "employer": "",
        "work_region_code": "",
        "consent": "y",
    }
    tokens = [tab.token("/membership/apply/form?union=GA1") for tab in tabs]
    results = _run_together(
        [
            lambda tab=tab, t=t: tab.request("/membership/apply/form", {**form, "csrf_token": t})[0]
            for tab, t in zip(tabs, tokens, strict=True)
        ]
    )
    assert results.count(303) == 1 and 500 not in results, results
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1
