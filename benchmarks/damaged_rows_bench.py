"""How long `diag check`'s damaged-row scan (hall/damaged_rows.py) takes on a big hall.

Read-only on the year database (benchmarks/out/year.sqlite, opened immutable: nothing is
written beside it). Prints the first call in this process and the median of the next
ones, for the database's newest day (as `diag check` sees it at opening time) and for a
day whose tickets, and every later day's, fall in the checked range (a full business day
and more). Run: python benchmarks/damaged_rows_bench.py [DB] [--day YYYY-MM-DD]
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hall.damaged_rows import _ticket_scope, find  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("db", nargs="?", default=str(Path(__file__).parent / "out" / "year.sqlite"))
    p.add_argument("--day", action="append", help="a business day to time (repeatable; default: the newest two)")
    p.add_argument("--runs", type=int, default=20)
    args = p.parse_args()
    if not Path(args.db).is_file():
        print(f"no database at {args.db} (make it with benchmarks/queue_bench.py)", file=sys.stderr)
        return 2
    conn = sqlite3.connect(f"file:{args.db}?mode=ro&immutable=1", uri=True)
    days = args.day or [r[0] for r in conn.execute("SELECT DISTINCT day FROM tickets ORDER BY day DESC LIMIT 3")][::2]
    total = conn.execute("SELECT max(id) FROM tickets").fetchone()[0]
    print(f"{args.db}: {os.path.getsize(args.db) / 2**20:,.0f} MiB, about {total:,} tickets; "
          f"load average {os.getloadavg()[0]:.2f}")
    for day in days:
        scope = _ticket_scope(conn, day)
        checked = conn.execute(f"SELECT count(*) FROM tickets WHERE {scope} 1").fetchone()[0] if scope else 0
        t = time.perf_counter()
        found = find(conn, day=day)
        first = (time.perf_counter() - t) * 1000
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            find(conn, day=day)
            times.append((time.perf_counter() - t) * 1000)
        print(f"day {day}: {checked:,} tickets checked, {len(found)} damaged; first call {first:.1f} ms, "
              f"then median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
