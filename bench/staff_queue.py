"""How fast the staff review queue is with 50,000 applications, as a ratio to /healthz. Prints a table.

    .venv/bin/python bench/staff_queue.py                          # SQLite and PostgreSQL, 50,000
    .venv/bin/python bench/staff_queue.py --db sqlite --count 50000 --pairs 200
    .venv/bin/python bench/staff_queue.py --db postgres --keep     # leave the database for EXPLAIN

1. Makes a fresh database (a SQLite file in a temporary directory, or a throwaway PostgreSQL
   database beside postgresql+psycopg://postgres@127.0.0.1:5432/test, dropped at the end), migrates
   it (`flask db upgrade`) and loads the demo data (`flask seed-demo`), as bench/pages.py does.
2. Adds grassroots unions (30 more under 香坊区, 3 more under every other county) and inserts
   --count applications in bulk (executemany, not the services one by one), every NOT NULL column
   and the joined-table row of each kind filled: membership 70 %, transfer 10 %, change of name or
   ID number 8 %, hardship aid 12 %; spread evenly over the grassroots unions (香坊区 holds about
   8 % of them) and over about 0.7 × count applicants (one open application per person and group,
   as the unique open_key demands); 77 % approved, 9 % rejected, 4 % withdrawn (a tenth of them
   before they were ever sent: no submitted_at, listed last), 1.5 % drafts (which staff never
   see), 1.5 % waiting for the applicant, 7 % awaiting review (submitted in the last 45 days; aid
   ones at first review, county approval or on public notice). Decided ones were submitted over
   the last three years. Aid applications get their household's first member (本人). PostgreSQL is
   then vacuumed and analysed (as autovacuum would soon do); SQLite gets no ANALYZE (the portal
   never runs it), so its planner works without statistics, as in a deployment.
3. Serves the app with gunicorn, one sync worker (as bench/pages.py: one worker and one connection
   measure each request's own cost), signs in the county staff of 香坊区 (13900000002) and the
   admin (13900000009).
4. For --pairs rounds, requests every (account, page) in turn, each right after a /healthz request
   (interleaved, so that all see the same machine), timing each request from connect to the last
   byte. A page's figure is the median (p50) of its times ÷ the median of the /healthz requests
   paired with it. /me, signed in as the county staff, is measured the same way for reference: a
   page that does almost nothing beyond what every signed-in page does (not part of the goal).

Goal (the staff queue issue): the first page of each ≤ 3 × /healthz (p50), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import USER_AGENT, bench_database, gunicorn  # noqa: E402  (bench/pages.py: same set-up)

PASSWORD = "Demo@2026"  # noqa: S105 (the demo accounts' password, see README)
ACCOUNTS = [("county 香坊区", "13900000002"), ("admin", "13900000009")]
PAGES = [
    ("default (awaiting)", "/staff/reviews"),
    ("waiting for me", "/staff/reviews?mine=1"),
    ("aid · county approval", "/staff/reviews?kind=aid&stage=aid:county_approval"),
    ("all statuses", "/staff/reviews?status=all"),
]
# Not part of the goal: a signed-in page that does almost nothing (the account's name, four links),
# to show what any page of a signed-in staff member costs before it does its own work.
REFERENCE = ("reference: /me", "/me")
GOAL = 3.0


# --- Loading the applications (runs in a child process with the app configured) -------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉鹏飞宇浩然欣怡佳琪子轩梓涵雨"
KIND_SHARES = [("membership", 70), ("transfer", 10), ("identity_change", 8), ("aid", 12)]
STATUS_SHARES = [
    ("approved", 770),
    ("rejected", 90),
    ("withdrawn", 40),
    ("draft", 15),
    ("needs_info", 15),
    ("submitted", 60),
    ("resubmitted", 10),
]
AID_STAGES = [("first_review", 5), ("county_approval", 3), ("notice", 2)]
GROUPS = {"membership": "membership", "transfer": "membership", "identity_change": "identity", "aid": "aid"}


def _pick(rng: random.Random, shares):
    return rng.choices([v for v, _w in shares], weights=[w for _v, w in shares])[0]


def load(count: int, seed: int = 2026) -> dict:
    """Insert the unions, applicants and ``count`` applications. Returns what was made."""
    from sqlalchemy import func, insert, select, text

    from portal import create_app
    from portal.accounts.models import User
    from portal.aid.models import AidApplication, AidHouseholdMember
    from portal.core.workflow import Application
    from portal.extensions import db
    from portal.membership.models import (
        IdentityChangeApplication,
        Membership,
        MembershipApplication,
        TransferApplication,
    )
    from portal.unions.models import Union

    rng = random.Random(seed)
    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        session = db.session
        now = datetime.now(UTC)

        def next_id(model) -> int:
            return (session.scalar(select(func.max(model.id))) or 0) + 1

        # Grassroots unions: 30 more under 香坊区, 3 more under every other county.
        counties = session.scalars(select(Union).where(Union.level == "county").order_by(Union.id)).all()
        union_id = next_id(Union)
        union_rows = []
        for county in counties:
            extra = 30 if county.code == "230110" else 3
            base = county.name.removesuffix("总工会")
            for n in range(1, extra + 1):
                kind = rng.choice(["enterprise", "community_federation", "industry_federation"])
                union_rows.append(
                    {
                        "id": union_id,
                        "code": f"{county.code}-B{n:03d}",
                        "name": f"{base}第{n}{'企业' if kind == 'enterprise' else '社区'}工会",
                        "level": "grassroots",
                        "kind": kind,
                        "parent_id": county.id,
                        "path": f"{county.path}{union_id}/",
                        "depth": county.depth + 1,
                        "region_code": county.region_code,
                        "is_active": True,
                        "created_at": now,
                    }
                )
                union_id += 1
        session.execute(insert(Union.__table__), union_rows)
        grassroots = session.scalars(select(Union.id).where(Union.level == "grassroots")).all()
        reviewers = session.scalars(select(User.id).where(User.role.in_(("staff", "admin")))).all()

        # Applicants: about 0.7 per application, so some have several.
        n_users = max(int(count * 0.7), 1)
        user_id = next_id(User)
        first_user = user_id
        password_hash = session.scalar(select(User.password_hash).where(User.phone == "13900000002"))
        user_rows = []
        for i in range(n_users):
            user_rows.append(
                {
                    "id": user_id + i,
                    "phone": f"135{i:08d}",
                    "name": "".join(rng.choice(s) for s in (SURNAMES, GIVEN, GIVEN)[: 3 if rng.random() < 0.6 else 2]),
                    "password_hash": password_hash,
                    "role": "worker",
                    "union_id": rng.choice(grassroots),
                    "large_text": False,
                    "is_active_account": True,
                    "session_token": secrets.token_urlsafe(12),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for chunk in range(0, len(user_rows), 5000):
            session.execute(insert(User.__table__), user_rows[chunk : chunk + 5000])

        app_id = next_id(Application)
        member_id = next_id(Membership)
        household_id = next_id(AidHouseholdMember)
        rows = {"applications": [], "membership": [], "transfer": [], "identity_change": [], "aid": []}
        memberships, members, open_keys = {}, [], set()
        counts: dict[tuple[str, str, str | None], int] = {}
        for i in range(count):
            aid = app_id + i
            kind = _pick(rng, KIND_SHARES)
            status = _pick(rng, STATUS_SHARES)
            applicant = first_user + rng.randrange(n_users)
            union = rng.choice(grassroots)
            open_ = status in ("draft", "needs_info", "submitted", "resubmitted")
            key = f"{GROUPS[kind]}:{applicant}"
            if open_ and key in open_keys:
                status, open_ = "approved", False  # one open application per person and group
            if open_:
                open_keys.add(key)
            awaiting = status in ("submitted", "resubmitted")
            if status == "draft" or (status == "withdrawn" and rng.random() < 0.1):  # a draft, or withdrawn unsent
                submitted = None
                created = now - timedelta(days=rng.uniform(0, 30))
            elif open_:
                submitted = now - timedelta(days=rng.uniform(0, 45))
                created = submitted - timedelta(minutes=rng.uniform(2, 60))
            else:
                submitted = now - timedelta(days=rng.uniform(5, 3 * 365))
                created = submitted - timedelta(minutes=rng.uniform(2, 60))
            if kind == "aid":
                stage = _pick(rng, AID_STAGES) if awaiting else ("first_review" if status == "needs_info" else None)
            else:
                stage = "review" if status in ("submitted", "resubmitted", "needs_info") else None
            decided = not open_ and status != "withdrawn"
            decided_at = submitted + timedelta(days=rng.uniform(0.2, 10)) if decided else None
            counts[(kind, status, stage)] = counts.get((kind, status, stage), 0) + 1
            rows["applications"].append(
                {
                    "id": aid,
                    "public_id": secrets.token_urlsafe(12),
                    "kind": kind,
                    "applicant_id": applicant,
                    "union_id": union,
                    "status": status,
                    "stage": stage,
                    "stage_due_at": now + timedelta(days=rng.uniform(0.5, 7)) if stage == "notice" else None,
                    "version": 1 if status == "draft" else rng.randint(2, 4),
                    "open_key": key if open_ else None,
                    "consent_version": None if status == "draft" else "2026-11",
                    "consented_at": submitted,
                    "submitted_at": submitted,
                    "review_started_at": (
                        submitted + timedelta(hours=rng.uniform(1, 48))
                        if submitted and (not awaiting or rng.random() < 0.4)
                        else None
                    ),
                    "decided_at": decided_at,
                    "decided_by_id": rng.choice(reviewers) if decided else None,
                    "last_note": "材料不全，请补充" if status in ("needs_info", "rejected") else None,
                    "created_at": created,
                    "updated_at": decided_at or submitted or created,
                }
            )
            if kind == "membership":
                rows["membership"].append(
                    {
                        "id": aid,
                        "real_name": "职工",
                        "ethnicity": "01",
                        "education": rng.choice(["junior", "senior", "college", "bachelor"]),
                        "political_status": None,
                        "employment_type": rng.choice(["delivery_rider", "courier", "truck_driver", "other"]),
                        "platform": rng.choice(["meituan", "eleme", None]),
                        "employer": "香坊站",
                        "work_region_code": None,
                    }
                )
            elif kind == "transfer":
                if applicant not in memberships:
                    memberships[applicant] = member_id
                    members.append(
                        {
                            "id": member_id,
                            "user_id": applicant,
                            "member_number": f"B{member_id:011d}",
                            "union_id": rng.choice(grassroots),
                            "status": "active",
                            "joined_on": (now - timedelta(days=rng.uniform(400, 3000))).date(),
                            "card_version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    member_id += 1
                rows["transfer"].append(
                    {
                        "id": aid,
                        "membership_id": memberships[applicant],
                        "from_union_id": rng.choice(grassroots),
                        "reason": "换了工作单位",
                    }
                )
            elif kind == "identity_change":
                rows["identity_change"].append(
                    {"id": aid, "old_name": "张三", "new_name": "张叁", "reason": "户口本上的名字改了"}
                )
            else:
                rows["aid"].append(
                    {
                        "id": aid,
                        "region_code": "230110",
                        "area": rng.choice(["urban", "rural"]),
                        "annual_income": rng.randrange(6000, 40000),
                        "essential_spending": rng.randrange(0, 20000),
                        "medical_spending": rng.randrange(0, 30000),
                        "main_cause": rng.choice(["illness", "disability", "unemployment", "other"]),
                        "secondary_causes": "",
                        "account": "家里有人生病，收入不够用。",
                        "help_type": rng.choice(["living", "medical", "schooling"]),
                        "amount_requested": rng.randrange(500, 5000),
                        "bank_name": "",
                        "recommended_category": "relative" if stage in ("county_approval", "notice") else None,
                        "recommended_amount": 2000 if stage in ("county_approval", "notice") else None,
                        "approved_category": "relative" if stage == "notice" or status == "approved" else None,
                        "approved_amount": 2000 if stage == "notice" or status == "approved" else None,
                    }
                )
                rows.setdefault("household", []).append(
                    {
                        "id": household_id,
                        "application_id": aid,
                        "position": 0,
                        "relation": "self",
                        "name": "本人",
                        "age": rng.randint(25, 60),
                        "health": rng.choice(["healthy", "chronic"]),
                        "occupation": "",
                        "monthly_income": rng.randrange(0, 3000),
                    }
                )
                household_id += 1

        def bulk(table, data):
            for chunk in range(0, len(data), 5000):
                session.execute(insert(table), data[chunk : chunk + 5000])

        bulk(Membership.__table__, members)
        bulk(Application.__table__, rows["applications"])
        bulk(MembershipApplication.__table__, rows["membership"])
        bulk(TransferApplication.__table__, rows["transfer"])
        bulk(IdentityChangeApplication.__table__, rows["identity_change"])
        bulk(AidApplication.__table__, rows["aid"])
        bulk(AidHouseholdMember.__table__, rows.get("household", []))
        if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("unions", "users", "applications", "memberships", "aid_household_members"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"))
        session.commit()
        # PostgreSQL's autovacuum analyses (and vacuums) a table after such an insert by itself: done
        # here at once so that every run starts from that state. SQLite is left as the app leaves
        # it, without ANALYZE statistics: nothing in the portal runs ANALYZE.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        xiangfang = session.scalar(select(Union.path).where(Union.code == "230110"))
        in_xiangfang = session.scalar(
            select(func.count(Application.id))
            .join(Union, Union.id == Application.union_id)
            .where(Union.path.startswith(xiangfang))
        )
        return {
            "applications": session.scalar(select(func.count(Application.id))),
            "in_xiangfang": in_xiangfang,
            "awaiting": session.scalar(
                select(func.count(Application.id)).where(Application.status.in_(("submitted", "resubmitted")))
            ),
            "applicants": n_users,
            "grassroots_unions": len(grassroots),
            "seconds": round(time.perf_counter() - started, 1),
            "by_kind_status_stage": {f"{k}/{s}/{g}": n for (k, s, g), n in sorted(counts.items(), key=str)},
        }


# --- Serving and timing ---------------------------------------------------------------------------


def sign_in(base: str, phone: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    html = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "phone": phone, "password": PASSWORD}).encode()
    opener.open(f"{base}/auth/login", data=data).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        raise SystemExit(f"could not sign in {phone}")
    return cookie


def timed_get(port: int, path: str, cookie: str) -> tuple[float, bytes]:
    """One request on a new connection (a sync worker closes it after each answer), connect to last byte."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Cookie": cookie, "Accept-Encoding": "identity"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return elapsed, body


