"""CSRF on every POST route, proved on real records.

For every rule in ``app.url_map`` that takes POST, a *maker* creates what the route is about —
an application of each registered kind, a station, a problem report, an account … — and a persona
who may act on it, and the URL is built with the real ids. Then:

* without a token, with a forged token and with another session's token the POST answers 400,
  and nothing changed: every table's rows (the audit trail included) are as before, the persona is
  still signed in, no cookie was set;
* the same POST as anonymous is refused too (400, or a redirect to the sign-in page);
* the same POST *with* a valid token is not refused: not 400, not 403/404/405, not sent to the
  sign-in page. This is what proves the refusals above came from the token check — a route that
  answers 404 before it looks at the token cannot pass.

Makers are keyed by endpoint (``ENDPOINTS``), or else by URL variable (``VARIABLES``, acting as an
admin). A POST route with a variable no maker knows fails the test at once ("add a maker for
<var>"); one whose default maker cannot reach it fails with what it answered. A new kind of
application needs a maker in ``KIND_MAKERS`` (tests/conftest.py): the staff routes are walked for
every kind in ``portal.core.workflow.KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

from portal.accounts.models import User
from portal.core import workflow
from portal.extensions import db, limiter
from tests.helpers import PASSWORD, csrf_token, login_as, next_number, unique_phone, valid_id_number

ANONYMOUS = None


@dataclass
class Case:
    """One POST to check: as whom, with which URL variables, and what the valid-token POST sends."""

    who: User | None  # signed in as (detached), or ANONYMOUS
    values: dict[str, object] = field(default_factory=dict)
    data: dict[str, object] = field(default_factory=dict)
    label: str = ""


@dataclass
class AidMade:
    applicant: User
    grassroots: User  # staff of GA1: the first review
    county: User  # staff of 香坊区: approval, case files
    public_id: str
    document: str  # a document's public id
    case: str | None = None  # the case file's public id, once open


class World:
    """What makers build with: the test's factories on the shared test tree. Every call makes new
    records, so one route's successful POST never spoils another's."""

    def __init__(self, app, tree, make_user, make_application, make_kind_application, add_stations):
        self.app, self.tree = app, tree
        self.make_user, self.make_application = make_user, make_application
        self.make_kind_application, self.add_stations = make_kind_application, add_stations

    @staticmethod
    def name() -> str:
        digits = "零一二三四五六七八九"
        return "测试" + "".join(digits[int(d)] for d in str(next_number()))

    def worker(self) -> User:
        return self.make_user("worker", name=self.name(), id_number=valid_id_number())

    def staff(self) -> User:
        """Staff of 香坊区 (county_a1): its grassroots unions' applications and its stations are theirs."""
        return self.make_user("staff", union=self.tree["county_a1"])

    def reviewer(self, kind: str) -> User:
        """Staff who may decide a new application of ``kind`` filed to GA1: of the union at the level
        its first stage names (the county's when the stage names none)."""
        level = workflow.KINDS[kind].stages[0].level
        unions = {"grassroots": "grassroots_a1", "county": "county_a1", "city": "city_a", "province": "province"}
        return self.make_user("staff", union=self.tree[unions.get(level, "county_a1")])

    def admin(self) -> User:
        return self.make_user("admin")

    def application(self, kind: str = "membership", *, status: str = "submitted"):
        """(applicant, application) of ``kind``, filed to 香坊区's GA1; ``needs_info``: asked for more."""
        applicant, application = self.make_kind_application(kind, self.tree["grassroots_a1"], self.name())
        if status == "needs_info":
            self._decide(application, "request_info", "请补充工作证明。")
        return applicant, application

    def member(self) -> User:
        applicant, application = self.application("membership")
        self._decide(application, "approve")
        return applicant

    def _decide(self, application, decision: str, note: str | None = None) -> None:
        reviewer = self.admin()
        with self.app.app_context():
            loaded = db.session.get(workflow.Application, application.id)
            workflow.decide(loaded, db.session.get(User, reviewer.id), decision, note)
            db.session.commit()

    def aid(self, stage: str) -> AidMade:
        """A hardship aid application of a member of GA1, with one document, brought to ``stage``:
        "draft", "submitted", "needs_info", "visited" (home visit recorded), "county" (recommended,
        at the county's approval), "notice" (approved, on public notice) or "case" (the notice is
        over: a case file is open)."""
        from decimal import Decimal

        from portal.aid.services import applications, casefiles, review
        from tests.aid.conftest import add_document, details, visit

        member = self.member()
        grassroots = self.make_user("staff", union=self.tree["grassroots_a1"])
        county = self.staff()
        with self.app.app_context():
            applicant = db.session.get(User, member.id)
            first, second = db.session.get(User, grassroots.id), db.session.get(User, county.id)
            application = applications.save_draft(applicant, details())
            document = add_document(application, applicant)
            if stage != "draft":
                applications.submit(application, applicant)
            if stage == "needs_info":
                workflow.decide(application, first, "request_info", "请补充收入证明。")
            if stage in ("visited", "county", "notice", "case"):
                visit(application, first)
            if stage in ("county", "notice", "case"):
                review.recommend(application, first, category="relative", amount=Decimal("3000"), note=None)
            if stage in ("notice", "case"):
                review.approve(application, second, category="relative", amount=Decimal("3000"), note=None)
            db.session.commit()
            made = AidMade(member, grassroots, county, application.public_id, document.public_id)
            if stage == "case":
                workflow.run_timed_stages(application.stage_due_at)
                made.case = casefiles.case_of(db.session.get(workflow.Application, application.id)).public_id
            return made

    def station(self) -> int:
        (station_id,) = self.add_stations([(45.71, 126.66)])
        return station_id

    def library(self) -> int:
        """A library of 香坊区 (county_a1): the staff() persona manages it."""
        from portal.libraries.services import directory

        with self.app.app_context():
            library = directory.create_library(
                None,
                {"name": f"书屋{next_number()}", "address": "路1号", "lat": 45.71, "lng": 126.66}
                | {"open_hours": "00:00-24:00", "union_code": self.tree["county_a1"].code},
            )
            db.session.commit()
            return library.id

    def closure(self, library_id: int) -> int:
        from portal.libraries.models import LibraryClosure

        with self.app.app_context():
            closure = LibraryClosure(library_id=library_id, day=date.today() + timedelta(days=20), reason="盘点")
            db.session.add(closure)
            db.session.commit()
            return closure.id

    def report(self) -> int:
        from portal.stations import reports
        from portal.stations.models import Station

        station_id, reporter = self.station(), self.worker()
        with self.app.app_context():
            report, _merged = reports.report_problem(
                db.session.get(User, reporter.id), db.session.get(Station, station_id), kind="closed", text="锁门了"
            )
            db.session.commit()
            return report.id


