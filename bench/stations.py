"""Benchmark of the rest-station finder at national scale. Prints its figures.

    .venv/bin/python bench/stations.py                    # 200,000 stations on SQLite
    .venv/bin/python bench/stations.py --database postgres # the same on PostgreSQL (127.0.0.1:5432)
    .venv/bin/python bench/stations.py --n 20000 --queries 200

1. Makes a fresh database (SQLite file, or a throwaway PostgreSQL database), migrates it and loads
   the union tree.
2. Writes N stations to a CSV file — most clustered around a few hundred town centres, the rest
   scattered over China — and times the command-line import (`flask stations import`).
3. Runs random nearby queries through the service function (`stations.services.nearby`) and, on a
   sample, a brute-force scan of every station — checking that both give the same answer.
4. Serves the app with gunicorn and times GET /api/v1/stations/nearby against GET /healthz on the
   same server (sequential requests over one kept-alive connection).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
AMENITIES = [
    "water",
    "microwave",
    "charging",
    "toilet",
    "rest",
    "aircon",
    "first_aid",
    "wifi",
    "ebike_charging",
    "books",
]
HOURS = ["24h", "08:00-20:00", "07:00-22:00", "Mon-Fri 08:30-17:30", "20:00-08:00"]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def towns(rng, count=400):
    # Towns across eastern and central China (where most stations are), a few in the west.
    return [
        (rng.uniform(20, 48), rng.uniform(100, 125))
        if rng.random() < 0.85
        else (rng.uniform(28, 45), rng.uniform(80, 100))
        for _ in range(count)
    ]


def write_csv(path: Path, n: int, rng: random.Random, centres) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "address", "lat", "lng", "amenities", "open_hours", "union_code"])
        for i in range(n):
            if rng.random() < 0.8:
                lat, lng = rng.choice(centres)
                lat, lng = lat + rng.gauss(0, 0.08), lng + rng.gauss(0, 0.08)
            else:
                lat, lng = rng.uniform(18.5, 53.5), rng.uniform(73.5, 134.5)
            amenities = ";".join(a for a in AMENITIES if rng.random() < 0.45)
            writer.writerow(
                [f"驿站{i:06d}", f"测试路{i}号", f"{lat:.6f}", f"{lng:.6f}", amenities, rng.choice(HOURS), ""]
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=check,
        capture_output=True,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000, help="stations to load (default 200,000)")
    parser.add_argument("--queries", type=int, default=1_000, help="random nearby queries (default 1,000)")
    parser.add_argument("--brute-force-sample", type=int, default=50, help="queries checked by a full scan")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (for profiling)")
    args = parser.parse_args()
    rng = random.Random(20261125)
    work = Path(tempfile.mkdtemp(prefix="bench-stations-"))
    print(f"work directory: {work}")
    db_name = None
    if args.database == "sqlite":
        url = f"sqlite:///{work / 'bench.db'}"
    else:
        db_name = f"bench_stations_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db_name], check=True)
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORTAL_INSTANCE_DIR": str(work / "instance"),
        "RATELIMIT_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
    }
    try:
        run(args, rng, work, env, url)
    finally:
        if db_name and args.keep:
            print(f"kept: {url}")
        elif db_name:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", db_name], check=False
            )


def run(args, rng, work, env, url) -> None:
    print(f"database: {args.database}  stations: {args.n:,}  queries: {args.queries:,}")
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")  # the union tree (and ~50 demo stations, which stay in the data)

    centres = towns(rng)
    csv_path = work / "stations.csv"
    write_csv(csv_path, args.n, rng, centres)
    started = time.monotonic()
    result = flask(env, "stations", "import", str(csv_path))
    import_s = time.monotonic() - started
    print(
        f"import: {args.n:,} rows in {import_s:.1f} s ({args.n / import_s:,.0f} rows/s) — "
        f"{result.stdout.strip().splitlines()[-1]}"
    )

    queries = []
    for _ in range(args.queries):
        if rng.random() < 0.9:
            lat, lng = rng.choice(centres)
            queries.append((lat + rng.gauss(0, 0.05), lng + rng.gauss(0, 0.05)))
        else:
            queries.append((rng.uniform(18.5, 53.5), rng.uniform(73.5, 134.5)))

    os.environ.update(env)
    from portal import create_app
    from portal.core.geo import haversine_m
    from portal.extensions import db
    from portal.stations import search, services
    from portal.stations.models import Station

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        for lat, lng in queries[:20]:  # warm the caches
            services.nearby(lat, lng)
        service_ms = []
        for lat, lng in queries:
            t = time.perf_counter()
            services.nearby(lat, lng)
            service_ms.append((time.perf_counter() - t) * 1000)
            db.session.rollback()
        brute_ms, mismatches = [], 0
        for lat, lng in queries[: args.brute_force_sample]:
            t = time.perf_counter()
            rows = db.session.execute(
                db.select(Station.id, Station.lat, Station.lng).where(Station.is_active.is_(True))
            ).all()
            expected = [sid for _, sid in sorted((haversine_m(lat, lng, a, b), sid) for sid, a, b in rows)[:20]]
            brute_ms.append((time.perf_counter() - t) * 1000)
            got = [h.station_id for h in search.nearest(lat, lng)]
            mismatches += got != expected
            db.session.rollback()
        db.engine.dispose()

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def timed(path):
            t = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
            return (time.perf_counter() - t) * 1000

        for lat, lng in queries[:50]:
            timed("/api/v1/stations/nearby?" + urlencode({"lat": f"{lat:.6f}", "lng": f"{lng:.6f}"}))
            timed("/healthz")
        api_ms, health_ms = [], []
        for lat, lng in queries:  # interleaved, so both see the same machine load
            api_ms.append(timed("/api/v1/stations/nearby?" + urlencode({"lat": f"{lat:.6f}", "lng": f"{lng:.6f}"})))
            health_ms.append(timed("/healthz"))
    finally:
        server.terminate()
        server.wait(timeout=10)

    def row(label, values):
        return f"  {label:<38} p50 {percentile(values, 50):8.2f} ms   p95 {percentile(values, 95):8.2f} ms"

    print("nearest 20 stations:")
    print(row("service function (stations.services.nearby)", service_ms))
    print(row(f"brute-force scan ({len(brute_ms)} queries)", brute_ms))
    print(row("HTTP GET /api/v1/stations/nearby", api_ms))
    print(row("HTTP GET /healthz (same server)", health_ms))
    ratio = statistics.median(api_ms) / statistics.median(health_ms)
    print(f"  endpoint p50 / healthz p50 = {ratio:.2f} (goal: ≤ 1.5 at 400,000 stations)")
    print(
        f"  exactness: {args.brute_force_sample - mismatches} of {args.brute_force_sample} sampled queries "
        f"equal the brute-force answer"
    )
    print(f"  speed-up over brute force (p50): {statistics.median(brute_ms) / statistics.median(service_ms):,.0f}×")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
