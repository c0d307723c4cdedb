"""City benchmark: N halls × D days × T tickets shipped into a real PostgreSQL, then the
city month report.

    python benchmarks/city_bench.py                       # small: 10 halls × 5 days × 300
    python benchmarks/city_bench.py --halls 150 --days 30 --tickets 1000   # the issue's 4.5 M

One hall database is seeded (benchmarks/seed.py: the large hall, 72 windows, 174
services) and shipped N times under N hall codes (every hall's rows are its own in the
city: the keys differ), ``--parallel`` halls at a time. Prints rows per second, a hall's
catch-up after a day offline (one more seeded day shipped by one hall), and the city
report for the month by hall, by service and by department (median of 3). PostgreSQL
runs in a temporary folder with fsync on (``--no-fsync`` to compare).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.seed import seed_history  # noqa: E402
from config import HALLS_DIR, load_hall  # noqa: E402
from config.schema import City  # noqa: E402
from tests.pg_helpers import SUPER_PASSWORD, PgCluster  # noqa: E402

CONFIG = HALLS_DIR / "large.toml"


def close_days(db: Path, first: date, days: int) -> None:
    """The day_closed events a hall writes each morning (benchmarks/seed.py writes none):
    shipping them stores each day's columns for the fast reports."""
    import json
    import sqlite3
    from datetime import datetime
    conn = sqlite3.connect(db)
    with conn:
        for i in range(days):
            day = first + timedelta(days=i)
            at = datetime.combine(day + timedelta(days=1), datetime.min.time()).timestamp() + 8 * 3600
            conn.execute("INSERT INTO events (at, day, kind, data) VALUES (?, ?, 'day_closed', ?)",
                         (at, (day + timedelta(days=1)).isoformat(),
                          json.dumps({"closed_day": day.isoformat(), "expired": 0, "unfinished": 0})))
    conn.close()


def _ship(args) -> tuple[str, int, int, float]:
    db, url, code, batch = args
    from city.ship import Shipper
    cfg = load_hall(CONFIG)
    s = Shipper(db, City(database=url, hall_code=code, batch_size=batch), f"大厅{code}", cfg.services, cfg.windows,
                password=SUPER_PASSWORD)
    try:
        res = s.ship()
    finally:
        s.close()
    return code, res.events, res.total_rows, res.seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--halls", type=int, default=10)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--tickets", type=int, default=300, help="tickets per hall per day")
    ap.add_argument("--parallel", type=int, default=2, help="halls shipping at once")
    ap.add_argument("--batch", type=int, default=2000, help="[city] batch_size: events per city transaction")
    ap.add_argument("--no-fsync", action="store_true")
    ap.add_argument("--sql", action="store_true", help="also time the SQL engine (grouped queries over the rows)")
    ap.add_argument("--month", default="2026-10", help="the month seeded and reported (YYYY-MM)")
    a = ap.parse_args()
    reason = PgCluster.available()
    if reason:
        sys.exit(f"cannot run: {reason}")
    first = date.fromisoformat(a.month + "-01")
    work = Path(tempfile.mkdtemp(prefix="city-bench-"))
    db = work / "hall.sqlite"
    t0 = time.perf_counter()
    seeded = seed_history(db, load_hall(CONFIG), days=a.days, per_day=a.tickets, start=first)
    close_days(db, first, a.days)
    print(f"seeded one hall: {seeded['tickets']:,} tickets in {time.perf_counter() - t0:.1f} s")
    cluster = PgCluster(fsync=not a.no_fsync, settings={"shared_buffers": "256MB", "max_wal_size": "4GB",
                                                        "checkpoint_timeout": "30min"}).start()
    try:
        url = cluster.create_database("city")
        from city.report import build_city_report
        from city.schema import connect, migrate
        with connect(url) as conn:
            migrate(conn)
        bare = url.replace(f":{SUPER_PASSWORD}@", "@")
        codes = [f"H{i:03d}" for i in range(a.halls)]
        t0 = time.perf_counter()
        events = rows = 0
        per_hall = []
        with ProcessPoolExecutor(max_workers=a.parallel) as pool:
            for code, ev, n, secs in pool.map(_ship, [(str(db), bare, c, a.batch) for c in codes]):
                events, rows = events + ev, rows + n
                per_hall.append(secs)
        wall = time.perf_counter() - t0
        print(f"shipped {a.halls} halls × {a.days} days × {a.tickets} tickets: {rows:,} rows "
              f"({events:,} events) in {wall:.1f} s = {rows / wall:,.0f} rows/s, {events / wall:,.0f} events/s "
              f"({a.parallel} at a time; one hall {statistics.median(per_hall):.1f} s median)")
        # a day offline: one more day in the hall's log, shipped by one hall
        seed_history(db, load_hall(CONFIG), days=1, per_day=a.tickets, start=first + timedelta(days=a.days), seed=99)
        close_days(db, first + timedelta(days=a.days), 1)
        code, ev, n, secs = _ship((str(db), bare, codes[0], a.batch))
        print(f"catch-up after a day offline: {n:,} rows ({ev:,} events) in {secs:.2f} s")
        with connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            size = conn.execute("SELECT pg_size_pretty(pg_database_size('city'))").fetchone()[0]
            tickets = conn.execute("SELECT count(*) FROM city.tickets").fetchone()[0]
            print(f"city database: {tickets:,} tickets, {size}")
            last = date(first.year + (first.month == 12), first.month % 12 + 1, 1) - timedelta(days=1)
            for engine in ("columns", "sql") if a.sql else ("columns",):
                for by in ("hall", "service", "department"):
                    times = []
                    for _ in range(3):
                        s = time.perf_counter()
                        rep = build_city_report(conn, first, last, by, engine=engine)
                        times.append(time.perf_counter() - s)
                    print(f"city month report by {by} ({engine}): {statistics.median(times):.2f} s median of 3 "
                          f"(min {min(times):.2f}, {len(rep.rows)} rows, {rep.total.issued:,} issued)")
    finally:
        cluster.remove()
        for p in work.iterdir():
            p.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
