"""What booking costs (hall/bookings.py, server/web/book.py), on a real `jiaohao serve`
on 127.0.0.1 (the hall clock frozen on a Monday morning):

- a booking rush: ``--bookings`` bookings through the citizens' pages from ``--threads``
  threads at once (distinct people, spread over a week's slots): latency p50/p95/p99
  and bookings per second;
- the slot page (``GET /book/A/<day>``) under the same load;
- the capacity race: 50 attempts at one last place, how long until all are answered;
- in-process: ``book`` and ``sweep_no_shows`` over ``--open`` open bookings.

    python benchmarks/booking_bench.py [--bookings 300] [--threads 20] [--open 5000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from tests.booking_helpers import BOOKING_TOML, valid_id  # noqa: E402
from tests.net_helpers import ServeProcess, free_port  # noqa: E402

SLOTS = [f"{h:02d}{m:02d}" for h in (9, 10, 11, 14, 15, 16) for m in (0, 30)]
DAYS = ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def write_hall(folder: Path, port: int, capacity: int) -> Path:
    from config import DEMO_HALL
    text = DEMO_HALL.read_text(encoding="utf-8")
    text += f'\n[server]\nlisten = "127.0.0.1:{port}"\n'
    text += BOOKING_TOML.format(capacity=capacity, late="walk_in", per_ip=100_000, closed="[]")
    text = text.replace("per_mobile_day = 5", "per_mobile_day = 1000")
    path = folder / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rush(url: str, n: int, threads: int) -> tuple[list[float], int, float]:
    def one(i: int) -> tuple[float, int]:
        slot, day = SLOTS[i % len(SLOTS)], DAYS[(i // len(SLOTS)) % len(DAYS)]
        with httpx.Client(timeout=30) as c:
            t0 = time.perf_counter()
            r = c.post(f"{url}/book/A/{day}/{slot}", data={"name": f"市民{i}", "mobile": f"139{i:08d}",
                                                          "id_number": valid_id(1000 + i), "form_id": f"b{i}"})
            return (time.perf_counter() - t0) * 1000, r.status_code
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    return [ms for ms, _ in results], sum(1 for _, s in results if s == 201), wall


def race(url: str) -> tuple[float, list[int]]:
    barrier = threading.Barrier(50)
    out: list[int] = []

    def one(i: int) -> None:
        with httpx.Client(timeout=30) as c:
            barrier.wait()
            r = c.post(f"{url}/book/C/2026-11-26/0900", data={"name": "市民", "mobile": f"137{i:08d}",
                                                              "id_number": valid_id(5000 + i), "form_id": f"r{i}"})
            out.append(r.status_code)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0, out


def in_process(n_open: int) -> None:
    from config import load_hall
    from hall import FixedClock, HallQueue
    with tempfile.TemporaryDirectory() as d:
        cfg_path = Path(d) / "h.toml"
        from config import DEMO_HALL
        cfg_path.write_text(DEMO_HALL.read_text(encoding="utf-8") + BOOKING_TOML.format(
            capacity=1000, late="walk_in", per_ip=1000, closed="[]"), encoding="utf-8")
        clock = FixedClock(datetime(2026, 11, 23, 8, 0))
        q = HallQueue(Path(d) / "h.sqlite", load_hall(cfg_path), clock)
        times = []
        for i in range(n_open):
            slot = datetime(2026, 11, 24 + (i % 4), 9, 0) + timedelta(minutes=30 * (i % 6))
            t0 = time.perf_counter()
            q.book("A", slot, "张三", f"138{i:08d}", valid_id(i))
            times.append((time.perf_counter() - t0) * 1000)
        print(f"in-process book: p50 {pct(times, 50):.2f} ms, p99 {pct(times, 99):.2f} ms ({n_open} bookings)")
        clock.set(datetime(2026, 11, 23, 9, 0))
        t0 = time.perf_counter()
        q.sweep_no_shows()
        print(f"sweep with {n_open} open bookings, none due: {(time.perf_counter() - t0) * 1000:.2f} ms")
        clock.set(datetime(2026, 11, 24, 23, 0))
        t0 = time.perf_counter()
        n = q.sweep_no_shows()
        print(f"sweep marking {n} no-shows: {(time.perf_counter() - t0) * 1000:.1f} ms")
        q.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bookings", type=int, default=300)
    ap.add_argument("--threads", type=int, default=20)
    ap.add_argument("--open", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        port = free_port()
        config = write_hall(folder, port, capacity=max(1, args.bookings // (len(SLOTS) * len(DAYS)) + 1))
        serve = ServeProcess(config, folder / "hall.sqlite", port, folder)
        serve.start()
        try:
            url = f"http://127.0.0.1:{port}"
            ms, ok, wall = rush(url, args.bookings, args.threads)
            print(f"booking rush: {ok}/{args.bookings} booked from {args.threads} threads in {wall:.1f} s "
                  f"({ok / wall:.0f}/s); latency p50 {pct(ms, 50):.0f} ms, p95 {pct(ms, 95):.0f} ms, "
                  f"p99 {pct(ms, 99):.0f} ms")
            with httpx.Client(timeout=30) as c:
                page = []
                for _ in range(50):
                    t0 = time.perf_counter()
                    c.get(f"{url}/book/A/2026-11-24")
                    page.append((time.perf_counter() - t0) * 1000)
            print(f"slot page GET: p50 {statistics.median(page):.1f} ms, p99 {pct(page, 99):.1f} ms")
            took, statuses = race(url)
            print(f"capacity race: 50 attempts at 2 places answered in {took:.2f} s: "
                  f"{statuses.count(201)} booked, {statuses.count(409)} told full")
        finally:
            serve.stop()
    in_process(args.open)


if __name__ == "__main__":
    main()