def _per_kind(make: Callable[[World, str], Case], kinds=lambda: workflow.KINDS) -> Callable[[World], list[Case]]:
    """One case per registered kind of application (or per kind ``kinds()`` names)."""

    def cases(w: World) -> list[Case]:
        return [make(w, kind) for kind in sorted(kinds())]

    return cases


def _staff_on(action_data: dict) -> Callable[[World, str], Case]:
    def make(w: World, kind: str) -> Case:
        _applicant, application = w.application(kind)
        return Case(w.reviewer(kind), {"public_id": application.public_id}, action_data, label=kind)

    return make


def _applicant_on(status: str, data: dict) -> Callable[[World, str], Case]:
    def make(w: World, kind: str) -> Case:
        applicant, application = w.application(kind, status=status)
        return Case(applicant, {"public_id": application.public_id}, data, label=kind)

    return make


def _membership_kinds():
    from portal.membership import services

    return services.KINDS  # the kinds the applicant's membership pages serve


def _bulk_approve(w: World) -> Case:
    _applicant, application = w.application()
    return Case(w.staff(), data={"ids": application.public_id, "confirmed": "yes"})


def _report_case(w: World) -> Case:
    return Case(w.staff(), {"report_id": w.report()}, {"note": "已修好"})


# endpoint → the cases that reach it. Endpoints not listed use VARIABLES below, as an admin.
ENDPOINTS: dict[str, Callable[[World], Case | list[Case]]] = {
    "auth.login": lambda w: Case(ANONYMOUS, data={"phone": unique_phone(), "password": PASSWORD}),
    "auth.register": lambda w: Case(
        ANONYMOUS,
        data={"phone": unique_phone(), "name": "张三", "password": PASSWORD, "confirm": PASSWORD, "agree": "y"},
    ),
    "auth.logout": lambda w: Case(w.worker()),
    "me.edit_profile": lambda w: Case(w.worker(), data={"name": "张三丰"}),
    "me.change_password": lambda w: Case(w.worker(), data={"current_password": PASSWORD}),
    "main.mark_messages_read": lambda w: Case(w.worker()),
    "main.text_size": lambda w: [Case(ANONYMOUS, data={"large": "1"}), Case(w.worker(), data={"large": "1"})],
    "aid.check": lambda w: Case(ANONYMOUS, data={"household_size": "3"}),
    "admin.new_user": lambda w: Case(w.admin(), data={"phone": unique_phone(), "name": "新同事", "role": "worker"}),
    "admin.edit_user": lambda w: Case(w.admin(), {"user_id": w.worker().id}, {"role": "worker", "active": "y"}),
    "membership.apply_form": lambda w: Case(w.worker(), data={"union_code": "GA1"}),
    "membership.withdraw": _per_kind(_applicant_on("submitted", {}), _membership_kinds),
    "membership.reply": _per_kind(_applicant_on("needs_info", {"reply": "已补充。"}), _membership_kinds),
    # A change of identity is answered with a reply only: its edit page sends the applicant there.
    "membership.edit_application": _per_kind(_applicant_on("needs_info", {}), lambda: ("membership", "transfer")),
    "membership.identity_change": lambda w: Case(w.member(), data={"real_name": "赵磊磊", "reason": "改名"}),
    "membership.leave": lambda w: Case(w.member(), data={"reason": "离职"}),
    "membership.transfer_form": lambda w: Case(w.member(), data={"union_code": "GA2", "reason": "搬家"}),
    "staff.decide": _per_kind(_staff_on({"decision": "approve"})),
    "staff.reveal_id": _per_kind(_staff_on({})),
    "staff.bulk_approve": _bulk_approve,
    "stations.detail": lambda w: Case(w.worker(), {"station_id": w.station()}, {"kind": "closed"}),
    "stations_staff.new": lambda w: Case(w.staff(), data={"name": "新驿站"}),
    "stations_staff.import_csv": lambda w: Case(w.staff()),
    "stations_staff.edit": lambda w: Case(w.staff(), {"station_id": w.station()}, {"name": "改名驿站"}),
    "stations_staff.toggle": lambda w: Case(w.staff(), {"station_id": w.station()}),
    "stations_staff.resolve": _report_case,
    "stations_staff.reveal_phone": _report_case,
}


