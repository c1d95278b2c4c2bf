"""Request-level plumbing: security headers, error pages, template helpers."""

from __future__ import annotations

from urllib.parse import urlencode, urljoin, urlsplit

from flask import current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from portal.core import assets, i18n
from portal.core.errors import DomainError
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import parse_int
from portal.extensions import db

LARGE_TEXT_COOKIE = "large_text"


# --- Safe redirects ------------------------------------------------------------------


def is_safe_redirect(target: str | None) -> bool:
    """Only follow ``next=`` targets on this site (no scheme, no other host, no //host)."""
    if not target or target.startswith(("//", "\\")) or "\\" in target:
        return False
    ref = urlsplit(request.host_url)
    test = urlsplit(urljoin(request.host_url, target))
    return test.scheme in ("http", "https") and test.netloc == ref.netloc


def redirect_back(default_endpoint: str = "main.home", **values):
    """Redirect to ``next`` (form or query) or the referrer when they are on this site."""
    for target in (request.form.get("next"), request.args.get("next"), request.referrer):
        if is_safe_redirect(target):
            return redirect(target, code=303)
    return redirect(url_for(default_endpoint, **values), code=303)


# --- Hostile input ---------------------------------------------------------------------

# Ids are INTEGER columns (32-bit on PostgreSQL); a larger number would overflow in the driver.
MAX_DB_INTEGER = 2**31 - 1
MAX_PAGE = 10_000


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:…>`` that only matches ASCII digits an id column can hold.

    Werkzeug's own accepts any Unicode digit and any size; a number beyond the column's range
    then overflows in the database driver (a 500 on PostgreSQL). Beyond the range is a 404.
    """

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_DB_INTEGER, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _has_control_character(value: str) -> bool:
    # NUL (refused by PostgreSQL in text) and the other C0 controls apart from tab and line breaks.
    return any(ord(c) < 32 and c not in "\t\n\r" or c == "\x7f" for c in value)


def refuse_control_characters():
    """A NUL byte or another control character in a query or form field is a 400, with a reason."""
    values = [request.path]
    for multi in (request.args, request.form if request.method == "POST" else {}):
        for key, items in multi.lists() if multi else ():
            values.append(key)
            values.extend(items)
    if any(_has_control_character(v) for v in values):
        raise BadRequest(_("The request contains characters that are not allowed (such as a NUL byte)."))


def arg_int(name: str, default: int | None, *, low: int = 1, high: int = MAX_DB_INTEGER) -> int | None:
    """A query argument as a whole number; blank gives ``default``; anything else a clear 4xx."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    return parse_int(raw, low=low, high=high, field=name, label=name)


def page_arg() -> int:
    """``?page=`` for paginated lists."""
    return arg_int("page", 1, low=1, high=MAX_PAGE)


# --- Security headers -------------------------------------------------------------------


def _csp() -> str:
    img_extra = " ".join(current_app.config.get("CSP_IMG_SRC_EXTRA", ()))
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: {img_extra}".rstrip()
        + "; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _csp())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Pages (and images such as the member card) with personal data must not linger in caches.
    # The session says whether someone is signed in without touching the user row, which a commit
    # has expired by now (reading it would reload the user: four statements after every POST).
    if session.get("_user_id") is not None and request.endpoint != "static":
        headers["Cache-Control"] = "private, no-store"
    return response


# --- Templates ---------------------------------------------------------------------------


def large_text_enabled() -> bool:
    if current_user.is_authenticated:
        return bool(current_user.large_text)
    return request.cookies.get(LARGE_TEXT_COOKIE) == "1"


def language_switch():
    """The link to the other language, keeping the current path and query."""
    other = "en" if i18n.current_language() == "zh_CN" else "zh_CN"
    args = request.args.to_dict(flat=False)
    args["lang"] = [other]
    label = "English" if other == "en" else "中文"
    return {"url": f"{request.path}?{urlencode(args, doseq=True)}", "label": label, "lang": other}


