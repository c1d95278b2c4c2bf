"""Password hashing never runs while the request holds SQLite's write lock (issue 7, S9).

Each argon2 computation costs ~0.1 s at production settings. A write request's transaction
takes SQLite's single write lock at its first statement (BEGIN IMMEDIATE, see portal/core/db.py);
hashing inside it made every other writer queue. These tests spy on the hasher: each time it
runs, another connection tries to take the write lock at once (no waiting). PostgreSQL takes no
lock for reading, so there is nothing to check there; tests/concurrency covers both databases.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.engine import make_url

from portal.accounts import services
from tests.helpers import PASSWORD, login_as, post_form


class LockProbe:
    """Wraps the argon2 hasher; records, for each hash or check, whether the write lock was free."""

    def __init__(self, hasher, path):
        self._hasher, self._path, self.free = hasher, path, []

    def _probe(self):
        other = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            self.free.append(True)
        except sqlite3.OperationalError:
            self.free.append(False)
        finally:
            other.close()

    def hash(self, *args, **kwargs):
        self._probe()
        return self._hasher.hash(*args, **kwargs)

    def verify(self, *args, **kwargs):
        self._probe()
        return self._hasher.verify(*args, **kwargs)

    def check_needs_rehash(self, stored):
        return True  # as after a change of the argon2 parameters: login rehashes too


@pytest.fixture
def probe(app, monkeypatch):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("only SQLite has a database-wide write lock")
    with app.app_context():
        real = services._hasher()
    spy = LockProbe(real, url.database)
    monkeypatch.setattr(services, "_hasher", lambda: spy)
    return spy


def test_registering_hashes_before_taking_the_write_lock(client, probe):
    r = post_form(
        client,
        "/auth/register",
        {"phone": "13812345678", "name": "王小明", "password": PASSWORD, "confirm": PASSWORD, "agree": "y"},
    )
    assert r.status_code == 303
    assert probe.free == [True]


def test_signing_in_checks_and_rehashes_without_the_write_lock(client, make_user, probe):
    make_user(phone="13811112222")
    probe.free.clear()
    r = post_form(client, "/auth/login", {"phone": "13811112222", "password": PASSWORD})
    assert r.status_code == 303
    assert probe.free == [True, True]  # the check, then the rehash


def test_changing_the_password_hashes_without_the_write_lock(client, make_user, probe):
    login_as(client, make_user())
    probe.free.clear()
    r = post_form(
        client, "/me/password", {"current_password": PASSWORD, "password": "NewPass@2027", "confirm": "NewPass@2027"}
    )
    assert r.status_code == 303
    assert probe.free == [True, True, True]  # current password, "differs from the current", new hash


def test_an_admin_creating_or_resetting_an_account_hashes_without_the_write_lock(client, make_user, tree, probe):
    login_as(client, make_user("admin"))
    probe.free.clear()
    r = post_form(
        client,
        "/admin/users/new",
        {"phone": "13900001111", "name": "刘洋", "role": "staff", "union_code": "CA1", "password": PASSWORD},
    )
    assert r.status_code == 303
    assert probe.free == [True]
    worker = make_user("worker")
    probe.free.clear()
    r = post_form(
        client,
        f"/admin/users/{worker.id}",
        {"role": "worker", "union_code": "", "active": "y", "new_password": "Reset@2027pw"},
    )
    assert r.status_code == 303
    assert probe.free == [True]


def test_the_command_line_hashes_without_the_write_lock(app, probe, tree):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--phone", "13900002222", "--password", PASSWORD, "--name", "赵六", "--union", "CA1"]
    )
    assert result.exit_code == 0, result.output
    assert probe.free == [True]
