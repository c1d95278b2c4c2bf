"""Real processes on hardship aid: two county reviewers approving one case at once through gunicorn,
and two job runners ending the same public notices at once (SQLite file or PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.aid.models import AidApplication, AidCaseFile
from portal.aid.services import applications, review
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.extensions import db
from tests.aid.conftest import add_document, details, visit
from tests.concurrency.conftest import ROOT, Browser
from tests.concurrency.conftest import live_server as live_server  # the fixture, for these tests too
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow


def _together(jobs):
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_two_county_reviewers_approving_one_case_at_once_make_one_decision(
    at_county, people, make_user, tree, live_server
):
    second = make_user("staff", union=tree["county_a1"], name="县审批员乙")
    browsers = []
    for user in (people["county"], second):
        browser = Browser(live_server)
        browser.login(user.phone, PASSWORD)
        browsers.append(browser)
    page = f"/staff/reviews/{at_county.public_id}"
    tokens = [b.token(page) for b in browsers]
    url = f"/aid/staff/applications/{at_county.public_id}/approve"
    forms = [
        {"category": "relative", "amount": "3000", "note": "", "csrf_token": tokens[0]},
        {"category": "deep", "amount": "3600", "note": "核实后提高", "csrf_token": tokens[1]},
    ]
    results = _together([lambda i=i: browsers[i].request(url, forms[i])[0] for i in range(2)])
    assert sorted(results)[0] == 303 and results.count(303) == 1, results
    assert all(code in (303, 403, 409) for code in results), results
    db.session.rollback()  # end the test's own read snapshot: see what the other processes wrote
    saved = db.session.get(AidApplication, at_county.id)
    approvals = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.subject_type == "applications",
            AuditEvent.subject_id == str(at_county.id),
            AuditEvent.action == "application.approve",
            AuditEvent.to_state == "submitted:notice",
        )
    )
    assert saved.stage == review.NOTICE and approvals == 1
    # The figures on record are the winner's, whole: never one reviewer's category with the other's amount.
    assert (saved.approved_category, saved.approved_amount) in {
        ("relative", Decimal("3000")),
        ("deep", Decimal("3600")),
    }


def test_two_job_runners_at_once_move_each_case_once(
    people, tree, make_user, make_application, database_url, monkeypatch
):
    from portal.core import workflow
    from portal.core.workflow import Application

    cases = []
    reviewer = people["grassroots"]
    for n in range(6):
        member = people["applicant"] if n == 0 else None
        if member is None:  # more members of the same union
            from portal.accounts.models import User
            from tests.helpers import valid_id_number

            user = make_user(name="成员" + "甲乙丙丁戊己"[n], id_number=valid_id_number())
            membership = make_application(user, tree["grassroots_a1"])
            workflow.decide(db.session.get(Application, membership.id), reviewer, "approve")
            db.session.commit()
            member = db.session.get(User, user.id)
        application = applications.save_draft(member, details())
        add_document(application, member)
        applications.submit(application, member)
        visit(application, reviewer)
        review.recommend(application, reviewer, category="relative", amount=Decimal("1000"), note=None)
        past = utcnow() - timedelta(days=30)
        with monkeypatch.context() as patch:
            patch.setattr("portal.core.workflow.transitions.utcnow", lambda past=past: past)
            review.approve(application, people["county"], category="relative", amount=Decimal("1000"), note=None)
        db.session.commit()
        cases.append(application.id)
    env = {**os.environ, "PORTAL_LIVE_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "flask", "--app", "tests.live_app:app", "jobs", "run"]
    runners = _together(
        [lambda: subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)] * 2
    )
    assert all(r.returncode == 0 for r in runners), [r.stderr[-2000:] for r in runners]
    db.session.rollback()  # end the test's own read snapshot: see what the other processes wrote
    assert db.session.scalar(select(func.count(AidCaseFile.id))) == len(cases)
    elapsed = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "application.elapse"))
    assert elapsed == len(cases)
    assert {a.status for a in db.session.scalars(select(AidApplication).where(AidApplication.id.in_(cases)))} == {
        "approved"
    }
