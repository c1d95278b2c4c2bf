"""Never overbooked: a hundred people press 预约 on the same 10-place library slot at the same
instant, through gunicorn with four workers, on the suite's database (SQLite file or PostgreSQL):
exactly ten are booked, ninety wait in line with places 1–90 in the order they reached the slot,
nobody sees an error or "database is locked". Then thirty cancel at once — the ten booked and twenty
of the line: exactly as many are moved up as places were freed, first in line first, and each of
them is told. Last, one person sends six bookings at once: two upcoming visits at most."""

from __future__ import annotations

import statistics
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.capacity import CapacityClaim, CapacityPool
from portal.core.notify import Message
from portal.core.time import local_today
from portal.extensions import db
from portal.libraries.models import Library, LibraryVisit
from portal.libraries.services import slots
from tests.concurrency.conftest import Browser, start_gunicorn
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow
BOOKERS = 100
PLACES = 10
LEAVING_FROM_LINE = range(5, 25)  # the 6th to the 25th in line cancel too


@pytest.fixture
def server(database_url):
    """Our own gunicorn (4 workers): once it has stopped, its log must hold no error (a 500's
    traceback, "database is locked")."""
    proc, base = start_gunicorn(database_url)
    yield base
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    text = out.decode(errors="replace")
    assert "database is locked" not in text and "Traceback" not in text, text[-3000:]


def _slot(app, library_id):
    """A slot tomorrow at 10:00 (Beijing time): the server runs on the real clock."""
    with app.app_context():
        library = db.session.get(Library, library_id)
        tomorrow = local_today() + timedelta(days=1)
        return next(
            s for s in slots.slots_for_day(library, tomorrow) if s.start.astimezone(slots.LOCAL_ZONE).hour == 10
        )


def _together(people, action):
    """Run ``action(person)`` for everyone at the same instant; (status, seconds, body, headers) each."""
    barrier = threading.Barrier(len(people))

    def go(person):
        barrier.wait()
        started = time.monotonic()
        status, body, headers = action(person)
        return status, time.monotonic() - started, body, headers

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        return list(pool.map(go, people))


def _in_parallel(function, items, workers=16):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def _no_errors(results, what):
    statuses = Counter(r[0] for r in results)
    bad = [r[2][:300] for r in results if r[0] != 303]
    assert statuses == {303: len(results)}, (what, dict(statuses), bad[:3])
    assert not [r for r in results if "database is locked" in r[2]], what


def _library(app, tree) -> int:
    from portal.libraries.services import directory

    with app.app_context():
        library = directory.create_library(
            None,
            {
                "name": "并发测试职工书屋",
                "address": "测试路1号",
                "lat": 45.75,
                "lng": 126.64,
                "open_hours": "24h",
                "slot_minutes": 60,
                "places_per_slot": PLACES,
                "union_code": tree["county_a1"].code,
            },
        )
        db.session.commit()
        return library.id


def _name(n: int) -> str:
    return "读者" + "".join("零一二三四五六七八九"[int(d)] for d in f"{n:03d}")


