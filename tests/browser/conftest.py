"""Browser tests: Debian's Chromium driven by Playwright against a live server.

* Every test here is marked ``browser`` and is skipped — loudly — when
  /usr/bin/chromium is missing. No browser is ever downloaded.
* The app runs in a werkzeug server thread on 127.0.0.1 (port chosen by the OS),
  on the same database as the factories in tests/conftest.py, which commit.
* Pages open at phone size by default (390×844, touch, WeChat user agent, zh-CN);
  ``desk_page`` is a 1280×800 desk browser.
* A test fails when a page logs a console error or an uncaught exception, when a
  request to the app fails or one of its assets answers ≥ 400 (a missing CSS file
  or icon sprite fails the test), and when a page asks any other origin for
  anything (no CDN, no tracker).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.support import DESK, PHONE, SCREENSHOTS

CHROMIUM = "/usr/bin/chromium"
MISSING_REASON = f"Chromium missing at {CHROMIUM}: apt-get install -y chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).resolve().parent

_skipped_for_chromium = 0


def _chromium_present() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


# --- Marking and skipping -------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder ``browser``; skip them all when Chromium is missing.

    tryfirst: the marker must be on the items before ``-m browser`` deselects.
    """
    global _skipped_for_chromium
    present = _chromium_present()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not present:
            item.add_marker(pytest.mark.skip(reason=MISSING_REASON))
            _skipped_for_chromium += 1


def _has_chinese_font() -> bool:
    if not shutil.which("fc-list"):
        return True  # cannot tell; say nothing
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    ran_browser = any(
        HERE in (config.rootpath / r.nodeid.split("::")[0]).resolve().parents
        for r in terminalreporter.stats.get("passed", [])
    )
    if ran_browser and not _has_chinese_font():
        terminalreporter.write_line(
            "NOTE: no Chinese font is installed, so Chinese text in tests/browser/screenshots shows as "
            "boxes (the tests themselves read the DOM and are not affected): apt-get install -y fonts-noto-cjk",
            yellow=True,
            bold=True,
        )
    if not _skipped_for_chromium:
        return
    skipped = sum(MISSING_REASON in str(r.longrepr) for r in terminalreporter.stats.get("skipped", []))
    if not skipped:
        return  # the browser tests were deselected anyway
    bar = "#" * 72
    terminalreporter.write_line("")
    terminalreporter.write_line(bar, red=True, bold=True)
    terminalreporter.write_line(f"##  WARNING: {skipped} browser test(s) were SKIPPED.", red=True, bold=True)
    terminalreporter.write_line(f"##  {MISSING_REASON}", red=True, bold=True)
    terminalreporter.write_line(bar, red=True, bold=True)


# --- The live server -------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log (one line per asset drowns a failure's output); errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass


def _buffered(wsgi_app):
    """Read each response whole and close it before werkzeug starts writing.

    When Chromium drops a connection mid-response (it cancels the favicon on navigation),
    werkzeug's dev server can skip closing the response iterator, and the open static file
    surfaces later as a ResourceWarning — an error under this project's filterwarnings,
    blamed on whichever test runs then. Responses here are small.
    """

    def app(environ, start_response):
        result = wsgi_app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()

    return app


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app served on 127.0.0.1 in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright's ``base_url``: page.goto("/auth/login") goes to the live server."""
    return live_server


# --- Chromium and contexts -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    args.setdefault("headless", True)
    args["executable_path"] = CHROMIUM
    args["args"] = [*args.get("args", []), *LAUNCH_ARGS]
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    """The default context is a phone: 390×844 @3x, touch, WeChat's user agent, zh-CN."""
    return {**browser_context_args, **PHONE, "base_url": live_server}


@pytest.fixture(scope="session", autouse=True)
def _screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


# --- Page problems: console errors, failed requests, other origins ---------------------------


