"""Mutual medical insurance's speed goals (issue 9). Prints both figures.

    .venv/bin/python bench/insurance.py                 # SQLite
    .venv/bin/python bench/insurance.py --db postgres   # a throwaway PostgreSQL database
    .venv/bin/python bench/insurance.py --rows 10000 --pairs 300

1. The estimate API — GET /api/v1/insurance/plans/HOSP-2026/estimate?eligible_amount=8000 — at
   p50 ≤ 1.5 × /healthz, interleaved (each request right after a /healthz one, so both see the same
   machine), served by gunicorn with one sync worker, as bench/pages.py does.
2. Bulk enrolment from an .xlsx of --rows members (10,000) in < 30 s, memory bounded: --rows
   members of one grassroots union of 香坊区 are inserted in bulk, a sheet lists them (phone,
   HOSP-2027, 工会), and ``insurance.spreadsheets.import_xlsx`` enrols them as the county's staff
   (刘洋) would, then commits. Printed: the seconds, the enrolments made, and memory — Python's
   peak (tracemalloc) and the process's peak RSS before and after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import USER_AGENT, bench_database, gunicorn  # noqa: E402  (bench/pages.py: same set-up)

ESTIMATE = "/api/v1/insurance/plans/HOSP-2026/estimate?eligible_amount=8000"


def timed_get(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    connection.request("GET", path, headers={"User-Agent": USER_AGENT})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status}")
    return elapsed


def import_only(rows: int) -> None:
    """Child process (DATABASE_URL set): members inserted in bulk, the sheet written, then timed."""
    import resource
    import tracemalloc
    from datetime import date

    from openpyxl import Workbook
    from sqlalchemy import insert, select

    from portal import create_app
    from portal.accounts.models import User
    from portal.extensions import db
    from portal.insurance import spreadsheets
    from portal.membership.models import Membership
    from portal.unions.models import Union

    app = create_app()
    with app.app_context():
        union = db.session.scalar(select(Union).where(Union.code == "230110-001"))
        staff = db.session.scalar(select(User).where(User.phone == "13900000002"))
        password = db.session.scalar(select(User.password_hash).where(User.phone == "13800000001"))
        phones = [f"150{n:08d}" for n in range(rows)]
        db.session.execute(
            insert(User),
            [{"phone": p, "name": "批量职工", "password_hash": password, "role": "worker"} for p in phones],
        )
        ids = dict(db.session.execute(select(User.phone, User.id).where(User.phone.in_(phones))).all())
        db.session.execute(
            insert(Membership),
            [
                {
                    "user_id": ids[p],
                    "member_number": f"B{n:09d}",
                    "union_id": union.id,
                    "status": "active",
                    "joined_on": date(2026, 1, 1),
                }
                for n, p in enumerate(phones)
            ],
        )
        db.session.commit()
        sheet_path = Path(tempfile.mkdtemp(prefix="bench-insurance-xlsx-")) / "名单.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet("参保名单")
        sheet.append(["手机号", "项目编号", "缴费方式"])
        for p in phones:
            sheet.append([p, "HOSP-2027", "工会"])
        book.save(sheet_path)
        size = sheet_path.stat().st_size
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        start = time.perf_counter()
        with open(sheet_path, "rb") as stream:
            result = spreadsheets.import_xlsx(staff, stream, all_or_nothing=True, today=date(2026, 12, 5))
        db.session.commit()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        shutil.rmtree(sheet_path.parent, ignore_errors=True)
        print(
            json.dumps(
                {
                    "rows": result.rows,
                    "enrolled": result.enrolled,
                    "errors": result.error_count,
                    "seconds": round(seconds, 2),
                    "file_kb": round(size / 1024),
                    "python_peak_mb": round(peak, 1),
                    "rss_before_mb": round(rss_before),
                    "rss_after_mb": round(rss_after),
                }
            )
        )


def measure(db: str, rows: int, pairs: int) -> None:
    with bench_database(db, "bench-insurance") as (env, _url):
        with gunicorn(env) as (port, _base):
            for _ in range(20):
                timed_get(port, "/healthz")
                timed_get(port, ESTIMATE)
            health, estimate = [], []
            for _ in range(pairs):
                health.append(timed_get(port, "/healthz"))
                estimate.append(timed_get(port, ESTIMATE))
        h, e = statistics.median(health), statistics.median(estimate)
        verdict = "ok" if e / h <= 1.5 else "MISSED"
        print(
            f"\n{db}: estimate API p50 {e * 1000:.2f} ms, /healthz p50 {h * 1000:.2f} ms, "
            f"ratio {e / h:.2f} (goal ≤ 1.5) {verdict}  [{pairs} interleaved pairs]"
        )
        child = subprocess.run(
            [sys.executable, __file__, "--import-only", "--rows", str(rows)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise SystemExit(f"the import failed:\n{child.stderr[-3000:]}")
        made = json.loads(child.stdout.strip().splitlines()[-1])
        verdict = "ok" if made["seconds"] < 30 and made["enrolled"] == rows else "MISSED"
        print(
            f"{db}: .xlsx of {made['rows']:,} rows ({made['file_kb']} KB): {made['enrolled']:,} enrolled, "
            f"{made['errors']} errors, in {made['seconds']} s (goal < 30 s) {verdict}; Python peak "
            f"{made['python_peak_mb']} MB, process peak RSS {made['rss_before_mb']} → {made['rss_after_mb']} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--import-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_only:
        import_only(args.rows)
        return
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        measure(db, args.rows, args.pairs)


if __name__ == "__main__":
    main()