def shown_total(body: bytes) -> str:
    """The page's total: "262", or ">1,000" where the queue stopped counting (超过1,000份申请)."""
    text = body.decode()
    capped = re.search(r"超过([\d,]+)份申请|More than ([\d,]+) applications", text)
    if capped:
        return ">" + (capped.group(1) or capped.group(2))
    match = re.search(r"([\d,]+)\s*(?:份申请|applications?\b)", text)
    return match.group(1) if match else "0"


def measure(db: str, count: int, pairs: int, keep: bool) -> list[dict]:
    results = []
    with bench_database(db, "bench-staff-queue", keep=keep) as (env, _url):
        loaded = subprocess.run(
            [sys.executable, __file__, "--load-only", "--count", str(count)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if loaded.returncode:
            raise SystemExit(f"loading the applications failed:\n{loaded.stderr[-3000:]}")
        made = json.loads(loaded.stdout.strip().splitlines()[-1])
        print(
            f"\n{db}: {made['applications']:,} applications ({made['awaiting']:,} awaiting review, "
            f"{made['in_xiangfang']:,} in 香坊区), {made['applicants']:,} applicants, "
            f"{made['grassroots_unions']} grassroots unions; loaded in {made['seconds']} s"
        )
        with gunicorn(env) as (port, base):
            _measure(db, port, base, pairs, results)
    return results


def _measure(db: str, port: int, base: str, pairs: int, results: list) -> None:
    cookies = {label: sign_in(base, phone) for label, phone in ACCOUNTS}
    cases = [(account, label, path) for account, _phone in ACCOUNTS for label, path in PAGES]
    cases.append((ACCOUNTS[0][0], *REFERENCE))
    times = {case: [] for case in cases}
    health = {case: [] for case in cases}
    totals = {}
    for case in cases:  # warm up, check each answers 200, read the total it shows
        for _ in range(5):
            _t, body = timed_get(port, case[2], cookies[case[0]])
        totals[case] = shown_total(body)
        timed_get(port, "/healthz", cookies[case[0]])
    for _ in range(pairs):
        for case in cases:
            health[case].append(timed_get(port, "/healthz", cookies[case[0]])[0])
            times[case].append(timed_get(port, case[2], cookies[case[0]])[0])
    for case in cases:
        page, baseline = statistics.median(times[case]), statistics.median(health[case])
        results.append(
            {
                "db": db,
                "account": case[0],
                "page": case[1],
                "path": case[2],
                "shown": totals[case],
                "p50_ms": page * 1000,
                "p90_ms": (statistics.quantiles(times[case], n=10)[-1] if pairs > 1 else page) * 1000,
                "healthz_ms": baseline * 1000,
                "ratio": page / baseline,
                "reference": case[1] == REFERENCE[0],
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--count", type=int, default=50_000, help="applications to insert")
    parser.add_argument("--pairs", type=int, default=200, help="interleaved /healthz + page pairs per page")
    parser.add_argument("--keep", action="store_true", help="keep the database (and print its URL)")
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)  # child: DATABASE_URL set
    args = parser.parse_args()
    if args.load_only:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(load(args.count), ensure_ascii=False))
        return

    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"server: gunicorn, 1 sync worker; {args.pairs} interleaved pairs (/healthz, page) per page")
    rows = [row for database in databases for row in measure(database, args.count, args.pairs, args.keep)]
    print(
        f"\n{'db':<9}{'account':<14}{'page':<23}{'shown':>7}{'p50 ms':>9}{'p90 ms':>9}{'healthz':>9}{'ratio':>7}  goal"
    )
    missed = counted = 0
    for r in rows:
        ok = r["ratio"] <= GOAL
        if not r["reference"]:
            counted += 1
            missed += not ok
        print(
            f"{r['db']:<9}{r['account']:<14}{r['page']:<23}{r['shown'] if not r['reference'] else '':>7}"
            f"{r['p50_ms']:9.2f}{r['p90_ms']:9.2f}{r['healthz_ms']:9.2f}{r['ratio']:7.2f}  "
            + ("(not a goal)" if r["reference"] else "ok" if ok else "MISSED")
        )
    print(f"\n{counted - missed} of {counted} pages meet the goal (p50 ≤ {GOAL:g} × /healthz p50)")


if __name__ == "__main__":
    main()