@dataclass
class PageGuard:
    origin: str
    problems: list[str] = field(default_factory=list)
    # A page may answer these on purpose: a form with errors answers 422, one whose CSRF token
    # failed answers 400 (portal.core.forms.render_form). A test that means to open a 403 or
    # 404 page says so with allow_status().
    allowed_document_statuses: set[int] = field(default_factory=lambda: {400, 422})
    _error_documents: set[str] = field(default_factory=set)
    _pending_console: list[tuple[str, str]] = field(default_factory=list)
    _aborted: list[tuple[str, str]] = field(default_factory=list)

    def watch(self, context):
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.problems.append(f"uncaught page error: {error.error}"))
        context.on("request", self._on_request)
        context.on("requestfailed", self._on_request_failed)
        context.on("response", self._on_response)
        return context

    def allow_status(self, *statuses: int) -> None:
        self.allowed_document_statuses.update(statuses)

    def _same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def _on_console(self, message):
        if message.type != "error":
            return
        location = (message.location or {}).get("url", "")
        # Chromium logs "Failed to load resource: … status of 422" for a form page that
        # answers 422 on purpose; judge those once all responses are in (see check()).
        if message.text.startswith("Failed to load resource"):
            self._pending_console.append((message.text, location))
            return
        self.problems.append(f"console error: {message.text} (at {location or '?'})")

    def _on_request(self, request):
        url = request.url
        if url.startswith(("data:", "blob:", "about:", "chrome", "devtools:")):
            return
        if not self._same_origin(url):
            self.problems.append(f"request to another origin: {request.method} {url}")

    def _on_request_failed(self, request):
        if not self._same_origin(request.url):
            return  # already reported as a request to another origin
        if request.failure == "net::ERR_ABORTED" and request.method == "GET":
            # Either cancelled because the page navigated away (the lazily fetched favicon
            # often is), or — for a stylesheet or script answered by a 404 HTML page under
            # X-Content-Type-Options: nosniff — blocked with no response event at all.
            # check() asks the server again to tell the two apart.
            self._aborted.append((request.url, request.resource_type))
            return
        self.problems.append(
            f"request failed: {request.method} {request.url} ({request.resource_type}): {request.failure}"
        )

    def _on_response(self, response):
        if not self._same_origin(response.url) or response.status < 400:
            return
        request = response.request
        if request.resource_type == "document" and response.status in self.allowed_document_statuses:
            self._error_documents.add(response.url)
            return
        self.problems.append(f"HTTP {response.status} for {request.method} {response.url} ({request.resource_type})")

    def check(self) -> list[str]:
        problems = list(self.problems)
        for text, location in self._pending_console:
            if location not in self._error_documents:
                problems.append(f"console error: {text} (at {location or '?'})")
        for url in sorted({url for url, kind in self._aborted if kind != "document"}):
            status = _status_of(url)
            if status >= 400:
                problems.append(f"request failed: GET {url} was aborted, and it answers HTTP {status}")
        return problems


def _status_of(url: str) -> int:
    try:
        with urlopen(url, timeout=10) as response:  # the live server on 127.0.0.1 only
            return response.status
    except HTTPError as exc:
        return exc.code


_GUARD = pytest.StashKey[PageGuard]()


@pytest.fixture
def page_guard(request, live_server) -> PageGuard:
    guard = PageGuard(origin=live_server)
    request.node.stash[_GUARD] = guard
    return guard


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test whose pages logged errors or failed to load something fails, with the list."""
    try:
        result = yield
    except BaseException as exc:
        guard = item.stash.get(_GUARD, None)
        problems = guard.check() if guard else []
        if problems and hasattr(exc, "add_note"):
            exc.add_note("Problems seen in the browser:\n  " + "\n  ".join(problems))
        raise
    guard = item.stash.get(_GUARD, None)
    problems = guard.check() if guard else []
    if problems:
        raise AssertionError("Problems seen in the browser:\n  " + "\n  ".join(problems))
    return result


@pytest.fixture
def new_context(new_context, page_guard):
    """pytest-playwright's factory (phone defaults), every context watched for page problems."""

    def make(**kwargs):
        return page_guard.watch(new_context(**kwargs))

    return make


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def desk_context(browser, live_server, page_guard):
    """A 1280×800 desk browser (not a phone) on the live server."""
    context = page_guard.watch(browser.new_context(**DESK, base_url=live_server))
    yield context
    context.close()


@pytest.fixture
def desk_page(desk_context):
    return desk_context.new_page()
