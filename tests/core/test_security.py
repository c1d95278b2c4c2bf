"""Security by default: headers on every page, cookies that scripts cannot read (CSRF: test_csrf.py)."""

import pytest

from tests.helpers import login_as


def test_security_headers_on_pages(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert r.headers["X-Frame-Options"] == "DENY"


def test_security_headers_on_error_pages_and_static_files(client):
    assert "Content-Security-Policy" in client.get("/no-such-page").headers
    with client.get("/static/css/app.css") as static:
        assert static.status_code == 200 and static.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(client, make_user, tree):
    login_as(client, make_user("admin"))
    for path in ["/", "/services", "/me", "/me/edit", "/admin/users", "/admin/users/new", "/privacy"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<script type" not in html, path
        assert " style=" not in html and "<style" not in html, path
        assert " onclick=" not in html and "javascript:" not in html, path


def test_no_external_assets(client):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert "//cdn" not in html


def test_signed_in_pages_are_not_cached(client, make_user):
    login_as(client, make_user())
    assert client.get("/me").headers["Cache-Control"] == "private, no-store"


# CSRF on every POST route, on records the persona may act on: tests/core/test_csrf.py.


@pytest.mark.parametrize("config_name", ["production"])
def test_production_cookies_are_secure(config_name, database_url, monkeypatch):
    from portal import create_app

    app = create_app(
        config_name,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "x" * 32,
            "FIELD_ENCRYPTION_KEY": "x-5aqtfj2ANnJ0OcZ3a6yLNtL7qHkSGdqz1wVw2sUZ4=",
            "FIELD_HASH_KEY": "h",
        },
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    r = app.test_client().get("/", base_url="https://portal.example")
    assert "max-age=31536000" in r.headers["Strict-Transport-Security"]
