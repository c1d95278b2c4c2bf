"""Signing in and out: generic errors, rate limits, remember-me, safe redirects, sessions."""

import re

import pytest

from tests.helpers import PASSWORD, csrf_token, login_as, page_text, post_form


def login(client, phone, password=PASSWORD, **extra):
    return post_form(client, "/auth/login", {"phone": phone, "password": password, **extra})


def test_worker_signs_in_with_phone_and_password(client, make_user):
    user = make_user(phone="13811112222")
    r = login(client, "138 1111 2222")
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert user.name in page_text(client.get("/me"))


def test_wrong_password_and_unknown_phone_get_the_same_answer(client, make_user):
    make_user(phone="13811112222")
    wrong = login(client, "13811112222", "Wrong@2026")
    unknown = login(client, "13899998888", "Wrong@2026")
    assert wrong.status_code == unknown.status_code == 422
    assert "手机号或密码不正确" in page_text(wrong)

    # Apart from the CSRF token, the pages are identical: nothing reveals that 13811112222 exists.
    def strip(html):
        return re.sub(r'name="csrf_token"[^>]*>', "", html)

    assert strip(page_text(wrong)).replace("13811112222", "X") == strip(page_text(unknown)).replace("13899998888", "X")


def test_disabled_account_cannot_sign_in(client, make_user):
    make_user(phone="13811112222", active=False)
    r = login(client, "13811112222")
    assert r.status_code == 422
    assert client.get("/me").status_code == 302


def test_login_is_rate_limited_per_phone(app, client, make_user):
    make_user(phone="13811112222")
    statuses = [login(client, "13811112222", f"Wrong@{i}xx").status_code for i in range(6)]
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429
    assert "尝试次数过多" in page_text(login(client, "13811112222", "Wrong@2026"))
    # Another phone from the same address is not locked out by this one.
    make_user(phone="13833334444")
    assert login(client, "13833334444").status_code == 303


def test_successful_logins_do_not_use_up_the_phone_limit(client, make_user):
    make_user(phone="13811112222")
    for _ in range(7):
        assert login(client, "13811112222").status_code == 303
        post_form(client, "/auth/logout", {}, token_from="/me")


def test_login_is_rate_limited_per_address(app, client):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    try:
        statuses = [login(client, f"1381111{i:04d}", "Wrong@2026").status_code for i in range(4)]
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "30 per minute;300 per hour"
    assert statuses == [422, 422, 422, 429]


def test_remember_me_sets_a_long_lived_httponly_cookie(client, make_user):
    make_user(phone="13811112222")
    r = login(client, "13811112222", remember="y")
    cookies = r.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    session = [c for c in cookies if c.startswith("session=")]
    assert session and "HttpOnly" in session[0] and "SameSite=Lax" in session[0]


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/messages", "/messages"),
        ("https://evil.example.com/", "/"),
        ("//evil.example.com/", "/"),
        ("/\\evil.example.com", "/"),
    ],
)
def test_next_is_followed_only_on_this_site(client, make_user, target, expected):
    make_user(phone="13811112222")
    r = login(client, "13811112222", next=target)
    assert r.headers["Location"] == expected


def test_protected_page_sends_to_login_and_back(client, make_user):
    make_user(phone="13811112222")
    r = client.get("/messages")
    assert r.status_code == 302 and "/auth/login?next=%2Fmessages" in r.headers["Location"]
    form = client.get(r.headers["Location"])
    assert 'value="/messages"' in page_text(form)


def test_logout_needs_post_and_csrf(client, make_user):
    login_as(client, make_user())
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/me").status_code == 200  # still signed in
    r = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/me")})
    assert r.status_code == 303
    assert client.get("/me").status_code == 302


def test_password_change_signs_out_other_sessions(app, make_user):
    user = make_user(phone="13811112222")
    phone_a, phone_b = app.test_client(), app.test_client()
    login(phone_a, "13811112222")
    login(phone_b, "13811112222")
    r = post_form(
        phone_a, "/me/password", {"current_password": PASSWORD, "password": "NewPass@2027", "confirm": "NewPass@2027"}
    )
    assert r.status_code == 303
    assert phone_a.get("/me").status_code == 200  # this session continues
    assert phone_b.get("/me").status_code == 302  # the other one is signed out
    assert login(app.test_client(), "13811112222", PASSWORD).status_code == 422
    assert login(app.test_client(), "13811112222", "NewPass@2027").status_code == 303
    assert user.id


def test_password_change_needs_the_current_password(client, make_user):
    login_as(client, make_user())
    r = post_form(
        client,
        "/me/password",
        {"current_password": "Wrong@2026", "password": "NewPass@2027", "confirm": "NewPass@2027"},
    )
    assert r.status_code == 422
    assert "当前密码不正确" in page_text(r)


# --- Signing out ends the session everywhere (issue 7, S2) ------------------------------------


def _cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token") if client.get_cookie(name)}


def _replay(app, name, value):
    """A fresh phone that sends only one captured cookie, as an attacker with a copy of it would."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other.get("/me")


def test_signing_out_with_keep_me_signed_in_ends_the_session(app, client, make_user):
    make_user(phone="13811112222")
    assert login(client, "13811112222", remember="y").status_code == 303
    old = _cookies(client)
    assert set(old) == {"session", "remember_token"}
    r = post_form(client, "/auth/logout", {}, token_from="/me")
    assert r.status_code == 303
    cleared = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cleared and ("Max-Age=0" in cleared[0] or "Expires=Thu, 01 Jan 1970" in cleared[0])
    assert client.get("/me").status_code == 302  # the same phone is signed out
    # Copies of the cookies taken before signing out open nothing any more.
    assert _replay(app, "remember_token", old["remember_token"]).status_code == 302
    assert _replay(app, "session", old["session"]).status_code == 302


def test_an_old_session_cookie_replayed_after_signing_out_is_not_signed_in(app, client, make_user):
    make_user(phone="13811112222")
    login(client, "13811112222")
    old = client.get_cookie("session").value
    assert _replay(app, "session", old).status_code == 200  # the copy works while the session lasts
    post_form(client, "/auth/logout", {}, token_from="/me")
    assert _replay(app, "session", old).status_code == 302
    assert login(app.test_client(), "13811112222").status_code == 303  # signing in again works


@pytest.mark.parametrize(
    "cookie_id", ["²:abc", "١:abc", "2147483648:abc", "99999999999999999999999:abc", "1" * 400 + ":x", ":", "x"]
)
def test_a_forged_user_id_in_the_session_is_simply_not_signed_in(client, make_user, cookie_id):
    make_user()
    with client.session_transaction() as sess:
        sess["_user_id"] = cookie_id
    r = client.get("/me")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_a_password_changed_while_the_old_one_is_being_checked_does_not_sign_in(app, client, make_user, monkeypatch):
    """The check runs outside the transaction (issue 7, S9), so the account is read again before it is used."""
    from sqlalchemy import text

    from portal.accounts import services
    from portal.extensions import db

    make_user(phone="13811112222")
    with app.app_context():
        real = services._hasher()

    class ResetWhileChecking:
        def verify(self, stored, password):
            with db.engine.begin() as other:  # an admin resets the password at this very moment
                other.execute(text("UPDATE users SET password_hash = 'reset' WHERE phone = '13811112222'"))
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(services, "_hasher", lambda: ResetWhileChecking())
    assert login(client, "13811112222").status_code == 422
    assert client.get("/me").status_code == 302
