"""core.capacity under real concurrency: separate processes (each its own connection, as gunicorn
workers are) take places at the same instant, then release them at the same instant. On the
suite's database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
from sqlalchemy import select

from portal.core import capacity
from portal.core.capacity import CapacityClaim
from portal.extensions import db
from tests.concurrency.capacity_worker import run

pytestmark = pytest.mark.slow
PROCESSES = 8


def _together(database_url, action, pool_id, batches):
    start_at = time.time() + 2.5  # every process connected and waiting by then
    with ProcessPoolExecutor(max_workers=len(batches), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run, database_url, action, pool_id, batch, start_at) for batch in batches]
        return [row for f in futures for row in f.result()]


def test_a_hundred_takers_at_once_fill_ten_places_and_line_up_the_rest(app, database_url):
    with app.app_context():
        pool_id = capacity.ensure_pool("test:burst", 10)
        db.session.commit()
    holders = [f"user:{n}" for n in range(100)]
    batches = [holders[i::PROCESSES] for i in range(PROCESSES)]
    results = _together(database_url, "take", pool_id, batches)
    errors = [r for r in results if r[1] not in ("held", "waiting")]
    assert not errors, errors[:5]  # no "database is locked", no failure of any kind
    held = [r for r in results if r[1] == "held"]
    waiting = sorted((r for r in results if r[1] == "waiting"), key=lambda r: r[2])
    assert len(held) == 10 and len(waiting) == 90
    assert [r[2] for r in waiting] == list(range(1, 91))  # one place in line each, none twice
    with app.app_context():
        assert capacity.counts(pool_id) == (10, 10, 90)

    # Twenty of the line, and the ten who hold places, cancel at once: exactly ten promoted,
    # first in line first, and the pool full again.
    with app.app_context():
        claims = {
            c.holder: c for c in db.session.scalars(select(CapacityClaim).where(CapacityClaim.pool_id == pool_id))
        }
    leaving = [claims[r[0]].id for r in held] + [claims[r[0]].id for r in waiting[5:25]]
    batches = [leaving[i::PROCESSES] for i in range(PROCESSES)]
    results = _together(database_url, "release", pool_id, batches)
    errors = [r for r in results if not isinstance(r[1], list)]
    assert not errors, errors[:5]
    # (one leaving the line may be promoted before their own cancellation is handled, and then
    # pass the place on: what must hold is the end state.)
    staying = [r[0] for r in waiting[:5]] + [r[0] for r in waiting[25:]]
    with app.app_context():
        assert capacity.counts(pool_id) == (10, 10, 60)
        now = db.session.scalars(select(CapacityClaim).where(CapacityClaim.pool_id == pool_id)).all()
        held_now = sorted(c.holder for c in now if c.status == "held")
        line_now = [c.holder for c in sorted((c for c in now if c.status == "waiting"), key=lambda c: c.position)]
    assert held_now == sorted(staying[:10])  # the first ten still in line, and no one else
    assert line_now == staying[10:]  # the rest, in their order
