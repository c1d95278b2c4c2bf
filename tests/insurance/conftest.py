"""Mutual medical insurance test set-up: the demo plans, members of grassroots_a1 (under 香坊区,
county_a1) — a male rider, a woman employee — a non-member, and staff in and out of scope."""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from portal.core import workflow
from portal.extensions import db
from tests.helpers import valid_id_number


@pytest.fixture
def plans(app):
    from portal.insurance import demo

    with app.app_context():
        demo.seed_plans()
        db.session.commit()


@pytest.fixture
def insured(app, tree, plans, make_user, make_application):
    """Members (approved through the workflow, so membership's effects run) and staff."""
    reviewer = make_user("staff", union=tree["grassroots_a1"], name="基层审核员")
    made = {"grassroots": reviewer}
    work = {
        "rider": {"employment_type": "delivery_rider"},
        "woman": {"employment_type": "employee", "platform": "", "employer": "哈尔滨松江机械制造有限公司"},
    }
    for key, name, seq in (("rider", "王骑手", "011"), ("woman", "李女士", "022")):
        user = make_user(name=name, id_number=valid_id_number(seq=seq))
        application = make_application(user, tree["grassroots_a1"], real_name=name, **work[key])
        with app.app_context():
            workflow.decide(
                db.session.get(workflow.Application, application.id), db.session.get(User, reviewer.id), "approve"
            )
            db.session.commit()
        made[key] = user
    made["outsider"] = make_user(name="路人", id_number=valid_id_number(seq="031"))
    made["county"] = make_user("staff", union=tree["county_a1"], name="县审核员")
    made["county_other"] = make_user("staff", union=tree["county_a2"], name="别县审核员")
    made["admin"] = make_user("admin")
    return made


@pytest.fixture
def people(ctx, insured):
    """Everyone, loaded in the test's own session (service-level tests)."""
    return {name: db.session.get(User, u.id) for name, u in insured.items()}


@pytest.fixture
def today(monkeypatch):
    """Pages and services read "today" as 2026-12-05 (HOSP-2027 open, HOSP-2026 closed)."""
    from datetime import date

    from portal.insurance import services
    from portal.insurance.views import member

    day = date(2026, 12, 5)
    monkeypatch.setattr(services, "local_today", lambda moment=None: day)
    monkeypatch.setattr(member, "local_today", lambda moment=None: day)
    return day
