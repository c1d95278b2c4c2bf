"""Timed steps: what is due at a moment, done once, by ``flask jobs run``.

Each domain registers a job: a function that does everything due at ``as_of`` and returns how many
things it did. Nothing depends on a request arriving. The due things are rows with a due time in the
domain's own tables (an application's ``stage_due_at``, later a hold's expiry), and a job claims each
one with a guarded update (compare-and-set), so

* running the command twice does nothing the second time (idempotent), and
* several runners at once — on several machines — move each row once: the loser's UPDATE matches
  no row and it goes on to the next.

``flask jobs run --as-of 2026-12-10T09:00`` replays a moment (Asia/Shanghai unless an offset is
given) for staff and tests. ``make run`` keeps ``flask jobs loop`` going beside gunicorn; in
production a cron line or a systemd timer runs ``flask jobs run`` every minute (README).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from portal.core.db import utcnow


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]  # does what is due at the moment given; returns how many


JOBS: dict[str, Job] = {}


def register_job(name: str, run: Callable[[datetime], int]) -> None:
    JOBS[name] = Job(name, run)


def run_due(as_of: datetime | None = None) -> dict[str, int]:
    """Run every registered job once for ``as_of`` (default now). A job that fails is logged and
    the others still run; it is tried again next time (nothing it did not finish was committed)."""
    as_of = as_of or utcnow()
    done: dict[str, int] = {}
    for job in JOBS.values():
        try:
            done[job.name] = job.run(as_of)
        except Exception:  # one broken job must not stop the others
            current_app.logger.exception("job %s failed", job.name)
            from portal.extensions import db

            db.session.rollback()
            done[job.name] = -1
    return done


def run_each(due_ids: Callable[[], list], work: Callable[[object], bool], *, batch: int) -> int:
    """The jobs' transaction boundary (a job's "one commit per request"): read a batch of due ids,
    end that reading transaction, then do each in its own write transaction — committed when
    ``work`` did it, rolled back when it found nothing to do (another runner was quicker: its
    guarded update matched no row). Repeats while batches come back full and something was done.
    Returns how many were done."""
    from portal.core.db import write_transaction
    from portal.extensions import db

    done = 0
    while True:
        ids = due_ids()
        db.session.rollback()  # each item takes the write lock in its own transaction
        done_now = 0
        for ident in ids:
            with write_transaction():
                if work(ident):
                    db.session.commit()
                    done_now += 1
                else:
                    db.session.rollback()
        done += done_now
        if len(ids) < batch or not done_now:
            return done


jobs_cli = AppGroup("jobs", help="Timed steps (公示 ends, holds expire …).")


@jobs_cli.command("run")
@click.option("--as-of", "as_of", help="Replay this moment, e.g. 2026-12-10T09:00 (Asia/Shanghai).")
def run_command(as_of: str | None):
    """Do what is due now (or at --as-of), once."""
    from portal.core.time import parse_moment

    try:
        moment = parse_moment(as_of) if as_of else None
    except ValueError:
        raise click.BadParameter("use a date and time such as 2026-12-10T09:00", param_hint="--as-of") from None
    results = run_due(moment)
    for name, count in results.items():
        click.echo(f"  {name}: {'failed (see the log)' if count < 0 else count}")
    if any(count < 0 for count in results.values()):
        raise SystemExit(1)


@jobs_cli.command("loop")
@click.option("--every", default=60, show_default=True, help="Seconds between runs.")
def loop_command(every: int):
    """Run the due jobs every --every seconds until stopped (for make run; use cron or a timer in production)."""
    while True:
        run_due()
        _time.sleep(max(every, 1))


def init_app(app) -> None:
    app.cli.add_command(jobs_cli)
