"""Worker libraries' speed goals (issue 10). Prints the figures.

    .venv/bin/python bench/libraries.py                   # SQLite
    .venv/bin/python bench/libraries.py --db postgres     # a throwaway PostgreSQL database
    .venv/bin/python bench/libraries.py --db both --titles 100000 --pairs 200

1. Catalogue search at --titles titles (100,000): the demo's three libraries get generated titles
   through the staff import (chunks of 20,000 rows, as a librarian would upload them; the time is
   printed), then /libraries/search for each kind of query — two and three Chinese characters, an
   author, a mixed Chinese/English title, an ISBN with hyphens, a one-library search — is timed
   right after a /healthz request (interleaved pairs, gunicorn with one sync worker, as
   bench/pages.py does). Goal: p50 ≤ 3 × /healthz. On PostgreSQL twice: right after the import,
   and after the pass autovacuum makes over new rows within a minute or so (run here directly).
2. The booking burst: 100 signed-in people press 预约 on the same 10-place slot at once, through
   gunicorn with 4 workers; printed: p50, p95 and the worst latency of a booking, and what became
   of them (10 booked, 90 waiting). Goal: p95 < 500 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from pages import USER_AGENT, bench_database, free_port, gunicorn  # noqa: E402  (bench/pages.py: same set-up)

QUERIES = {
    "2 characters (世界)": "/libraries/search?q=%E4%B8%96%E7%95%8C",
    "3 characters (劳动者)": "/libraries/search?q=%E5%8A%B3%E5%8A%A8%E8%80%85",
    "author (王建国)": "/libraries/search?q=%E7%8E%8B%E5%BB%BA%E5%9B%BD&field=author",
    "mixed title (Python编程)": "/libraries/search?q=Python%E7%BC%96%E7%A8%8B",
    "ISBN with hyphens": None,  # filled with a real ISBN once loaded
    "one library (平凡)": None,
}


def timed_get(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    connection.request("GET", path, headers={"User-Agent": USER_AGENT})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status}")
    return elapsed


def load_only(titles: int) -> None:
    """Child process (DATABASE_URL set): the titles imported through the staff import, as CSV files
    of 20,000 rows spread over the demo libraries. Prints JSON: seconds, an ISBN and a library id."""
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.models import User
    from portal.core.isbn import isbn13_check_digit
    from portal.extensions import db
    from portal.libraries.demo import generated_titles
    from portal.libraries.models import Library
    from portal.libraries.services import catalogue_import

    app = create_app()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.phone == "13900000009"))
        libraries = list(db.session.scalars(select(Library.id).order_by(Library.id)))
        made = generated_titles(titles, seed=7)
        rng = random.Random(7)
        started = time.perf_counter()
        chunk = 20_000
        isbn = None
        for n, first in enumerate(range(0, titles, chunk)):
            rows = ["ISBN,书名,作者,出版社,出版年,中图法分类号,册数"]
            for i, entry in enumerate(made[first : first + chunk]):
                body = f"9797{(first + i):08d}"  # 979-7…: apart from the demo's own 978-7… titles
                number = body + isbn13_check_digit(body)
                isbn = isbn or number
                rows.append(
                    f"{number},{entry.title},{entry.author},{entry.publisher},{entry.year},{entry.clc},"
                    f"{rng.choice([1, 1, 2, 3])}"
                )
            data = ("\n".join(rows) + "\n").encode()
            catalogue_import.import_catalogue(admin, libraries[n % len(libraries)], data, "catalogue.csv")
            db.session.commit()
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": round(seconds, 1), "isbn": isbn, "library": libraries[0]}))


def search_figures(env, pairs: int, isbn: str, library_id: int) -> None:
    queries = dict(QUERIES)
    queries["ISBN with hyphens"] = f"/libraries/search?q={isbn[:3]}-{isbn[3]}-{isbn[4:9]}-{isbn[9:12]}-{isbn[12]}"
    queries["one library (平凡)"] = f"/libraries/search?q=%E5%B9%B3%E5%87%A1&library={library_id}"
    with gunicorn(env) as (port, _base):
        for path in queries.values():  # warm up
            for _ in range(10):
                timed_get(port, "/healthz")
                timed_get(port, path)
        health_all, search_all = [], []
        for label, path in queries.items():
            health, search = [], []
            for _ in range(pairs):
                health.append(timed_get(port, "/healthz"))
                search.append(timed_get(port, path))
            h, s = statistics.median(health), statistics.median(search)
            health_all += health
            search_all += search
            print(f"  {label:28} p50 {s * 1000:6.2f} ms  (/healthz {h * 1000:.2f} ms)  ratio {s / h:.2f}")
        h, s = statistics.median(health_all), statistics.median(search_all)
        verdict = "ok" if s / h <= 3 else "MISSED"
        print(
            f"  all queries: p50 {s * 1000:.2f} ms, /healthz {h * 1000:.2f} ms, ratio {s / h:.2f} (goal ≤ 3) {verdict}"
        )


def _start_workers(env, workers: int):
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen([*command, "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    import urllib.request

    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def burst_figures(env, url: str, bookers: int) -> None:
    """100 people, signed in, press 预约 at the same instant (gunicorn, 4 workers)."""
    from tests.concurrency.conftest import Browser  # the suite's small HTTP client with cookies

    child = subprocess.run(
        [sys.executable, __file__, "--burst-setup", "--bookers", str(bookers)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if child.returncode:
        raise SystemExit(f"the set-up failed:\n{child.stderr[-3000:]}")
    setup = json.loads(child.stdout.strip().splitlines()[-1])
    server, base = _start_workers(env, 4)
    try:

        def sign_in(phone):
            browser = Browser(base)
            browser.login(phone, "Demo@2026")
            return browser, browser.token(f"/libraries/{setup['library']}/book")

        with ThreadPoolExecutor(max_workers=8) as pool:
            people = list(pool.map(sign_in, setup["phones"]))
        barrier = threading.Barrier(len(people))

        def book(person):
            browser, token = person
            barrier.wait()
            started = time.perf_counter()
            status, _body, _headers = browser.request(
                f"/libraries/{setup['library']}/book", {"slot": setup["slot"], "csrf_token": token}
            )
            return status, time.perf_counter() - started

        with ThreadPoolExecutor(max_workers=len(people)) as pool:
            results = list(pool.map(book, people))
    finally:
        server.terminate()
        server.wait(timeout=15)
    latencies = sorted(seconds for _status, seconds in results)
    statuses = {s for s, _ in results}
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    counts = subprocess.run(
        [sys.executable, __file__, "--burst-count", "--slot-key", setup["key"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    verdict = "ok" if p95 < 0.5 else "MISSED"
    print(
        f"  {bookers} bookers at once: p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"(goal < 500 ms on PostgreSQL: {verdict}), worst {latencies[-1] * 1000:.0f} ms; statuses {sorted(statuses)}; {counts}"
    )


def burst_setup(bookers: int) -> None:
    """Child process: a 10-place slot tomorrow at 10:00 and ``bookers`` people (the demo password)."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from portal import create_app
    from portal.accounts.models import User
    from portal.core.time import local_today
    from portal.extensions import db
    from portal.libraries.services import directory, slots

    app = create_app()
    with app.app_context():
        password = db.session.scalar(select(User.password_hash).where(User.phone == "13800000001"))
        phones = [f"151{n:08d}" for n in range(bookers)]
        db.session.execute(
            insert(User),
            [{"phone": p, "name": "压测读者", "password_hash": password, "role": "worker"} for p in phones],
        )
        library = directory.create_library(
            None,
            {"name": "压测职工书屋", "address": "测试路1号", "lat": 45.75, "lng": 126.64, "open_hours": "24h"}
            | {"slot_minutes": 60, "places_per_slot": 10, "union_code": "230110"},
        )
        db.session.commit()
        tomorrow = local_today() + timedelta(days=1)
        slot = next(
            s for s in slots.slots_for_day(library, tomorrow) if s.start.astimezone(slots.LOCAL_ZONE).hour == 10
        )
        print(
            json.dumps(
                {
                    "library": library.id,
                    "phones": phones,
                    "slot": slot.start.strftime("%Y-%m-%dT%H:%MZ"),
                    "key": slot.key,
                }
            )
        )


