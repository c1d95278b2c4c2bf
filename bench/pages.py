"""How fast the pages a worker opens are, as a ratio to /healthz on the same server. Prints a table.

    .venv/bin/python bench/pages.py                       # SQLite, demo data
    .venv/bin/python bench/pages.py --database postgres   # the same on PostgreSQL (127.0.0.1:5432)
    .venv/bin/python bench/pages.py --rounds 5 --seconds 3

1. Makes a fresh database (SQLite file or a throwaway PostgreSQL database), migrates it and loads
   the demo data (`flask seed-demo`), exactly as `make run` does.
2. Serves the app with gunicorn, one sync worker. (With `make run`'s 2 workers × 4 threads, wrk's
   kept-alive connections spread unevenly over the workers and runs moved by 2×; one worker and
   one connection measure each request's own cost, which is what the ratio is about.)
3. Signs in the demo worker (a member) to get a session cookie for the pages behind sign-in.
4. For several rounds, runs wrk (`wrk -t1 -c1 -d<seconds>s`) against /healthz and every page in
   turn, interleaved, so that all see the same machine; a page's figure for a round is its req/s
   divided by /healthz req/s in that round; the table shows the median over the rounds.
   Absolute req/s move by 2× between runs on a shared 2-core machine; the ratio does not.
5. Prints each page's HTML size (uncompressed and with brotli, as a browser receives it).

Goal (issue 7): every page ≥ 0.5 × /healthz req/s and ≤ 60 KB of HTML.
Needs wrk (`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKER_PHONE, PASSWORD = "13800000001", "Demo@2026"  # the demo member (see README)
# One User-Agent for signing in and for wrk: Flask-Login ties a session to it, and a session seen
# with another one is re-marked (and its cookie re-sent) on every request, which a browser never does.
USER_AGENT = "portal-bench"

# (label, path, needs sign-in). {station} is replaced by a demo station's id.
PAGES = [
    ("首页 home", "/", False),
    ("找驿站 first visit", "/stations", False),
    ("找驿站 district", "/stations?region=230110", False),
    ("找驿站 near me", "/stations?lat=45.7077&lng=126.6626", False),
    ("驿站 detail", "/stations/{station}", False),
    ("驿站 map", "/stations/map?lat=45.7077&lng=126.6626", False),
    ("API nearby", "/api/v1/stations/nearby?lat=45.7077&lng=126.6626", False),
    ("入会 join landing", "/membership/join/230110-001", False),
    ("登录 login", "/auth/login", False),
    ("注册 register", "/auth/register", False),
    ("我的 me", "/me", True),
    ("会员证 card", "/me/card", True),
    ("入会 membership", "/membership", True),
    ("消息 messages", "/messages", True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


@contextmanager
def bench_database(kind: str, prefix: str, *, keep: bool = False):
    """A fresh database for a benchmark — a SQLite file in a temporary directory, or a throwaway
    PostgreSQL database beside postgresql://postgres@127.0.0.1:5432 — migrated and loaded with the
    demo data. Yields (env, url): the environment to run the app with. Removed afterwards unless
    ``keep``."""
    work = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    db_name = None
    if kind == "sqlite":
        url = f"sqlite:///{work / 'bench.db'}"
    else:
        db_name = f"{prefix.replace('-', '_')}_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db_name], check=True)
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORTAL_INSTANCE_DIR": str(work / "instance"),
        "RATELIMIT_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    try:
        flask(env, "db", "upgrade")
        flask(env, "seed-demo")
        yield env, url
    finally:
        if keep:
            print(f"kept: DATABASE_URL={url}")
        else:
            if db_name:
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", db_name])
            shutil.rmtree(work, ignore_errors=True)


@contextmanager
def gunicorn(env):
    """The app under gunicorn with one sync worker (each request's own cost), once /healthz answers.
    Yields (port, base URL)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen([*command, "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz").read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port, base
    finally:
        server.terminate()
        server.wait(timeout=10)


def wrk(url: str, seconds: int, cookie: str | None) -> float:
    command = ["wrk", "-t1", "-c1", f"-d{seconds}s", "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} responses were errors\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def visitor_cookie(base: str) -> str:
    """The cookie a browser holds after its first page with a form (the session with its CSRF token).

    wrk does not keep cookies: without this, every request of an anonymous page would make and sign a
    new session, which no browser causes."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    opener.open(f"{base}/auth/login").read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def sign_in(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    html = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "phone": WORKER_PHONE, "password": PASSWORD}).encode()
    opener.open(f"{base}/auth/login", data=data).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        raise SystemExit("could not sign in the demo worker")
    return cookie


def page_sizes(base: str, path: str, cookie: str | None) -> tuple[int, int]:
    sizes = []
    for encoding in ("identity", "br"):
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": encoding, "User-Agent": USER_AGENT})
        if cookie:
            request.add_header("Cookie", cookie)
        with urllib.request.urlopen(request) as response:
            sizes.append(len(response.read()))
    return sizes[0], sizes[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    with bench_database(args.database, "bench-pages") as (env, _url):
        flask(env, "assets", "compress")
        station = subprocess.run(
            [
                sys.executable,
                "-c",
                "from portal import create_app; from portal.extensions import db;"
                "app = create_app();"
                "ctx = app.app_context(); ctx.push();"
                "print(db.session.execute(db.text('SELECT min(id) FROM stations')).scalar())",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        with gunicorn(env) as (_port, base):
            _measure(args, base, station)


def _measure(args, base: str, station: str) -> None:
    cookie = sign_in(base)
    visitor = visitor_cookie(base)
    pages = [(label, path.format(station=station), signed_in) for label, path, signed_in in PAGES]

    print(f"database: {args.database}   server: gunicorn, 1 sync worker   wrk -t1 -c1 -d{args.seconds}s")
    print(f"rounds: {args.rounds} (interleaved)\n")
    for _label, path, signed_in in pages:  # warm up every page once, and check it answers 200
        wrk(base + path, 1, cookie if signed_in else visitor)
    ratios: dict[str, list[float]] = {label: [] for label, _p, _s in pages}
    rates: dict[str, list[float]] = {label: [] for label, _p, _s in pages}
    health: list[float] = []
    for _ in range(args.rounds):
        baseline = wrk(f"{base}/healthz", args.seconds, visitor)
        health.append(baseline)
        for label, path, signed_in in pages:
            rate = wrk(base + path, args.seconds, cookie if signed_in else visitor)
            rates[label].append(rate)
            ratios[label].append(rate / baseline)

    print(f"{'page':<22} {'path':<48} {'req/s':>7} {'÷ healthz':>9} {'HTML':>8} {'br':>7}  goal")
    print(f"{'/healthz':<22} {'/healthz':<48} {statistics.median(health):7.0f} {1:9.2f}")
    failed = 0
    for label, path, signed_in in pages:
        ratio = statistics.median(ratios[label])
        raw, compressed = page_sizes(base, path, cookie if signed_in else visitor)
        ok = ratio >= 0.5 and raw <= 60 * 1024
        failed += not ok
        print(
            f"{label:<22} {path[:48]:<48} {statistics.median(rates[label]):7.0f} {ratio:9.2f} "
            f"{raw / 1024:6.1f}KB {compressed / 1024:5.1f}KB  {'ok' if ok else 'MISSED'}"
        )
    print(f"\n{len(pages) - failed} of {len(pages)} pages meet the goal (≥ 0.5 × /healthz, ≤ 60 KB of HTML)")


if __name__ == "__main__":
    main()
