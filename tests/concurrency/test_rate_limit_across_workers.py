"""With REDIS_URL, the login limit holds across every gunicorn worker (without it each worker counts alone)."""

from __future__ import annotations

import secrets
import socket

import pytest

from tests.concurrency.conftest import Browser, start_gunicorn, stop

pytestmark = pytest.mark.slow
REDIS = ("127.0.0.1", 6379)


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_server(database_url):
    if not _redis_answers():  # a bare machine (make test needs only Python); CI has Redis
        pytest.skip("Redis is not reachable on 127.0.0.1:6379: the multi-process rate-limit test needs it")
    proc, base = start_gunicorn(
        database_url,
        {
            "PORTAL_LIVE_REDIS_URL": "redis://127.0.0.1:6379/15",
            "PORTAL_LIVE_KEY_PREFIX": f"portal-test-{secrets.token_hex(4)}",
        },
    )
    yield base
    stop(proc)


def test_failed_logins_for_one_phone_are_counted_across_workers(redis_server, make_user):
    make_user(phone="13811110000")
    statuses = []
    for i in range(7):
        browser = Browser(redis_server)  # a new connection each time: requests land on different workers
        statuses.append(
            browser.post("/auth/login", {"phone": "13811110000", "password": f"Wrong@{i}x"}, token_from="/auth/login")[
                0
            ]
        )
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429, 429]
