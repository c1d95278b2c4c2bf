"""The jobs runner's step for visits, replayed with ``flask jobs run --as-of``: no-shows 15 minutes
after the slot began, lapses of those still waiting when it began, and a 7-day suspension after 3
no-shows within 30 days — each once, however often the runner runs."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.capacity import CapacityClaim
from portal.core.errors import NotAllowed
from portal.core.notify import Message
from portal.extensions import db
from portal.libraries.models import LibrarySuspension, LibraryVisit
from portal.libraries.services import visit_desk, visit_jobs, visits

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2027, 3, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def run_jobs(app):
    """run_jobs("2027-03-08T09:15") → how many things the visits step did (Beijing time given)."""

    def run(as_of: str) -> int:
        db.session.commit()  # the runner works in its own session: nothing of ours may hold a lock
        result = app.test_cli_runner().invoke(args=["jobs", "run", "--as-of", as_of])
        found = re.search(r"libraries\.visits: (\d+)", result.output)
        assert found, result.output
        db.session.rollback()  # read what the runner committed
        return int(found.group(1))

    return run


@pytest.fixture
def w(ctx, make_library, readers):
    class World:
        library_id = make_library(places_per_slot=2)

        @staticmethod
        def user(key):
            return db.session.get(User, readers[key].id)

        def book(self, key, start, now=None):
            booking = visits.book(self.user(key), self.library_id, start, now or start - timedelta(hours=2))
            db.session.commit()
            return booking.visit.id

        @staticmethod
        def status(visit_id):
            return db.session.get(LibraryVisit, visit_id).status

    db.session.commit()
    with force_locale("en"):
        yield World()


def _messages(user_id: int, template: str) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.user_id == user_id, Message.template == template)))


def test_a_booked_visit_nobody_checked_in_is_a_no_show_fifteen_minutes_after_it_began(w, run_jobs, readers):
    missed = w.book("member", at(MONDAY, 9))
    came = w.book("member2", at(MONDAY, 9))
    visit_desk.check_in(w.user("county"), w.library_id, db.session.get(LibraryVisit, came).code, at(MONDAY, 8, 50))
    assert run_jobs("2027-03-08T09:14") == 0
    assert w.status(missed) == "booked"
    assert run_jobs("2027-03-08T09:15") == 1
    assert (w.status(missed), w.status(came)) == ("no_show", "checked_in")
    quota = db.session.get(LibraryVisit, missed).quota_claim_id
    assert db.session.get(CapacityClaim, quota).status == "released"  # no longer counts as upcoming
    assert run_jobs("2027-03-08T09:15") == 0  # again: nothing more
    assert run_jobs("2027-03-08T12:00") == 0


def test_people_still_waiting_when_the_slot_begins_lapse_and_are_told(w, run_jobs, readers):
    w.book("member", at(MONDAY, 9))
    w.book("member2", at(MONDAY, 9))
    waiting = w.book("member3", at(MONDAY, 9))
    assert run_jobs("2027-03-08T08:59") == 0
    assert run_jobs("2027-03-08T09:00") == 1
    assert w.status(waiting) == "lapsed"
    visit = db.session.get(LibraryVisit, waiting)
    assert db.session.get(CapacityClaim, visit.claim_id).status == "released"
    assert db.session.get(CapacityClaim, visit.quota_claim_id).status == "released"
    (message,) = _messages(readers["member3"].id, "library.visit_lapsed")
    assert "2027-03-08 09:00–10:00" in message.body
    assert run_jobs("2027-03-08T09:20") == 2  # the two booked ones did not come
    assert run_jobs("2027-03-08T09:20") == 0


def test_three_no_shows_within_thirty_days_suspend_booking_for_seven_days(w, run_jobs, readers):
    member = readers["member"].id
    for day, clock in ((MONDAY, "2027-03-08T09:20"), (MONDAY + timedelta(days=10), "2027-03-18T09:20")):
        w.book("member", at(day, 9))
        run_jobs(clock)
    assert db.session.scalar(select(func.count(LibrarySuspension.id))) == 0
    w.book("member", at(MONDAY + timedelta(days=20), 9))
    assert run_jobs("2027-03-28T09:20") == 2  # the no-show and the suspension
    (suspension,) = db.session.scalars(select(LibrarySuspension)).all()
    assert suspension.user_id == member and suspension.no_shows == 3
    assert suspension.starts_at == at(MONDAY + timedelta(days=20), 9, 20)
    assert suspension.ends_at == suspension.starts_at + timedelta(days=7)
    (message,) = _messages(member, "library.suspended")
    assert "until 2027-04-04 09:20" in message.body
    with pytest.raises(NotAllowed, match="until 2027-04-04 09:20"):
        visits.book(
            w.user("member"), w.library_id, at(MONDAY + timedelta(days=21), 9), at(MONDAY + timedelta(days=21), 7)
        )
    db.session.rollback()
    assert run_jobs("2027-03-28T09:20") == 0 and run_jobs("2027-03-29T09:20") == 0
    assert len(_messages(member, "library.suspended")) == 1
    # Over: booking again; one more no-show does not suspend again (the old ones were counted).
    w.book("member", at(MONDAY + timedelta(days=28), 9), now=at(MONDAY + timedelta(days=27), 10))
    assert run_jobs("2027-04-05T09:20") == 1
    assert db.session.scalar(select(func.count(LibrarySuspension.id))) == 1


def test_no_shows_more_than_thirty_days_apart_do_not_add_up(w, run_jobs):
    for offset, clock in ((0, "2027-03-08T09:20"), (1, "2027-03-09T09:20"), (31, "2027-04-08T09:20")):
        w.book("member", at(MONDAY + timedelta(days=offset), 9))
        run_jobs(clock)
    assert db.session.scalar(select(func.count(LibrarySuspension.id))) == 0


def test_two_runners_at_once_move_each_visit_once_and_suspend_each_person_once(app, w, make_library, make_user):
    library_id = make_library(places_per_slot=50)
    people = [make_user(name="读者" + "甲乙丙丁戊己庚辛"[n]) for n in range(8)]
    for person in people:
        for hour in (9, 10):
            visits.book(db.session.get(User, person.id), library_id, at(MONDAY, hour), at(MONDAY, 7))
    db.session.commit()
    barrier = threading.Barrier(2)
    app.config["LIBRARY_NO_SHOW_LIMIT"] = 2
    try:

        def runner(_):
            with app.app_context():
                barrier.wait()
                return visit_jobs.run_visit_jobs(at(MONDAY, 11))

        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(runner, range(2)))
    finally:
        app.config["LIBRARY_NO_SHOW_LIMIT"] = 3
    db.session.rollback()
    assert sum(done) == 16 + 8  # sixteen no-shows and eight suspensions, each done by one runner only
    statuses = db.session.scalars(select(LibraryVisit.status).where(LibraryVisit.library_id == library_id)).all()
    assert statuses == ["no_show"] * 16
    suspended = db.session.scalars(select(LibrarySuspension.user_id)).all()
    assert sorted(suspended) == sorted(p.id for p in people)
    assert db.session.scalar(select(func.count(Message.id)).where(Message.template == "library.suspended")) == 8


def test_a_visit_on_a_day_the_library_closed_after_the_booking_is_no_no_show(w, run_jobs):
    from portal.libraries.models import LibraryClosure

    visit_id = w.book("member", at(MONDAY, 9))
    db.session.add(LibraryClosure(library_id=w.library_id, day=MONDAY, reason="停电"))
    assert run_jobs("2027-03-08T09:20") == 1
    assert w.status(visit_id) == "cancelled"
    quota = db.session.get(LibraryVisit, visit_id).quota_claim_id
    assert db.session.get(CapacityClaim, quota).status == "released"