def _aid(stage: str, who: str, data: dict | None = None, **values) -> Callable[[World], Case]:
    """A case on a hardship aid application at ``stage``, as its ``who`` ("applicant",
    "grassroots", "county" or "neighbour": another member), with the URL variables named by
    ``values`` (public_id / file_id / case / code → the application's, its document's, its case
    file's id, or a union code)."""

    def make(w: World) -> Case:
        made = w.aid(stage)
        person = w.worker() if who == "neighbour" else getattr(made, who)
        ids = {"public_id": made.public_id, "document": made.document, "case": made.case}
        return Case(person, {name: ids.get(source, source) for name, source in values.items()}, data or {})

    return make


ENDPOINTS.update(
    {
        "aid.apply": lambda w: Case(w.member()),
        "aid.edit": _aid("draft", "applicant", public_id="public_id"),
        "aid.upload": _aid("draft", "applicant", public_id="public_id"),
        "aid.delete_document": _aid("draft", "applicant", public_id="public_id", file_id="document"),
        "aid.submit": _aid("draft", "applicant", public_id="public_id"),
        "aid.reply": _aid("needs_info", "applicant", {"reply": "已补充。"}, public_id="public_id"),
        "aid.withdraw": _aid("submitted", "applicant", public_id="public_id"),
        "aid.object_to": _aid("notice", "neighbour", {"reason": "他家有车。"}, code="CA1", public_id="public_id"),
        "aid.record_visit": _aid("submitted", "grassroots", public_id="public_id"),
        "aid.recommend": _aid("visited", "grassroots", public_id="public_id"),
        "aid.approve": _aid("county", "county", public_id="public_id"),
        "aid.record_payment": _aid("case", "county", public_id="case"),
        "aid.recheck": _aid("case", "county", public_id="case"),
        "aid.close_case": _aid("case", "county", public_id="case"),
    }
)