def test_a_hundred_bookers_at_once_never_overbook_a_slot(app, server, tree, make_user, capsys):
    base = server
    library_id = _library(app, tree)
    slot = _slot(app, library_id)
    users = [make_user(name=_name(n), phone=f"1380000{n:04d}") for n in range(BOOKERS)]

    def sign_in(user):
        browser = Browser(base)
        browser.login(user.phone, PASSWORD)
        return browser, browser.token(f"/libraries/{library_id}/book")

    people = _in_parallel(sign_in, users)
    form = {"slot": slot.start.strftime("%Y-%m-%dT%H:%MZ")}
    results = _together(people, lambda p: p[0].request(f"/libraries/{library_id}/book", {**form, "csrf_token": p[1]}))
    _no_errors(results, "booking")
    assert all(r[3]["Location"].startswith("/libraries/visits/") for r in results)
    latencies = sorted(r[1] for r in results)

    with app.app_context():
        pool = db.session.scalars(select(CapacityPool).where(CapacityPool.key == slot.key)).one()
        assert (pool.capacity, pool.taken) == (PLACES, PLACES)
        rows = db.session.execute(
            select(LibraryVisit.id, LibraryVisit.user_id, LibraryVisit.status, CapacityClaim.id, CapacityClaim.position)
            .join(CapacityClaim, CapacityClaim.id == LibraryVisit.claim_id)
            .where(LibraryVisit.library_id == library_id)
        ).all()
    assert len(rows) == BOOKERS and len({r.user_id for r in rows}) == BOOKERS
    booked = [r for r in rows if r.status == "booked"]
    line = sorted((r for r in rows if r.status == "waiting"), key=lambda r: r.position)
    assert len(booked) == PLACES and len(line) == BOOKERS - PLACES
    assert [r.position for r in line] == list(range(1, BOOKERS - PLACES + 1))  # one place in line each
    # In the order they reached the slot: the places went to the first ten claims, the line follows.
    claim_ids = sorted(r[3] for r in rows)
    assert sorted(r[3] for r in booked) == claim_ids[:PLACES]
    assert [r[3] for r in line] == claim_ids[PLACES:]

    # The storm: the ten booked and twenty of the line cancel at the same instant.
    leaving = booked + [line[i] for i in LEAVING_FROM_LINE]
    browsers = {users[n].id: people[n][0] for n in range(BOOKERS)}

    def cancel_page(row):
        browser = browsers[row.user_id]
        return browser, browser.token(f"/libraries/visits/{row.id}/cancel"), row.id

    cancellers = _in_parallel(cancel_page, leaving)
    cancelled = _together(cancellers, lambda c: c[0].request(f"/libraries/visits/{c[2]}/cancel", {"csrf_token": c[1]}))
    _no_errors(cancelled, "cancelling")

    staying = [r for i, r in enumerate(line) if i not in LEAVING_FROM_LINE]
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(LibraryVisit.id, LibraryVisit.status).where(LibraryVisit.library_id == library_id)
            ).all()
        )
        claims = dict(
            db.session.execute(
                select(LibraryVisit.id, CapacityClaim.status).join(
                    CapacityClaim, CapacityClaim.id == LibraryVisit.claim_id
                )
            ).all()
        )
        pool = db.session.scalars(select(CapacityPool).where(CapacityPool.key == slot.key)).one()
        told = Counter(
            db.session.scalars(select(Message.user_id).where(Message.template == "library.visit_promoted")).all()
        )
    assert (pool.capacity, pool.taken) == (PLACES, PLACES)
    assert all(statuses[r.id] == "cancelled" for r in leaving)
    assert [r.id for r in staying if statuses[r.id] == "booked"] == [r.id for r in staying[:PLACES]]
    assert all(statuses[r.id] == "waiting" for r in staying[PLACES:])
    # Every visit agrees with its claim: booked ↔ a place, waiting ↔ in line, cancelled ↔ released.
    expected_claim = {"booked": "held", "waiting": "waiting", "cancelled": "released"}
    assert all(claims[visit_id] == expected_claim[status] for visit_id, status in statuses.items())
    # Exactly as many moved up as places were freed: the ten places given back, plus one for each of
    # the line who was moved up and then cancelled (and so freed that place again).
    promoted_then_left = sum(told[r.user_id] for r in leaving)
    assert sum(told[r.user_id] for r in staying) == PLACES
    assert all(told[r.user_id] == 1 for r in staying[:PLACES])
    assert sum(told.values()) - promoted_then_left == PLACES

    # One person sends six bookings of six slots at once: the limit of two upcoming visits holds.
    eager = browsers[leaving[0].user_id]  # their booking was cancelled: nothing upcoming
    token = eager.token(f"/libraries/{library_id}/book")
    starts = [slot.start + timedelta(hours=h) for h in range(1, 7)]
    sent = _together(
        starts,
        lambda start: eager.request(
            f"/libraries/{library_id}/book", {"slot": start.strftime("%Y-%m-%dT%H:%MZ"), "csrf_token": token}
        ),
    )
    _no_errors(sent, "one person's bookings")
    with app.app_context():
        theirs = db.session.scalars(
            select(LibraryVisit.status).where(
                LibraryVisit.user_id == leaving[0].user_id, LibraryVisit.slot_start > slot.start
            )
        ).all()
    assert theirs == ["booked", "booked"], theirs

    with capsys.disabled():
        print(
            f"\n{BOOKERS} bookers on a {PLACES}-place slot ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): "
            f"booking latency median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, worst {latencies[-1] * 1000:.0f} ms; "
            f"{len(leaving)} cancellations, {sum(told.values())} moved up ({promoted_then_left} of them then left)"
        )