def commit_action(work):
    """Run ``work`` — a service call, which flushes — and commit: the one commit of a request that
    changes something (``save_form`` uses it for forms). A refusal (``DomainError``) rolls back and
    is raised again, for the view or the standard handler to answer."""
    try:
        result = work()
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def write_during_read(work):
    """Do ``work`` (which flushes) and commit it, from a request that has so far only read (a GET):
    the reading transaction ends first and the write takes the lock at once (on SQLite a reader
    cannot always become a writer). Used where a page view must leave a trace before it answers —
    the review started, a staff view of a document."""
    from portal.core.db import write_transaction

    db.session.commit()
    with write_transaction():
        result = work()
        db.session.commit()
    return result


def path_for(endpoint: str, **values) -> str:
    """A site-relative URL that can be built outside a request (CLI, demo data, background work)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def url_with(**updates) -> str:
    """The current page's URL with some query arguments replaced (pagination, filters)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in updates.items() if v is not None})
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _unread_messages() -> int:
    if not current_user.is_authenticated:
        return 0
    if "unread_messages" not in g:
        from portal.core.notify import unread_count

        g.unread_messages = unread_count(current_user)
    return g.unread_messages


def template_context() -> dict:
    return {
        "html_lang": i18n.html_lang(),
        "current_language": i18n.current_language(),
        "language_switch": language_switch,
        "large_text": large_text_enabled,
        "unread_messages": _unread_messages,
        "site_name": _("Workers' Service Portal"),
    }


# --- Errors ----------------------------------------------------------------------------------

ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("No permission"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("What you sent is too large. Please send a smaller file.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a while and try again."),
    ),
    500: (_l("Something went wrong"), _l("Something went wrong on our side. Please try again later.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(code: int, message: str | None = None):
    title, text = (str(t) for t in ERROR_TEXT.get(code, ERROR_TEXT[500]))
    if wants_json():
        return jsonify(error=message or text), code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def handle_http_error(exc: HTTPException):
    code = exc.code or 500
    if code < 400:
        return exc
    # A message we raised ourselves (BadRequest("…")) is shown; Werkzeug's English defaults are not.
    message = exc.description if exc.description != type(exc).description else None
    return render_error(code, message)


def handle_csrf_error(exc: CSRFError):
    return render_error(
        400, _("This page has expired or could not be verified. Please go back, refresh and try again.")
    )


def handle_domain_error(exc: DomainError):
    db.session.rollback()
    if wants_json():
        return jsonify(error=str(exc.message)), exc.status_code
    if request.method == "POST" and exc.status_code not in (403, 404):
        flash(str(exc.message), "error")
        return redirect_back()
    return render_error(exc.status_code, str(exc.message))


def handle_unexpected_error(exc: Exception):
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500)


def init_app(app) -> None:
    # Before any blueprint adds its rules: every <int:…> in the app is the bounded one.
    app.url_map.converters["int"] = DatabaseIntegerConverter
    # JSON as UTF-8, not \uXXXX escapes: Chinese names take a third of the bytes on a slow network;
    # keys in the order written (sorting them is work no client needs).
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.before_request(refuse_control_characters)
    app.jinja_env.add_extension("jinja2.ext.do")
    i18n.install_template_gettext(app)
    # Globals (not context values) so that imported macros can use them too.
    app.jinja_env.globals.update(
        asset_url=assets.asset_url,
        svg_icon=assets.svg_icon,
        url_with=url_with,
        # Shared templates link to a module's pages only when that module is installed.
        has_endpoint=lambda endpoint: endpoint in current_app.view_functions,
    )
    app.after_request(security_headers)
    app.after_request(i18n.remember_language)
    app.context_processor(template_context)
    for name, fn in i18n.FILTERS.items():
        app.add_template_filter(fn, name)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.testing or app.config.get("HANDLE_UNEXPECTED_ERRORS"):
        app.register_error_handler(Exception, handle_unexpected_error)