def _calendar_day(w: World) -> Case:
    """An admin removing a holiday that is in the calendar."""
    from datetime import date

    from portal.core.time import CalendarDay

    day = date(2030, 1, 1) + timedelta(days=next_number() % 3000)
    with w.app.app_context():
        db.session.merge(CalendarDay(day=day, kind="holiday", name="测试假日"))
        db.session.commit()
    return Case(w.admin(), {"day": day.isoformat()})


ENDPOINTS["staff.calendar_remove"] = _calendar_day

# URL variable → a real value, for endpoints not in ENDPOINTS (checked as an admin). A variable of
# an ``any(…)`` converter needs no maker: every one of its values is checked.
VARIABLES: dict[str, Callable[[World], object]] = {
    "public_id": lambda w: w.application()[1].public_id,
    "station_id": lambda w: w.station(),
    "report_id": lambda w: w.report(),
    "user_id": lambda w: w.worker().id,
    "code": lambda w: "GA1",
}


def _post_rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())), key=lambda r: r.rule)


def _choices(rule: Rule) -> dict[str, list[str]]:
    return {name: sorted(c.items) for name, c in rule._converters.items() if isinstance(c, AnyConverter)}


def _missing_makers(rule: Rule) -> list[str]:
    if rule.endpoint in ENDPOINTS:
        return []
    return [name for name in sorted(rule.arguments) if name not in VARIABLES and name not in _choices(rule)]


def _cases(w: World, rule: Rule) -> list[Case]:
    if rule.endpoint in ENDPOINTS:
        made = ENDPOINTS[rule.endpoint](w)
        cases = made if isinstance(made, list) else [made]
    else:
        admin = w.admin()
        cases = [Case(admin, {name: VARIABLES[name](w) for name in rule.arguments if name in VARIABLES})]
    expanded = []
    for case in cases:  # every value of an any(…) variable the case leaves open
        variants = [case]
        for name, items in _choices(rule).items():
            if name not in case.values:
                variants = [
                    Case(c.who, {**c.values, name: item}, c.data, f"{c.label} {item}".strip())
                    for c in variants
                    for item in items
                ]
        expanded += variants
    return expanded


