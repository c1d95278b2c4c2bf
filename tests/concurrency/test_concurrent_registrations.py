"""Forty people register at the same instant on four gunicorn workers: nobody gets an error.

Password hashing (argon2 at its production cost, ~0.1 s) happens before the request's write
transaction begins. On SQLite, a write transaction holds the database's only write lock until it
commits: hashing inside it made every other registration queue behind it (issue 7, S9).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from tests.concurrency.conftest import Browser, start_gunicorn, stop
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow
PEOPLE = 40


@pytest.fixture(scope="module")
def server_hashing_for_real(database_url):
    proc, base = start_gunicorn(database_url, {"PORTAL_LIVE_REAL_PASSWORD_HASHING": "1"})
    yield base
    stop(proc)


def test_forty_simultaneous_registrations_all_succeed(app, server_hashing_for_real, capsys):
    people = []
    for i in range(PEOPLE):
        browser = Browser(server_hashing_for_real)
        people.append((browser, browser.token("/auth/register"), f"1391234{i:04d}"))
    barrier = threading.Barrier(PEOPLE)

    def register(person):
        browser, token, phone = person
        form = {"phone": phone, "name": "并发骑手", "password": PASSWORD, "confirm": PASSWORD, "agree": "y"}
        barrier.wait()
        started = time.monotonic()
        status, body, _ = browser.request("/auth/register", {**form, "csrf_token": token})
        return status, time.monotonic() - started, body

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        results = list(pool.map(register, people))
    statuses = Counter(status for status, _, _ in results)
    latencies = sorted(seconds for _, seconds, _ in results)
    with capsys.disabled():
        print(
            f"\n{PEOPLE} simultaneous registrations: {dict(statuses)}; "
            f"latency median {statistics.median(latencies):.2f} s, worst {latencies[-1]:.2f} s"
        )
    assert statuses == {303: PEOPLE}, [body[:300] for status, _, body in results if status != 303][:3]
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.name == "并发骑手")) == PEOPLE
