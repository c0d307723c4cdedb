"""Queue core benchmark on a year of history (365 days x 5,000 tickets, the 72-window hall).

Prints p50/p99/p99.9/max latency of issue and call-next (back to back, as fast as they
go), throughput with 4 processes, and file size. Target (issue 2): p99 under 5 ms for
both. Back to back, the WAL fills faster than any background checkpoint can keep it
short, so the max here includes commits that run SQLite's own checkpoint; the paced,
hall-like worst case is benchmarks/sustained_bench.py.

    python benchmarks/queue_bench.py [--db benchmarks/out/year.sqlite] [--reuse] [--days 365]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import HALLS_DIR, load_hall  # noqa: E402
from hall import HallQueue  # noqa: E402

from seed import seed_history  # noqa: E402

CONFIG = HALLS_DIR / "large.toml"


class Clock:
    """09:00 of the benchmark day, then wall time (picklable for worker processes)."""

    def __init__(self, day: date):
        self.start = datetime(day.year, day.month, day.day, 9, 0)
        self.t0 = time.time()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.t0)


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def fmt(samples: list[float]) -> str:
    ms = [x * 1000 for x in samples]
    return (f"p50 {pct(ms, 50):6.3f} ms  p99 {pct(ms, 99):6.3f} ms  p99.9 {pct(ms, 99.9):6.2f} ms  max {max(ms):6.2f} ms  "
            f"mean {statistics.fmean(ms):6.3f} ms  (n={len(ms)})")


def worker(db: str, day: date, seconds: float, seed: int, out) -> None:
    q = HallQueue(db, load_hall(CONFIG), Clock(day))
    rng = random.Random(seed)
    codes = [s.code for s in q.config.services]
    windows = [w.number for w in q.config.windows]
    ops, end = 0, time.time() + seconds
    while time.time() < end:
        q.issue(rng.choice(codes))
        q.call_next(rng.choice(windows))
        ops += 2
    out.put(ops)


def main() -> None:
    ap = argparse.ArgumentParser(description="queue core benchmark")
    ap.add_argument("--db", default=str(Path(__file__).parent / "out" / "year.sqlite"))
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=5000)
    ap.add_argument("--reuse", action="store_true", help="reuse an existing seeded database")
    ap.add_argument("--ops", type=int, default=3000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()

    cfg = load_hall(CONFIG)
    db = Path(a.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    history_start = date.today() - timedelta(days=a.days + 1)
    if not (a.reuse and db.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        print(f"seeding {a.days} days x {a.per_day} tickets into {db} …", flush=True)
        info = seed_history(db, cfg, a.days, a.per_day, start=history_start, progress=True)
        print(f"seeded {info['tickets']:,} tickets in {info['seconds']:.1f} s")
    today = history_start + timedelta(days=a.days + 1)

    clock = Clock(today)
    t = time.perf_counter()
    q = HallQueue(db, cfg, clock)
    q.roll_day()
    print(f"open + day rollover: {(time.perf_counter() - t) * 1000:.1f} ms")

    rng = random.Random(1)
    codes = [s.code for s in cfg.services]
    windows = [w.number for w in cfg.windows]
    issue_lat, call_lat = [], []
    for _ in range(a.ops):
        t = time.perf_counter()
        q.issue(rng.choice(codes))
        issue_lat.append(time.perf_counter() - t)
    for _ in range(a.ops):
        w = rng.choice(windows)
        t = time.perf_counter()
        q.call_next(w)
        call_lat.append(time.perf_counter() - t)
    waiting = sum(q.waiting_by_service().values())
    print(f"issue     : {fmt(issue_lat)}")
    print(f"call-next : {fmt(call_lat)}   ({waiting} still waiting after the run)")
    q.close()

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(str(db), today, a.seconds, i, out)) for i in range(a.procs)]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=a.seconds + 120) for _ in procs)
    for p in procs:
        p.join()
    print(f"throughput: {total / a.seconds:,.0f} operations/s with {a.procs} processes "
          f"(issue + call-next alternating, {a.seconds:.0f} s)")

    wal = Path(str(db) + "-wal")
    if wal.exists():
        print(f"WAL after the 4-process run: {wal.stat().st_size / 2**20:,.0f} MiB (bounded by the "
              "background checkpointer and wal_autocheckpoint)")
    size = sum(os.path.getsize(str(db) + s) for s in ("", "-wal") if os.path.exists(str(db) + s))
    print(f"file size : {size / 2**20:,.0f} MiB ({db})")
    ok = pct(issue_lat, 99) < 0.005 and pct(call_lat, 99) < 0.005
    print(f"target p99 < 5 ms for issue and call-next: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
