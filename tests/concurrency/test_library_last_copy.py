"""Two members reserve the last copy of a title at the same instant: one gets the copy, the other
is first in line — never two copies of one, never two people at one place in line, never an
error. And one member reserving more titles at once than they may hold open gets exactly the
limit (the count is read under a lock on the person, so two requests never both see room).
Real processes (each its own connection, as gunicorn workers are) released together by a
barrier, on the suite's database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import queue
from multiprocessing import get_context

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core import capacity, workflow
from portal.extensions import db
from portal.libraries.models import LibraryBook, LibraryHold
from tests.helpers import valid_id_number

pytestmark = pytest.mark.slow
ROUNDS = 10


def reserve_each(database_url: str, user_id: int, book_ids: list[int], barrier, results, limit: int = ROUNDS) -> None:
    """One member's process: for each title, wait at the barrier with the other processes, then
    reserve it in one write transaction, as a POST to the reserve page does. ``limit``: the
    per-person limit of open holds (by default lifted: every round is another open hold)."""
    from portal import create_app
    from portal.accounts import services as accounts
    from portal.core import capacity
    from portal.core.db import write_transaction
    from portal.core.errors import DomainError
    from portal.extensions import db
    from portal.libraries.services import holds

    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False, "LIBRARY_MAX_OPEN_HOLDS": limit},
    )
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connected before the start line
        db.session.rollback()
        for book_id in book_ids:
            barrier.wait(timeout=120)
            try:
                with write_transaction():
                    hold = holds.reserve(accounts.get_user(user_id), book_id)
                    outcome = (hold.status, capacity.position_in_line(hold.claim_id))
                    db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                outcome = (type(exc).__name__, None)
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
                db.session.rollback()
                outcome = (f"error: {exc!r}"[:300], None)
            results.put((user_id, book_id, *outcome))
        db.engine.dispose()


@pytest.fixture
def two_members(app, tree, make_user, make_application):
    reviewer = make_user("staff", union=tree["grassroots_a1"])
    ids = []
    for name, seq in (("甲读者", "151"), ("乙读者", "162")):
        user = make_user(name=name, id_number=valid_id_number(seq=seq))
        application = make_application(user, tree["grassroots_a1"], real_name=name)
        with app.app_context():
            workflow.decide(
                db.session.get(workflow.Application, application.id), db.session.get(User, reviewer.id), "approve"
            )
            db.session.commit()
        ids.append(user.id)
    return ids


@pytest.fixture
def last_copies(app, tree):
    """ROUNDS titles at a library of 香坊区, one copy each."""
    from portal.core.isbn import isbn13_check_digit
    from portal.libraries.services import books, directory

    with app.app_context():
        library = directory.create_library(
            None,
            {
                "name": "并发测试职工书屋",
                "address": "测试路1号",
                "lat": 45.75,
                "lng": 126.64,
                "open_hours": "08:00-20:00",
                "union_code": tree["county_a1"].code,
            },
        )
        ids = []
        for n in range(ROUNDS):
            body = f"97875000{n:04d}"
            entry = books.save_entry(
                library.id, books.EntryData(isbn=body + isbn13_check_digit(body), title=f"最后一本{n}", copies=1)
            ).entry
            ids.append(entry.id)
        db.session.commit()
        return ids


def _run(jobs: list[tuple]) -> list[tuple]:
    """Start one process per (database_url, user_id, book_ids, limit), all at one barrier; their
    outcomes (user, book, status, position in line)."""
    mp = get_context("spawn")
    barrier, results = mp.Barrier(len(jobs)), mp.Queue()
    processes = [
        mp.Process(target=reserve_each, args=(url, user_id, book_ids, barrier, results, limit))
        for url, user_id, book_ids, limit in jobs
    ]
    for p in processes:
        p.start()
    outcomes = []
    try:
        for _ in range(sum(len(book_ids) for _url, _user, book_ids, _limit in jobs)):
            outcomes.append(results.get(timeout=180))
    except queue.Empty:
        pytest.fail(f"the reserving processes stopped answering after {len(outcomes)} reservations")
    finally:
        for p in processes:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    return outcomes


def test_two_members_reserving_the_last_copy_at_once_one_gets_it_and_the_other_is_first_in_line(
    app, database_url, two_members, last_copies
):
    outcomes = _run([(database_url, user_id, last_copies, ROUNDS) for user_id in two_members])

    errors = [o for o in outcomes if o[2] not in ("allocated", "queued")]
    assert not errors, errors[:4]  # no "database is locked", no refusal, nothing else
    for book_id in last_copies:
        got = sorted((status, position) for _user, book, status, position in outcomes if book == book_id)
        assert got == [("allocated", None), ("queued", 1)], (book_id, got)
    with app.app_context():
        for book_id in last_copies:
            entry = db.session.get(LibraryBook, book_id)
            assert capacity.counts(entry.pool_id) == (1, 1, 1)
            held = db.session.scalars(select(LibraryHold.status).where(LibraryHold.book_id == book_id)).all()
            assert sorted(held) == ["allocated", "queued"]


LIMIT = 3


def test_one_member_reserving_six_titles_at_once_gets_the_limit_of_three(app, database_url, two_members, last_copies):
    """Six processes, one title each, the same member, at the same instant: three holds, three
    refusals that name the limit, no error."""
    member = two_members[0]
    outcomes = _run([(database_url, member, [book_id], LIMIT) for book_id in last_copies[:6]])
    statuses = sorted(status for _user, _book, status, _position in outcomes)
    assert statuses == ["Conflict"] * 3 + ["allocated"] * 3, outcomes
    with app.app_context():
        held = db.session.scalars(select(LibraryHold.book_id).where(LibraryHold.user_id == member)).all()
        assert len(held) == LIMIT
        for book_id in last_copies[:6]:
            taken = capacity.counts(db.session.get(LibraryBook, book_id).pool_id)[1]
            assert taken == (1 if book_id in held else 0)  # a refused reservation kept no copy
