"""What the database's safety checks cost: opening with the refusal checks, the foreign-WAL
check, SQLite's quick_check at start (serve, kiosk), and the page-1 rewrite in every
transaction (issue latency with and without it).

    python benchmarks/db_checks_bench.py [--days 60] [--per-day 5000] [--db EXISTING.sqlite]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import HALLS_DIR, load_hall  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402
from hall import dbfile  # noqa: E402
from hall.db import connect, connect_readonly, quick_check  # noqa: E402


def timed(fn, n: int = 1) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def issue_ms(db: Path, config, touch_page1: bool, n: int = 400) -> list[float]:
    """Latency of ``n`` issues on the database, with or without the page-1 rewrite."""
    q = HallQueue(db, config, clock=FixedClock(datetime.combine(date.today(), datetime.min.time())
                                               + timedelta(hours=9)))
    if not touch_page1:
        q._hall_tag = 0  # the transaction wrapper then skips the rewrite
    code = next(s.code for s in config.services if not s.daily_cap)
    out = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            q.issue(code, priority=True)  # not refused outside opening hours
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        q.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--per-day", type=int, default=5000)
    ap.add_argument("--db", help="an existing database instead of seeding one")
    a = ap.parse_args()
    config = load_hall(HALLS_DIR / "large.toml")
    tmp = Path(tempfile.mkdtemp(prefix="jiaohao-dbcheck-"))
    if a.db:
        db = Path(a.db)
    else:
        from seed import seed_history
        db = tmp / "hall.sqlite"
        print("seeding", seed_history(db, config, a.days, a.per_day))
    size_mb = db.stat().st_size / 1e6
    print(f"database {db}: {size_mb:.0f} MB")
    print(f"refusal checks (path, header):   {timed(lambda: dbfile.check_path(str(db), may_create=False), 200) * 1e3:.3f} ms")
    print(f"foreign-WAL check (no -wal):     {timed(lambda: dbfile.check_wal(str(db)), 200) * 1e3:.3f} ms")

    def open_close():
        connect(db).close()
    print(f"connect read-write, all checks:  {timed(open_close, 20) * 1e3:.1f} ms")

    def ro():
        connect_readonly(str(db)).close()
    print(f"connect read-only:               {timed(ro, 20) * 1e3:.1f} ms")
    conn = connect_readonly(str(db))
    cold = timed(lambda: quick_check(conn, str(db)))
    warm = timed(lambda: quick_check(conn, str(db)), 2)
    conn.close()
    print(f"quick_check at start:            {cold:.2f} s first, {warm:.2f} s again "
          f"({size_mb / warm:.0f} MB/s warm)")
    for rounds in range(2):
        for touch in (False, True):
            ms = sorted(issue_ms(db, config, touch))
            print(f"issue, page-1 rewrite {'on ' if touch else 'off'}:        median {statistics.median(ms):.2f} ms, "
                  f"p99 {ms[int(len(ms) * 0.99)]:.2f} ms (round {rounds + 1})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
