"""City benchmark: N halls × D days × T tickets shipped into a real PostgreSQL, then the
city month report.

    python benchmarks/city_bench.py                       # small: 10 halls × 5 days × 300
    python benchmarks/city_bench.py --halls 150 --days 30 --tickets 1000   # the issue's 4.5 M (16 min)
    python benchmarks/city_bench.py --halls 2 --clone 150 --days 30 --tickets 1000   # the same city in ~4 min

One hall database is seeded (benchmarks/seed.py: the large hall, 72 windows, 174
services) and shipped N times under N hall codes (every hall's rows are its own in the
city: the keys differ), ``--parallel`` halls at a time. Prints rows per second, a hall's
catch-up after a day offline (one more seeded day shipped by one hall), and the city
report for the month by hall, by service and by department (median of 3). PostgreSQL
runs in a temporary folder with fsync on (``--no-fsync`` to compare).

``--clone N`` reaches N halls without shipping them all: after the real shipping of
``--halls`` halls, the first hall's records (every table, its day columns included)
are copied inside PostgreSQL under new hall codes (``INSERT … SELECT``), so the
report reads the same bytes as after a full ship. ``--keep`` leaves the cluster
running and prints its URL; ``--reuse URL`` only times the reports of such a city.
"""
from __future__ import annotations

import argparse
import os
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


def clone_halls(conn, source: str, codes: list[str]) -> dict[str, int]:
    """Copy every record of hall ``source`` under each of ``codes``, table by table, inside
    PostgreSQL: rows per table copied."""
    tables = [r[0] for r in conn.execute(
        "SELECT c.table_name FROM information_schema.columns c JOIN pg_class k ON k.relname = c.table_name "
        "AND k.relnamespace = 'city'::regnamespace WHERE c.table_schema = 'city' AND c.column_name = 'hall_code' "
        "AND k.relkind IN ('r', 'p') AND NOT k.relispartition ORDER BY 1").fetchall()]
    out = {}
    for table in tables:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'city' AND table_name = %s "
            "ORDER BY ordinal_position", (table,)).fetchall()]
        names = ", ".join(f'"{c}"' for c in cols)
        picks = ", ".join("h.code" if c == "hall_code" else f'x."{c}"' for c in cols)
        cur = conn.execute(f"INSERT INTO city.{table} ({names}) SELECT {picks} FROM city.{table} x "
                           "CROSS JOIN unnest(%s::text[]) AS h(code) WHERE x.hall_code = %s", (codes, source))
        out[table] = cur.rowcount
    # the clones' own database ids: a hall code is one queue database
    conn.execute("UPDATE city.halls SET source_id = source_id || '-' || hall_code WHERE hall_code = ANY(%s)",
                 (codes,))
    return out


def time_reports(conn, first: date, engines: tuple[str, ...], runs: int = 3) -> None:
    from city.report import build_city_report
    last = date(first.year + (first.month == 12), first.month % 12 + 1, 1) - timedelta(days=1)
    for engine in engines:
        for by in ("hall", "service", "department"):
            times, cpu = [], []
            for _ in range(runs):
                s, c = time.perf_counter(), time.process_time()
                rep = build_city_report(conn, first, last, by, engine=engine)
                times.append(time.perf_counter() - s)
                cpu.append(time.process_time() - c)
            print(f"city month report by {by} ({engine}): {statistics.median(times):.2f} s median of {runs} "
                  f"(min {min(times):.2f}, max {max(times):.2f}; report process CPU {statistics.median(cpu):.2f} s; "
                  f"{len(rep.rows)} rows, {rep.total.issued:,} issued; load average {os.getloadavg()[0]:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--halls", type=int, default=10, help="halls shipped for real")
    ap.add_argument("--clone", type=int, default=0, metavar="N",
                    help="then copy the first hall inside PostgreSQL until the city has N halls")
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--tickets", type=int, default=300, help="tickets per hall per day")
    ap.add_argument("--parallel", type=int, default=2, help="halls shipping at once")
    ap.add_argument("--batch", type=int, default=2000, help="[city] batch_size: events per city transaction")
    ap.add_argument("--no-fsync", action="store_true")
    ap.add_argument("--sql", action="store_true", help="also time the SQL engine (grouped queries over the rows)")
    ap.add_argument("--month", default="2026-10", help="the month seeded and reported (YYYY-MM)")
    ap.add_argument("--runs", type=int, default=3, help="times each report runs (the median is printed)")
    ap.add_argument("--keep", action="store_true", help="leave the PostgreSQL cluster running; print its URL")
    ap.add_argument("--reuse", metavar="URL", help="only time the reports of a city left by --keep")
    a = ap.parse_args()
    first = date.fromisoformat(a.month + "-01")
    engines = ("columns", "sql") if a.sql else ("columns",)
    if a.reuse:
        from city.schema import connect
        with connect(a.reuse, autocommit=True) as conn:
            time_reports(conn, first, engines, a.runs)
        return
    reason = PgCluster.available()
    if reason:
        sys.exit(f"cannot run: {reason}")
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
        if a.clone > a.halls:
            clones = [f"H{i:03d}" for i in range(a.halls, a.clone)]
            t0 = time.perf_counter()
            with connect(url) as conn:
                copied = clone_halls(conn, codes[0], clones)
                conn.commit()
            print(f"cloned hall {codes[0]} as {len(clones)} more halls inside PostgreSQL in "
                  f"{time.perf_counter() - t0:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in copied.items()))
        # a day offline: one more day in the hall's log, shipped by one hall
        seed_history(db, load_hall(CONFIG), days=1, per_day=a.tickets, start=first + timedelta(days=a.days), seed=99)
        close_days(db, first + timedelta(days=a.days), 1)
        code, ev, n, secs = _ship((str(db), bare, codes[0], a.batch))
        print(f"catch-up after a day offline: {n:,} rows ({ev:,} events) in {secs:.2f} s")
        with connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            size = conn.execute("SELECT pg_size_pretty(pg_database_size('city'))").fetchone()[0]
            tickets = conn.execute("SELECT count(*) FROM city.tickets").fetchone()[0]
            parts = " + ".join(f"coalesce(length({p}), 0)" for p in ("data", "base", "vals", "by_service", "by_hour",
                                                                     "by_window"))
            columns = conn.execute(f"SELECT count(*), pg_size_pretty(sum({parts})) FROM city.day_columns "
                                   "WHERE day BETWEEN %s AND %s", (first, first + timedelta(days=a.days - 1))
                                   ).fetchone()
            print(f"city database: {tickets:,} tickets, {size}; the month's day columns: {columns[0]:,} days, "
                  f"{columns[1]}")
            time_reports(conn, first, engines, a.runs)
        if a.keep:
            print(f"kept: --reuse {url}  (stop: {PG_BIN_HINT.format(data=cluster.data)}; then rm -r {cluster.dir})")
            cluster = None
    finally:
        if cluster is not None:
            cluster.remove()
        for p in work.iterdir():
            p.unlink()
        work.rmdir()


PG_BIN_HINT = "runuser -u nobody -- /usr/lib/postgresql/15/bin/pg_ctl -D {data} stop"


if __name__ == "__main__":
    main()
