"""What 好差评 costs on a month of a large hall (hall/ratings.py, rating_export.py,
rating_indicators.py, followups.py).

Seeds ``--days`` business days of ``--per-day`` served tickets straight into a fresh
database (80 % rated, 5 % of those 差评 with a follow-up, a 办件编号 on half), then
prints: the time of one ``rate_ticket`` (with its follow-up and outbox record) on that
database, the month's GB/T 39046 export, the indicators by window and by item, and the
follow-ups list.

    python benchmarks/ratings_bench.py [--days 22] [--per-day 5000]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import DEMO_HALL, load_hall  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402


def seed(q: HallQueue, days: int, per_day: int) -> date:
    rnd = random.Random(7)
    c = q._conn
    first = date(2026, 10, 1)
    windows = [(w.number, w.services[0]) for w in q.config.windows]
    c.execute("BEGIN")
    tid = 0
    for d in range(days):
        day = first + timedelta(days=d)
        t0 = datetime.combine(day, datetime.min.time()).timestamp() + 9 * 3600
        tickets, ratings, cases, followups = [], [], [], []
        for i in range(per_day):
            tid += 1
            window, service = windows[i % len(windows)]
            at = t0 + i * 5
            tickets.append((tid, day.isoformat(), service, 1_000 + i, f"{service}{i:04d}", service, service,
                            "normal", "finished", 3, at, 0, at, at + 30, at + 300, window, f"0{window:03d}"))
            if rnd.random() < 0.5:
                cases.append((tid, f"CASE{tid:09d}", "", "api", "", at))
            if rnd.random() < 0.8:
                level = 4 if rnd.random() < 0.05 else rnd.choice((1, 1, 2, 3))
                ratings.append((tid, tid, 1, level, "terminal", day.isoformat(), window, f"0{window:03d}", service,
                                at + 320))
                if level == 4:
                    followups.append((tid, tid, at + 320, day.isoformat()))
        c.executemany("INSERT INTO tickets (id, day, prefix, seq, number, service, origin_service, kind, status, "
                      "lane, sort_key, ahead, issued_at, first_called_at, finished_at, window, staff) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tickets)
        c.executemany("INSERT INTO cases (ticket_id, case_no, item_code, source, by, at) VALUES (?, ?, ?, ?, ?, ?)",
                      cases)
        c.executemany("INSERT INTO ratings (id, ticket_id, seq, level, channel, day, window, staff, service, at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ratings)
        c.executemany("INSERT INTO followups (ticket_id, rating_id, state, opened_at, day, callback_due, rectify_due) "
                      "VALUES (?, ?, 'pending', ?, ?, '2026-12-01', '2026-12-20')", followups)
    c.execute("COMMIT")
    return first


def timed(label: str, fn, n: int = 1):
    t = time.perf_counter()
    for _ in range(n):
        out = fn()
    ms = (time.perf_counter() - t) * 1000 / n
    print(f"{label:<52} {ms:10.1f} ms")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=22)
    ap.add_argument("--per-day", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = load_hall(DEMO_HALL)
        clock = FixedClock(datetime(2026, 10, 31, 9, 0))
        q = HallQueue(Path(tmp) / "bench.sqlite", config, clock)
        t = time.perf_counter()
        first = seed(q, args.days, args.per_day)
        last = first + timedelta(days=args.days - 1)
        n = q._conn.execute("SELECT count(*) FROM ratings").fetchone()[0]
        print(f"seeded {args.days} days x {args.per_day} tickets, {n} ratings in {time.perf_counter() - t:.1f} s")
        q.login(1, "0001")
        ids = []
        for _ in range(200):
            ids.append(q.issue("A").id)
            q.call_next(1)
            q.finish(1)
        it = iter(ids)
        timed("rate_ticket (差评: + follow-up), per call", lambda: q.rate_ticket(next(it), 4, "qrcode"), 100)
        timed("rate_ticket (好评), per call", lambda: q.rate_ticket(next(it), 1, "qrcode"), 100)
        rows = timed(f"export records, {args.days} days", lambda: q.rating_records(first, last))
        from hall.rating_export import to_csv
        csv = timed("  as CSV", lambda: to_csv(rows))
        print(f"  {len(rows)} records, {len(csv.encode()) / 1e6:.1f} MB")
        timed("indicators by window", lambda: q.rating_indicators(first, last, "window"))
        timed("indicators by item", lambda: q.rating_indicators(first, last, "item"))
        f = timed("follow-ups list (all)", lambda: q.followups())
        print(f"  {len(f)} follow-ups; one as JSON: {len(json.dumps(f[0], ensure_ascii=False))} bytes")
        q.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
