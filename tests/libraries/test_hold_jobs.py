"""Timed steps of holds and loans, replayed with ``flask jobs run --as-of``: an uncollected hold
expires at the end of its last day and passes to the next in line; loan reminders three days
before and on the due date, each sent once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.libraries.models import LibraryHold, LibraryLoan
from portal.libraries.services import hold_board, holds, loans
from tests.libraries.test_holds import NOW, messages_of, person

ISBN = "9787530216781"


def run_jobs(app, as_of: str) -> dict[str, int]:
    """``flask jobs run --as-of …`` (Asia/Shanghai), as a cron line would; the counts it printed."""
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--as-of", as_of])
    counts = {}
    for line in result.output.splitlines():
        name, _, count = line.strip().partition(": ")
        counts[name] = int(count) if count.isdigit() else -1  # "failed (see the log)"
    # Other domains' jobs answer for themselves; these two must have run.
    assert counts["libraries.holds"] >= 0 and counts["libraries.loans"] >= 0, result.output
    return counts


@pytest.fixture
def line_of_three(app, readers, make_library, make_entry):
    """One copy: member has it ready (marked at NOW), member2 and member3 wait in that order."""
    library_id = make_library()
    book_id = make_entry(library_id, "平凡的世界", isbn=ISBN, copies=1)
    with app.app_context():
        ready = holds.reserve(person(readers["member"]), book_id, now=NOW)
        second = holds.reserve(person(readers["member2"]), book_id, now=NOW)
        third = holds.reserve(person(readers["member3"]), book_id, now=NOW)
        hold_board.mark_ready(person(readers["county"]), ready.id, now=NOW)
        db.session.commit()
        return ready.id, second.id, third.id


def statuses(app, *ids) -> list[str]:
    with app.app_context():
        return [db.session.get(LibraryHold, i).status for i in ids]


def test_an_uncollected_hold_expires_after_its_last_day_and_passes_to_the_next_in_line(app, readers, line_of_three):
    ready, second, third = line_of_three
    # Ready on Monday 7 December: collectable to the end of Thursday 10 December (Harbin).
    assert run_jobs(app, "2026-12-10T23:59")["libraries.holds"] == 0
    assert statuses(app, ready, second, third) == ["ready", "queued", "queued"]

    assert run_jobs(app, "2026-12-11T00:00")["libraries.holds"] == 1
    assert statuses(app, ready, second, third) == ["expired", "allocated", "queued"]
    with app.app_context():
        (expired,) = messages_of(readers["member"], "library_hold.expired")
        assert (expired.params["month"], expired.params["day"]) == (12, 10)
        assert messages_of(readers["member2"], "library_hold.allocated")
        assert [line.position for line in holds.holds_of(person(readers["member3"]))] == [1]
        hold = db.session.get(LibraryHold, ready)
        assert hold.closed_at == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)

    assert run_jobs(app, "2026-12-11T00:00")["libraries.holds"] == 0  # again: nothing more
    assert run_jobs(app, "2026-12-20T09:00")["libraries.holds"] == 0  # the next one was never made ready
    assert statuses(app, ready, second, third) == ["expired", "allocated", "queued"]
    with app.app_context():
        assert len(messages_of(readers["member"], "library_hold.expired")) == 1


def test_the_next_in_line_expires_in_turn_and_the_copy_reaches_the_third(app, readers, line_of_three):
    ready, second, third = line_of_three
    run_jobs(app, "2026-12-11T08:00")
    with app.app_context():
        hold_board.mark_ready(person(readers["county"]), second, now=datetime(2026, 12, 11, 1, 0, tzinfo=UTC))
        db.session.commit()
    assert run_jobs(app, "2026-12-15T00:00")["libraries.holds"] == 1  # ready 11th → collect by the 14th
    assert statuses(app, ready, second, third) == ["expired", "expired", "allocated"]


def test_a_collected_or_cancelled_hold_never_expires(app, readers, line_of_three):
    ready, second, _third = line_of_three
    with app.app_context():
        loans.lend(
            person(readers["county"]),
            db.session.get(LibraryHold, ready).book.library_id,
            person(readers["member"]),
            ISBN,
            now=NOW,
        )
        db.session.commit()
    assert run_jobs(app, "2027-01-01T00:00")["libraries.holds"] == 0
    assert statuses(app, ready, second) == ["collected", "queued"]


def test_loan_reminders_go_three_days_before_and_on_the_due_date_once_each(app, readers, make_library, make_entry):
    library_id = make_library()
    make_entry(library_id, "平凡的世界", isbn=ISBN, copies=1)
    with app.app_context():
        loan = loans.lend(person(readers["county"]), library_id, person(readers["member"]), ISBN, now=NOW)
        db.session.commit()
        loan_id = loan.id
        assert loan.due_on == date(2027, 1, 6)

    def reminders() -> tuple[int, int, int]:
        with app.app_context():
            return (
                db.session.get(LibraryLoan, loan_id).reminders,
                len(messages_of(readers["member"], "library_loan.due_soon")),
                len(messages_of(readers["member"], "library_loan.due_today")),
            )

    assert run_jobs(app, "2027-01-02T09:00")["libraries.loans"] == 0  # four days before: not yet
    assert run_jobs(app, "2027-01-03T09:00")["libraries.loans"] == 1
    assert reminders() == (1, 1, 0)
    assert run_jobs(app, "2027-01-03T18:00")["libraries.loans"] == 0
    assert run_jobs(app, "2027-01-05T09:00")["libraries.loans"] == 0
    assert run_jobs(app, "2027-01-06T08:00")["libraries.loans"] == 1  # on the due date
    assert reminders() == (2, 1, 1)
    assert run_jobs(app, "2027-01-06T20:00")["libraries.loans"] == 0
    assert run_jobs(app, "2027-01-09T09:00")["libraries.loans"] == 0  # overdue: the staff's list, not a job
    assert reminders() == (2, 1, 1)


def test_a_renewal_starts_the_reminders_again_and_a_returned_book_gets_none(app, readers, make_library, make_entry):
    library_id = make_library()
    make_entry(library_id, "平凡的世界", isbn=ISBN, copies=2)
    with app.app_context():
        kept = loans.lend(person(readers["county"]), library_id, person(readers["member"]), ISBN, now=NOW)
        back = loans.lend(person(readers["county"]), library_id, person(readers["member2"]), ISBN, now=NOW)
        db.session.commit()
        kept_id, back_id = kept.id, back.id
    assert run_jobs(app, "2027-01-04T09:00")["libraries.loans"] == 2
    with app.app_context():
        loans.renew(person(readers["member"]), kept_id, now=NOW)
        loans.return_loan(person(readers["county"]), library_id, loan_id=back_id, now=NOW)
        db.session.commit()
        assert db.session.get(LibraryLoan, kept_id).due_on == date(2027, 2, 5)
    assert run_jobs(app, "2027-01-06T09:00")["libraries.loans"] == 0  # the old due date means nothing now
    assert run_jobs(app, "2027-02-02T09:00")["libraries.loans"] == 1
    assert run_jobs(app, "2027-02-05T09:00")["libraries.loans"] == 1
    with app.app_context():
        assert len(messages_of(readers["member2"], "library_loan.due_today")) == 0
        assert len(messages_of(readers["member"], "library_loan.due_soon")) == 2
