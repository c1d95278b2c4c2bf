"""Security by default: headers on every page, CSRF on every POST, cookies that scripts cannot read."""

import re

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


def _sample_path(rule: str) -> str:
    rule = re.sub(r"<int:[^>]+>", "1", rule)
    rule = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule)
    return re.sub(r"<[^>]+>", "nosuchid", rule)


def _post_paths(app):
    return [_sample_path(rule.rule) for rule in app.url_map.iter_rules() if "POST" in rule.methods]


FORM = {
    "phone": "13811112222",
    "name": "张三",
    "password": "Test@2026pw",
    "confirm": "Test@2026pw",
    "agree": "y",
    "role": "worker",
    "active": "",
    "large": "1",
}


def _refused(client, path):
    for token in (None, "forged-token"):
        data = dict(FORM, **({"csrf_token": token} if token else {}))
        yield client.post(path, data=data)


def test_every_post_route_refuses_a_missing_or_forged_csrf_token(app, client, make_user, tree):
    """Whatever the route and whoever asks, a POST without a valid token is refused and changes nothing."""
    from sqlalchemy import func, select

    from portal.accounts.models import User
    from portal.extensions import db

    admin = make_user("admin", phone="13900000009")
    paths = _post_paths(app)
    assert len(paths) >= 8
    signed_out_only = {"/auth/register", "/auth/login"}
    login_as(client, admin)
    for path in paths:
        for r in _refused(client, path):
            # 400: the token check refused it. 404: a route about one record checked first that it is
            # the caller's. 302: a precondition sent the caller elsewhere (signed in, not a member).
            # Never 303, the answer of every POST that did its work.
            assert r.status_code in {302, 400, 404}, (path, r.status_code)
    anonymous = app.test_client()
    for path in paths:
        for r in _refused(anonymous, path):
            if path in signed_out_only or path in ("/auth/logout", "/settings/text-size"):
                assert r.status_code == 400, (path, r.status_code)
            else:
                assert r.status_code in (302, 400, 404), (path, r.status_code)
                if r.status_code == 302:
                    assert "/auth/login" in r.headers["Location"]
    with app.app_context():
        assert db.session.get(User, admin.id).role == "admin"
        assert db.session.get(User, admin.id).large_text is False
        assert db.session.scalar(select(func.count(User.id))) == 1
    assert client.get("/me").status_code == 200  # logout without a token did not sign the admin out


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