def burst_count(key: str) -> None:
    from sqlalchemy import func, select

    from portal import create_app
    from portal.core.capacity import CapacityClaim, CapacityPool
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        pool = db.session.scalar(select(CapacityPool).where(CapacityPool.key == key))
        waiting = db.session.scalar(
            select(func.count(CapacityClaim.id)).where(
                CapacityClaim.pool_id == pool.id, CapacityClaim.status == "waiting"
            )
        )
        print(f"{pool.taken} booked of {pool.capacity}, {waiting} waiting")


def vacuum_catalogue(url: str) -> None:
    """What PostgreSQL's autovacuum does within a minute or so of a bulk import (its insert
    threshold): statistics for the planner and the visibility map for index-only scans."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for table in ("library_books", "library_book_grams", "capacity_pools"):
            connection.execute(text(f"VACUUM (ANALYZE) {table}"))
    engine.dispose()


def measure(db: str, titles: int, pairs: int, bookers: int) -> None:
    print(f"\n== {db} ==")
    with bench_database(db, "bench-libraries") as (env, url):
        child = subprocess.run(
            [sys.executable, __file__, "--load-only", "--titles", str(titles)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise SystemExit(f"loading the titles failed:\n{child.stderr[-3000:]}")
        loaded = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"  {titles:,} titles imported (CSV, 20,000 rows a file) in {loaded['seconds']} s")
        if db == "postgres":
            print("  right after the import (no statistics yet, no visibility map):")
            search_figures(env, pairs, loaded["isbn"], loaded["library"])
            vacuum_catalogue(url)
            print("  after autovacuum's pass over the new rows (VACUUM ANALYZE of the catalogue's tables):")
        search_figures(env, pairs, loaded["isbn"], loaded["library"])
        burst_figures(env, url, bookers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--titles", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--bookers", type=int, default=100)
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--burst-setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--burst-count", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--slot-key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only:
        load_only(args.titles)
    elif args.burst_setup:
        burst_setup(args.bookers)
    elif args.burst_count:
        burst_count(args.slot_key)
    else:
        for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
            measure(db, args.titles, args.pairs, args.bookers)


if __name__ == "__main__":
    main()