def _snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table (the audit trail and messages included), in key order."""
    with app.app_context():
        rows = {
            table.name: [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables
        }
        db.session.rollback()
    return rows


def _changed(before, after) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/auth/login" in response.headers.get("Location", "")


def _cookies_set(response) -> list[str]:
    return [c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie") if not c.startswith("session=")]


def _check(app, rule: Rule, case: Case, stranger_token: str) -> list[str]:
    """What is wrong with ``rule`` for ``case``; empty when the token check holds and is reached."""
    if set(rule.arguments) - set(case.values):
        return [
            f"{rule.rule}: the maker of {rule.endpoint} gives no value for {sorted(set(rule.arguments) - set(case.values))}"
        ]
    _domain, path = rule.build(case.values, append_unknown=False)
    who = "anonymous" if case.who is None else case.who.role
    where = f"POST {path} ({' '.join(filter(None, (rule.endpoint, case.label)))}, as {who})"
    client = app.test_client()
    if case.who is not None:
        login_as(client, case.who)
    token = csrf_token(client, "/")
    problems = []

    before = _snapshot(app)
    for token_label, sent in [
        ("no token", None),
        ("a forged token", "forged-token"),
        ("a stranger's token", stranger_token),
    ]:
        data = dict(case.data, **({"csrf_token": sent} if sent else {}))
        limiter.reset()  # sign-in and registration count attempts per address: a 429 would hide the answer
        r = client.post(path, data=data)
        if r.status_code != 400:
            problems.append(f"{where} with {token_label}: {r.status_code}, expected 400")
        if _cookies_set(r):
            problems.append(f"{where} with {token_label} set cookies {_cookies_set(r)}")
        limiter.reset()
        anonymous = app.test_client().post(path, data=data)
        if anonymous.status_code != 400 and not _is_login_redirect(anonymous):
            problems.append(f"{where} as anonymous with {token_label}: {anonymous.status_code}")
    changed = _changed(before, _snapshot(app))
    if changed:
        problems.append(f"{where} without a valid token changed {changed}")
    if case.who is not None and client.get("/me").status_code != 200:
        problems.append(f"{where} without a valid token signed the {who} out")

    limiter.reset()
    r = client.post(path, data=dict(case.data, csrf_token=token))
    if r.status_code in (400, 401, 403, 404, 405) or _is_login_redirect(r):
        problems.append(
            f"{where} WITH a valid token answered {r.status_code} {r.headers.get('Location', '')}: the route is "
            "not reached, so its refusals prove nothing — make the maker create a record this persona may act on "
            f"(ENDPOINTS[{rule.endpoint!r}] in tests/core/test_csrf.py)"
        )
    return problems


@pytest.fixture
def world(app, tree, make_user, make_application, make_kind_application, add_stations):
    return World(app, tree, make_user, make_application, make_kind_application, add_stations)


def test_every_post_route_and_url_variable_has_a_maker(app):
    missing = {rule.rule: _missing_makers(rule) for rule in _post_rules(app) if _missing_makers(rule)}
    assert not missing, "".join(
        f"\n{rule}: add a maker for <{name}> to VARIABLES (or one for its endpoint to ENDPOINTS)"
        for rule, names in missing.items()
        for name in names
    )


def test_every_post_route_refuses_a_missing_or_forged_csrf_token(app, world):
    """Whatever the route and whoever asks, a POST without a valid token is refused and changes
    nothing — on a record the persona may act on, so that the token check is what refuses it."""
    rules = _post_rules(app)
    assert len(rules) >= 25
    for rule in rules:
        if _missing_makers(rule):
            pytest.fail(f"{rule.rule}: add a maker for <{_missing_makers(rule)[0]}> in tests/core/test_csrf.py")
    stranger = app.test_client()
    stranger_token = csrf_token(stranger, "/")
    problems, checked = [], 0
    for rule in rules:
        for case in _cases(world, rule):
            problems += _check(app, rule, case, stranger_token)
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= len(rules) + 2 * len(workflow.KINDS)


def _open_plan(w: World) -> str:
    """A plan open for enrolment today (the demo plans' windows depend on the date)."""
    from tests.insurance.conftest import open_plan

    code = f"T{next_number()}"
    with w.app.app_context():
        open_plan(code)
        db.session.commit()
    return code


_PLAN_FORM = {
    "name": "测试住院互助",
    "family": "hospital",
    "plan_year": "2027",
    "contribution": "60",
    "coverage_start": "2027-01-01",
    "coverage_end": "2027-12-31",
    "enrol_from": "2026-12-01",
    "enrol_until": "2027-01-31",
    "given_with": "none",
    "is_active": "y",
    "benefit": "bands",
    "deductible": "500",
    "bands": "10000 50%\n以上 60%",
    "annual_cap": "30000",
}


def _pending_enrolment(w: World) -> Case:
    from portal.insurance import services
    from portal.insurance.models import InsurancePlan

    member, code = w.member(), _open_plan(w)
    with w.app.app_context():
        plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == code))
        enrolment = services.enrol_self(db.session.get(User, member.id), plan)
        db.session.commit()
        public_id = enrolment.public_id
    return Case(w.staff(), {"public_id": public_id}, {"reference": "收据1"})


