"""The demo data for hardship aid: a case at every stage in 香坊区 and 通河县, notices with entries,
case files with payments (one due for its yearly review), loaded once however often it runs."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from portal.aid.models import AidApplication, AidCaseFile, AidPayment
from portal.aid.services import casefiles, notices
from portal.extensions import db


def test_the_demo_has_aid_cases_at_every_stage_and_runs_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        cases = db.session.scalars(select(AidApplication)).all()
        stages = Counter((a.status, a.stage) for a in cases)
        assert stages[("draft", None)] == 1
        assert stages[("submitted", "first_review")] == 2 and stages[("needs_info", "first_review")] == 1
        assert stages[("submitted", "county_approval")] == 1
        assert stages[("submitted", "notice")] == 2 and stages[("approved", None)] == 2
        assert {a.union.code.split("-")[0] for a in cases} == {"230110", "230128"}
        for county in ("230110", "230128"):
            assert notices.notices(notices.county_for(county)), county
        files = db.session.scalars(select(AidCaseFile)).all()
        assert len(files) == 2 and all(f.status == "open" for f in files)
        assert db.session.scalar(select(func.count(AidPayment.id))) >= 3
        assert sum(casefiles.review_due(f) for f in files) == 1  # one flagged for its yearly review
