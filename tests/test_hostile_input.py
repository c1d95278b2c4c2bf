"""Every route, asked with hostile ids and parameters by every kind of person: never a 5xx (issue 7, S6).

The walk discovers everything itself, so a route added later is walked without editing this file:

* routes come from ``app.url_map`` (GET and POST; ``static`` aside);
* path variables get a real record's value (so the view gets past its 404) and then each hostile
  value in turn — ``int`` variables included (beyond 64 bits must be a 404, not a driver overflow);
* query arguments and form fields are the ones the view really reads — recorded while it runs by a
  MultiDict that notes every key asked for (WTForms forms built from ``request.args`` or
  ``request.form`` included) — plus common names and every name the portal's code reads from
  ``request.args``/``request.form``;
* POSTs carry a valid CSRF token, so the handler really runs; every field the view reads also gets
  hostile CSV files (a file where the station importer expects one, and where a text field is), and
  the same names come once more in a JSON body as numbers, lists, objects, null and true;
* as anonymous, worker (with an application under review), member, staff and admin, each signed in
  again before each route, because some POSTs (sign out, password) end their own session.

An exception or a status ≥ 500 is a failure; the message lists every one (role, method, URL, fields).
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (which refuses NUL in text and integers
beyond 64 bits where SQLite does not).
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from flask import Request
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.routing import AnyConverter, IntegerConverter
from werkzeug.test import stream_encode_multipart

from portal.accounts.models import User
from portal.extensions import db, limiter
from tests.helpers import login_as, valid_id_number

ROLES = ("anonymous", "worker", "member", "staff", "admin")
HOSTILE = {
    "2**31": str(2**31),  # fits 64 bits, not PostgreSQL's INTEGER columns
    "2**63-1": str(2**63 - 1),
    "2**64": str(2**64),
    "10**30": str(10**30),
    "NUL": "1\x00",
    "superscript ²": "²",
    "Arabic-Indic ١": "١",
    "Arabic-Indic ٣": "٣٣",
    "10,000 characters": "x" * 10_000,
}
# Sent to each name on its own as well (the others go to every name at once and to each path
# variable): one of each kind, to keep the walk within its time budget. (² is the one that crashed
# int() after str.isdigit() said yes; ٣ is accepted by both, a wrong value rather than a 500.)
ONE_BY_ONE = ("10**30", "superscript ²", "10,000 characters")
# A header an importer accepts (the station importer's columns and more), so the hostile cell is read.
_CSV_HEADER = b"name,address,lat,lng,amenities,open_hours,union_code,external_id,phone\n"
HOSTILE_FILES = {
    "a CSV field over 131,072 characters": _CSV_HEADER + b"x" * 140_000 + b",addr,45.7,126.6,,24h,,,\n",
    "NUL in a CSV": _CSV_HEADER + b"A\x00B,addr\x00,45.7,126.6,,24h,,,\n",
    "not UTF-8": _CSV_HEADER + b"\xff\xfe\xfa,\x80\x81,1,1,,,,,\n",
}
HOSTILE_JSON = (10**30, ["a", 1], {"$gt": ""}, True)
COMMON_NAMES = (
    "page", "q", "region", "union", "union_code", "code", "limit", "radius_m", "lat", "lng", "status", "kind",
    "amenity", "next", "lang", "id", "ids", "role", "more", "open_now", "token", "note", "text", "decision",
)  # fmt: skip
PORTAL = Path(__file__).resolve().parents[1] / "portal"
_READS = re.compile(r"(?:request\.(?:args|form|values|files)(?:\.get(?:list)?\(|\[)|\barg_int\()\s*[\"']([^\"']+)[\"']")
# Sensible values for the arguments that are not being made hostile, so that a view which needs
# one argument before it reads the next (the API needs lat and lng before it reads limit) gets there.
GOOD_ARGS = {"lat": "45.71", "lng": "126.66", "page": "1", "limit": "5", "radius_m": "5000", "union": "GA1"}
TIME_BUDGET_S = 60  # per role (measured: 22–31 s each on PostgreSQL, with a second test process beside it)


def names_read_in_the_code() -> set[str]:
    return {m.group(1) for path in PORTAL.rglob("*.py") for m in _READS.finditer(path.read_text())}


# --- Recording which keys a view reads ---------------------------------------------------------------

_asked: set[str] = set()


class RecordingMultiDict(ImmutableMultiDict):
    """request.args / request.form / request.files that remember every key a view asks for."""

    def __getitem__(self, key):
        _asked.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        _asked.add(key)
        return super().get(key, default=default, type=type)

    def getlist(self, key, type=None):  # noqa: A002
        _asked.add(key)
        return super().getlist(key, type=type)

    def __contains__(self, key):
        _asked.add(key)
        return super().__contains__(key)


# --- The world the walk runs in --------------------------------------------------------------------


@pytest.fixture
def world(app, make_user, make_application, tree, add_stations):
    """Real records for path variables, so views get past "not found" with hostile arguments."""
    from portal.core import workflow
    from portal.membership import services as membership
    from portal.stations import reports
    from portal.stations.models import Station

    worker = make_user("worker", id_number=valid_id_number())
    application = make_application(worker, tree["grassroots_a1"])
    member = make_user("worker", id_number=valid_id_number())
    staff = make_user("staff", union=tree["county_a1"])
    joined = make_application(member, tree["grassroots_a1"])
    (station_id,) = add_stations([(45.7100, 126.6626)])
    with app.app_context():
        workflow.decide(db.session.get(workflow.Application, joined.id), db.session.get(User, staff.id), "approve")
        report, _merged = reports.report_problem(
            db.session.get(User, worker.id), db.session.get(Station, station_id), kind="other", text="门锁着。"
        )
        db.session.commit()
        report_id = report.id
        card_token = membership.card_token(membership.membership_of(db.session.get(User, member.id)))
    people = {"anonymous": None, "worker": worker, "member": member, "staff": staff, "admin": make_user("admin")}
    values = {
        "user_id": str(worker.id),
        "public_id": application.public_id,
        "code": "GA1",
        "union_code": "GA1",
        "station_id": str(station_id),
        "report_id": str(report_id),
        "token": card_token,
    }
    return people, values


def _phone_of(app, person):
    """A new phone (test client) with ``person`` signed in by their current session token."""
    client = app.test_client()
    if person is not None:
        with app.app_context():
            login_as(client, db.session.get(User, person.id))
    return client


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf_token(client) -> str | None:
    for url in ("/auth/login", "/me/edit", "/auth/register"):
        html = client.get(url).get_data(as_text=True)
        found = _TOKEN.search(html)
        if found:
            return found.group(1)
    return None


# --- Paths ----------------------------------------------------------------------------------------

_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _valid_value(rule, name: str, values: dict) -> str:
    converter = rule._converters[name]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if name in values:
        return values[name]
    return "1" if isinstance(converter, IntegerConverter) else "x"


def _path(rule, values: dict, override: tuple[str, str] | None = None) -> str:
    def fill(match):
        name = match.group(1)
        if override and override[0] == name:
            return quote(override[1], safe="")
        return quote(_valid_value(rule, name, values), safe="")

    return _VARIABLE.sub(fill, rule.rule)


def _routes(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    return sorted(rules, key=lambda r: r.rule)


# --- The walk -----------------------------------------------------------------------------------------


def _short(value, length: int = 40) -> str:
    text = str(value)
    return text if len(text) <= length else f"{text[:length]}…({len(text)} characters)"


class Walk:
    def __init__(self, app, client, role):
        self.app, self.client, self.role = app, client, role
        self.failures: list[str] = []
        self.requests = 0

    def send(
        self, method: str, url: str, form: dict | None = None, files: dict | None = None, json: dict | None = None
    ) -> set[str]:
        """One request; returns the keys the view asked for. Records a failure on an exception or a 5xx."""
        _asked.clear()
        self.requests += 1
        data = dict(form or {})
        for key, (filename, content) in (files or {}).items():
            data[key] = FileStorage(io.BytesIO(content), filename=filename, name=key)
        try:
            if method == "GET":
                status = self.client.get(url).status_code
            elif json is not None:
                status = self.client.post(url, json=json).status_code
            else:
                # Encoded in memory: above 500 KB the test client spools the body to a temporary file
                # that it never closes (a ResourceWarning, an error under this suite's filterwarnings).
                body, length, boundary = stream_encode_multipart(data, use_tempfile=False)
                status = self.client.post(
                    url,
                    input_stream=body,
                    content_length=length,
                    content_type=f"multipart/form-data; boundary={boundary}",
                ).status_code
        except Exception as exc:  # the test client re-raises what the app did not handle
            status = f"{type(exc).__name__}: {str(exc)[:200]}"
        if not isinstance(status, int) or status >= 500:
            shown = {
                k: f"file {v.filename}" if isinstance(v, FileStorage) else _short(v) for k, v in (json or data).items()
            }
            shown.pop("csrf_token", None)
            self.failures.append(f"{self.role} {method} {_short(url, 160)} {shown or ''} → {status}")
        return set(_asked)

    def learn(self, method: str, url: str, base: dict) -> set[str]:
        """The names a view reads (query and form alike): ask with nothing, then with good values for
        what it asked for, until it asks for nothing new."""
        read: set[str] = set()
        for _ in range(4):
            good = {k: v for k, v in GOOD_ARGS.items() if k in read}
            target = f"{url}?{urlencode(good)}" if good else url
            now = self.send(method, target, base) - {"csrf_token"}
            if now <= read:
                break
            read |= now
        return read


def _walk(app, role, people, values, extra_names):
    walk = Walk(app, None, role)
    routes = _routes(app)
    # GETs first, then POSTs: a POST that succeeds (withdraw, sign out) changes what later routes see.
    for method in ("GET", "POST"):
        for rule in routes:
            if method not in rule.methods:
                continue
            walk.client = _phone_of(app, people[role])
            token = _csrf_token(walk.client) if method == "POST" else None
            base = {"csrf_token": token} if token else {}
            url = _path(rule, values)
            read = walk.learn(method, url, base)
            good = {k: v for k, v in GOOD_ARGS.items() if k in read}

            def query(changes, good=good, url=url):
                return f"{url}?{urlencode({**good, **changes})}"

            for label, bad in HOSTILE.items():
                # Each path variable in turn.
                for name in rule.arguments:
                    walk.send(method, _path(rule, values, (name, bad)), base)
                # Every name at once, then each name the view really reads on its own.
                everything = {name: bad for name in read | extra_names}
                one_by_one = read if label in ONE_BY_ONE else set()
                if method == "GET":
                    walk.send("GET", query(everything))
                    for name in one_by_one:
                        walk.send("GET", query({name: bad}))
                else:
                    walk.send("POST", query(everything), {**everything, **base})
                    for name in one_by_one:
                        walk.send("POST", query({name: bad}), {name: bad, **base})
            if method == "POST":
                # Files where the view expects them (the station importer) and where it does not:
                # a file part named like a text field must not reach a text validator.
                for label, content in HOSTILE_FILES.items():
                    walk.send("POST", url, base, files={name: (f"{label}.csv", content) for name in read})
                # A JSON body with numbers, lists and objects where a form sends text.
                for odd in HOSTILE_JSON:
                    walk.send("POST", url, json={**{name: odd for name in read}, **base})
    return walk


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_hostile_input_with_a_server_error(app, world, role, monkeypatch):
    people, values = world
    monkeypatch.setattr(Request, "parameter_storage_class", RecordingMultiDict)
    monkeypatch.setattr(limiter, "enabled", False)  # thousands of POSTs: the handlers must run, not the limits
    started = time.monotonic()
    walk = _walk(app, role, people, values, set(COMMON_NAMES) | names_read_in_the_code())
    elapsed = time.monotonic() - started
    assert walk.requests > 300, walk.requests  # the walk really walked
    assert not walk.failures, f"{len(walk.failures)} server errors:\n  " + "\n  ".join(walk.failures[:60])
    assert elapsed < TIME_BUDGET_S, f"the walk as {role} took {elapsed:.0f} s for {walk.requests} requests"


def test_the_walk_finds_the_names_views_read(app, world, monkeypatch):
    """The recorder sees arguments read through request.args and through a WTForms form alike."""
    people, values = world
    monkeypatch.setattr(Request, "parameter_storage_class", RecordingMultiDict)
    client = app.test_client()
    walk = Walk(app, client, "anonymous")
    assert {"q", "region", "lat", "lng", "amenity"} <= walk.learn("GET", "/stations", {})
    assert {"lat", "lng", "limit", "radius_m", "amenity"} <= walk.learn("GET", "/api/v1/stations/nearby", {})
    assert {"phone", "password", "remember"} <= walk.learn("POST", "/auth/login", {"csrf_token": _csrf_token(client)})
    assert {"page", "q", "next"} <= names_read_in_the_code()
    with app.app_context():
        assert db.session.scalars(select(User.id)).first() is not None


def test_a_file_sent_as_a_text_field_is_not_typed_text(client):
    """Flask-WTF gave such a file to the text validators (a 500); the form now says the name is missing."""
    from tests.helpers import csrf_token, page_text

    form = {
        "csrf_token": csrf_token(client, "/auth/register"),
        "phone": "13812345678",
        "name": FileStorage(io.BytesIO("王小明".encode()), filename="name.txt", name="name"),
        "password": "Test@2026pw",
        "confirm": "Test@2026pw",
        "agree": "y",
    }
    r = client.post("/auth/register", data=form, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "请输入真实姓名" in page_text(r)


def test_a_json_body_is_not_a_form(client):
    from tests.helpers import csrf_token

    token = csrf_token(client, "/auth/login")
    r = client.post("/auth/login", json={"csrf_token": token, "phone": 13812345678, "password": ["x"]})
    assert r.status_code == 400  # nothing typed, no token: the form's own "page expired" answer