def _claim(stage: str, who: str, data: dict | None = None, with_file: bool = False) -> Callable[[World], Case]:
    """A case on a claim of a member covered by an open plan, brought to ``stage`` ("draft",
    "needs_info" or "payout_approval"), as ``who`` ("applicant" or "county")."""

    def make(w: World) -> Case:
        from portal.core.time import local_today
        from portal.insurance import claims, services
        from portal.insurance.models import InsurancePlan
        from tests.aid.conftest import add_document
        from tests.insurance.conftest import claim_details

        member, code, county = w.member(), _open_plan(w), w.staff()
        grassroots = w.reviewer("insurance_claim")
        with w.app.app_context():
            plan = db.session.scalar(select(InsurancePlan).where(InsurancePlan.code == code))
            person = db.session.get(User, member.id)
            enrolment = services.enrol_self(person, plan)
            services.confirm_payment(enrolment, db.session.get(User, county.id), today=plan.coverage_start)
            claim = claims.draft_claim(person, enrolment, claim_details(local_today() - timedelta(days=10)))
            document = add_document(claim, person)
            if stage != "draft":
                claims.submit_claim(claim, person)
                decision = "request_info" if stage == "needs_info" else "approve"
                workflow.decide(claim, db.session.get(User, grassroots.id), decision, "请补充结算单。")
            db.session.commit()
            values = {"public_id": claim.public_id}
            if with_file:
                values["file_id"] = document.public_id
        return Case(member if who == "applicant" else county, values, data or {})

    return make


ENDPOINTS.update(
    {
        "insurance.enrol": lambda w: Case(w.member(), {"code": _open_plan(w)}, {"consent": "y"}),
        "insurance.confirm_payment": _pending_enrolment,
        "insurance.new_claim": lambda w: _new_claim(w),
        "insurance.claim_upload": _claim("draft", "applicant"),
        "insurance.submit_claim": _claim("draft", "applicant"),
        "insurance.claim_reply": _claim("needs_info", "applicant", {"reply": "已补充。"}),
        "insurance.withdraw_claim": _claim("draft", "applicant"),
        "insurance.staff_enrol": lambda w: Case(
            w.staff(), {}, {"plan": _open_plan(w), "ids": [str(w.member().id)], "paid_by": "union"}
        ),
        "insurance.staff_import": lambda w: Case(w.staff()),
        "insurance.admin_new_plan": lambda w: Case(w.admin(), {}, {**_PLAN_FORM, "code": f"N{next_number()}"}),
        "insurance.admin_edit_plan": lambda w: Case(
            w.admin(), {"code": (code := _open_plan(w))}, {**_PLAN_FORM, "code": code}
        ),
        "insurance.approve_claim": _claim(
            "payout_approval", "county", {"paid_on": date.today().isoformat(), "method": "bank"}
        ),
    }
)


# Worker libraries (finder and staff management).
_LIBRARY_FORM = {"name": "新书屋", "address": "路2号", "lat": "45.7", "lng": "126.6", "open_hours": "08:00-20:00"}


def _closure_case(w: World) -> Case:
    library_id = w.library()
    return Case(w.staff(), {"library_id": library_id, "closure_id": w.closure(library_id)})


ENDPOINTS.update(
    {
        "libraries_staff.new": lambda w: Case(w.staff(), {}, _LIBRARY_FORM),
        "libraries_staff.edit": lambda w: Case(w.staff(), {"library_id": w.library()}, _LIBRARY_FORM),
        "libraries_staff.closures": lambda w: Case(
            w.staff(), {"library_id": w.library()}, {"day": (date.today() + timedelta(days=9)).isoformat()}
        ),
        "libraries_staff.remove_closure": _closure_case,
        "libraries_staff.partners": lambda w: Case(w.staff(), {"library_id": w.library()}, {}),
    }
)


