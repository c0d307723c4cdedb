"""Report speed on a year of history: a month's report must take under one second.

    python benchmarks/report_bench.py                       # seeds 365 days x 5,000 tickets in a temp dir
    python benchmarks/report_bench.py --db year.sqlite      # reuses (or creates) that database

Prints the time of a day's, a month's and a year's report for each grouping, and of
rendering the month in each format. Figures are wall-clock on this machine.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import HALLS_DIR, load_hall  # noqa: E402
from hall.db import connect  # noqa: E402
from hall.reports import GROUPINGS, build_report  # noqa: E402
from jiaohao.report import FORMATS, render  # noqa: E402


def timed(fn, repeat: int = 3) -> tuple[float, float, object]:
    """(first run, median of the runs, result) in seconds."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times[0], statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="queue database to use; seeded first if it does not exist")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=5000)
    ap.add_argument("--config", default=str(HALLS_DIR / "large.toml"))
    ap.add_argument("--start", type=date.fromisoformat, default=date(2025, 11, 1))
    a = ap.parse_args()
    cfg = load_hall(a.config)
    db = Path(a.db) if a.db else Path(tempfile.mkdtemp(prefix="jiaohao-bench-")) / "year.sqlite"
    if not db.exists():
        from seed import seed_history
        print(f"seeding {a.days} days x {a.per_day} tickets into {db} …", flush=True)
        info = seed_history(db, cfg, a.days, a.per_day, a.start)
        print(f"  seeded {info['tickets']} tickets in {info['seconds']:.0f} s")
    t0 = time.perf_counter()
    conn = connect(db)  # applies pending migrations (the report indexes) once
    first, last = conn.execute("SELECT min(day), max(day) FROM tickets").fetchone()
    n = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    conn.close()
    print(f"database {db}: {n} tickets, {first} .. {last}, {db.stat().st_size / 2**20:.0f} MiB "
          f"(open + migrate {time.perf_counter() - t0:.2f} s)")
    end = date.fromisoformat(last)
    month_end = end.replace(day=1) - timedelta(days=1)
    month = (month_end.replace(day=1), month_end)
    spans = {"day": (end, end), "month": month, "year": (date.fromisoformat(first), end)}
    print(f"month = {month[0]} .. {month[1]}; times: first run / median of 3, seconds")
    print(f"{'by':<11} {'day':>15} {'month':>15} {'year':>15}")
    worst = 0.0
    for by in GROUPINGS:
        cells = []
        for span, (d0, d1) in spans.items():
            f, med, _ = timed(lambda: build_report(db, d0, d1, by), repeat=1 if span == "year" else 3)
            cells.append(f"{f:6.3f} / {med:6.3f}")
            if span == "month":
                worst = max(worst, med)
        print(f"{by:<11} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15}")
    report = build_report(db, *month, "service", hall=cfg.hall.name)
    print("render the month by service:")
    for fmt in FORMATS:
        f, med, data = timed(lambda: render(report, fmt))
        print(f"  {fmt:<6} {med:6.3f} s  {len(data):>9} bytes")
    verdict = "OK" if worst < 1.0 else "TOO SLOW"
    print(f"slowest month report (median): {worst:.3f} s — target < 1 s: {verdict}")
    return 0 if worst < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
