"""Helpers for tests: test data values and browser-like form posting."""

from __future__ import annotations

import itertools
import re

from portal.core.validators import id_check_digit

PASSWORD = "Test@2026pw"
_counter = itertools.count(1)


def next_number() -> int:
    return next(_counter)


def valid_id_number(region: str = "230110", birth: str = "19900315", seq: str | None = None) -> str:
    """A syntactically valid (fictional) resident ID number."""
    seq = seq or f"{next_number() % 1000:03d}"
    first17 = f"{region}{birth}{seq}"
    return first17 + id_check_digit(first17)


def unique_phone() -> str:
    return f"137{next_number():08d}"


def login_as(client, user):
    """Sign ``user`` in on ``client`` without going through the login form."""
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:{user.session_token}"
        sess["_fresh"] = True
    return client


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str = "/") -> str:
    """The CSRF token from a page, as a browser would have it."""
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST like a browser: first GET the form for its CSRF token."""
    payload = dict(data)
    payload.setdefault("csrf_token", csrf_token(client, token_from or url))
    return client.post(url, data=payload, **kwargs)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def zh(client):
    """Make the client read pages in Simplified Chinese (the default anyway)."""
    client.set_cookie("lang", "zh_CN")
    return client


def statements_of(app, client, url: str, *, expect: int = 200) -> list[str]:
    """The SQL statements one GET of ``url`` sends to the database (query-count guards).

    Only this thread's: the test client answers in the caller's thread, while the browser tests'
    live server (a thread of the same process, on the same engine) may still be answering a
    closing page's last requests."""
    import threading

    from sqlalchemy import event

    from portal.extensions import db

    statements: list[str] = []
    here = threading.get_ident()

    def record(conn, cursor, statement, *args):
        if threading.get_ident() == here:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == expect
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def selects_of(app, client, url: str) -> list[str]:
    return [s for s in statements_of(app, client, url) if s.lstrip().upper().startswith("SELECT")]