# Worker libraries (holds, loans and the desk): a title at a library of 香坊区 (the staff()
# persona's), reserved or lent to a member.
def _library_book(w: World) -> tuple[int, int, str]:
    from portal.core.isbn import isbn13_check_digit
    from portal.libraries.services import books

    library_id, body = w.library(), f"9787{next_number():08d}"
    isbn = body + isbn13_check_digit(body)
    with w.app.app_context():
        book_id = books.save_entry(library_id, books.EntryData(isbn=isbn, title="测试书")).entry.id
        db.session.commit()
    return library_id, book_id, isbn


def _library_hold(w: World, *, staff: bool) -> Case:
    from portal.libraries.services import holds

    library_id, book_id, _isbn = _library_book(w)
    member = w.member()
    with w.app.app_context():
        hold_id = holds.reserve(db.session.get(User, member.id), book_id).id
        db.session.commit()
    if staff:
        return Case(w.staff(), {"library_id": library_id, "hold_id": hold_id})
    return Case(member, {"hold_id": hold_id}, {"confirmed": "yes"})


def _library_loan(w: World) -> Case:
    from portal.libraries.services import loans

    library_id, _book_id, isbn = _library_book(w)
    member, staff = w.member(), w.staff()
    with w.app.app_context():
        loan_id = loans.lend(db.session.get(User, staff.id), library_id, db.session.get(User, member.id), isbn).id
        db.session.commit()
    return Case(member, {"loan_id": loan_id})


def _library_desk(w: World) -> Case:
    from portal.membership import services as membership

    library_id, _book_id, isbn = _library_book(w)
    member = w.member()
    with w.app.app_context():
        number = membership.membership_of(db.session.get(User, member.id)).member_number
    return Case(w.staff(), {"library_id": library_id}, {"action": "lend", "member": number, "isbn": isbn})


ENDPOINTS.update(
    {
        "libraries.reserve": lambda w: Case(w.member(), {"book_id": _library_book(w)[1]}, {"pickup": "library"}),
        "libraries.cancel_hold": lambda w: _library_hold(w, staff=False),
        "libraries.renew_loan": _library_loan,
        "libraries_staff.hold_ready": lambda w: _library_hold(w, staff=True),
        "libraries_staff.desk": _library_desk,
    }
)


# Worker libraries (visits): tomorrow's 10:00 slot at a library of 香坊区 (open all day).
def _library_slot() -> str:
    from datetime import UTC, datetime, time

    from portal.core.time import LOCAL_ZONE, local_today

    start = datetime.combine(local_today() + timedelta(days=1), time(10), tzinfo=LOCAL_ZONE)
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _library_visit(w: World) -> Case:
    from datetime import datetime

    from portal.libraries.services import visits

    library_id, worker = w.library(), w.worker()
    with w.app.app_context():
        start = datetime.fromisoformat(_library_slot())
        visit_id = visits.book(db.session.get(User, worker.id), library_id, start).visit.id
        db.session.commit()
    return Case(worker, {"visit_id": visit_id})


ENDPOINTS.update(
    {
        "libraries.book": lambda w: Case(w.worker(), {"library_id": w.library()}, {"slot": _library_slot()}),
        "libraries.cancel_visit": _library_visit,
        "libraries_staff.checkin": lambda w: Case(w.staff(), {"library_id": w.library()}, {"code": "ABCDEF"}),
    }
)

# Worker libraries (catalogue and search): the import form of a library of 香坊区 (no file sent:
# with a valid token the form itself answers, 422).
ENDPOINTS["libraries_staff.catalogue_upload"] = lambda w: Case(w.staff(), {"library_id": w.library()})


def _new_claim(w: World) -> Case:
    """The claim form posted by a covered member (its cover in the query string)."""
    made = _claim("draft", "applicant")(w)
    from portal.insurance.models import InsuranceClaim

    with w.app.app_context():
        claim = db.session.scalar(select(InsuranceClaim).where(InsuranceClaim.public_id == made.values["public_id"]))
        cover = claim.enrolment.public_id
    return Case(made.who, {}, {"cover": cover, "step": "preview", "started_on": date.today().isoformat()})
