"""Seed a queue database with realistic history: N days x M tickets, with their calls,
evaluations and events, written directly with executemany (minutes, not hours).

    python benchmarks/seed.py OUT.sqlite --days 365 --per-day 5000 [--config large.toml]
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import HALLS_DIR, HallConfig, load_hall  # noqa: E402
from hall import HallQueue  # noqa: E402

TICKET_COLS = ("id, day, prefix, seq, number, service, origin_service, kind, status, lane, sort_key, "
               "window, staff, ahead, issued_at, first_called_at, called_at, finished_at, calls, transfers")
SCORE_WEIGHTS = [(5, 80), (4, 14), (3, 4), (2, 1.5), (1, 0.5)]


def _arrival(rng: random.Random, day: date) -> datetime:
    # two humps: the morning rush and the early afternoon
    if rng.random() < 0.62:
        minutes = 8.5 * 60 + min(abs(rng.gauss(70, 55)), 209)
    else:
        minutes = 14 * 60 + min(abs(rng.gauss(80, 60)), 209)
    return datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)


def seed_history(db_path: Path | str, config: HallConfig, days: int = 365, per_day: int = 5000,
                 start: date | None = None, seed: int = 7, progress: bool = False) -> dict:
    """Write ``days`` closed business days ending the day before ``start + days``."""
    start = start or (date.today() - timedelta(days=days))
    HallQueue(db_path, config, clock=lambda: datetime.combine(start, datetime.min.time())).close()
    rng = random.Random(seed)
    services = config.services
    weights = [1.0 / (1 + i % 7) for i in range(len(services))]
    serving = {s.code: [w.number for w in config.windows if s.code in w.services] or [config.windows[0].number]
               for s in services}
    c = sqlite3.connect(str(db_path), isolation_level=None)
    c.execute("PRAGMA synchronous = OFF")
    c.execute("PRAGMA cache_size = -200000")
    ticket_id = c.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
    call_id = c.execute("SELECT coalesce(max(id), 0) FROM calls").fetchone()[0]
    t0 = time.perf_counter()
    for d in range(days):
        day = start + timedelta(days=d)
        dstr = day.isoformat()
        arrivals = sorted(((_arrival(rng, day), rng.choices(services, weights)[0]) for _ in range(per_day)),
                          key=lambda a: a[0])
        counters: dict[str, int] = {}
        tickets, calls, evals, events = [], [], [], []
        for when, svc in arrivals:
            ticket_id += 1
            prefix = svc.ticket_prefix
            seq = counters[prefix] = counters.get(prefix, 0) + 1
            number = f"{prefix}{seq:03d}"
            issued = when.timestamp()
            priority = rng.random() < 0.04
            waited = rng.expovariate(1 / (10 * 60))
            called = first_called = issued + waited
            handle = max(30.0, rng.gauss(svc.expected_minutes * 60, svc.expected_minutes * 15))
            window = rng.choice(serving[svc.code])
            staff = f"S{window:03d}"
            r = rng.random()
            status, transfers, finished = "finished", 0, called + handle
            name = json.dumps({"service_name": svc.name}, ensure_ascii=False)
            events.append((issued, dstr, "issued", None, ticket_id, number, svc.code, name))
            if r < 0.03:  # no-show
                status, finished = "skipped", None
                call_id += 1
                calls.append((call_id, ticket_id, dstr, window, svc.code, staff, called, called + 60, 1, "skipped"))
                events.append((called, dstr, "called", window, ticket_id, number, svc.code, name))
                events.append((called + 60, dstr, "skipped", window, ticket_id, number, svc.code, name))
            else:
                if r < 0.05:  # transferred once, served at a second window
                    transfers = 1
                    call_id += 1
                    calls.append((call_id, ticket_id, dstr, window, svc.code, staff, called, called + 120, 0,
                                  "transferred"))
                    events.append((called, dstr, "called", window, ticket_id, number, svc.code, name))
                    events.append((called + 120, dstr, "transferred", window, ticket_id, number, svc.code, name))
                    window = rng.choice(serving[svc.code])
                    staff = f"S{window:03d}"
                    called += 300
                    finished = called + handle
                call_id += 1
                calls.append((call_id, ticket_id, dstr, window, svc.code, staff, called, finished, 0, "finished"))
                events.append((called, dstr, "called", window, ticket_id, number, svc.code, name))
                events.append((finished, dstr, "finished", window, ticket_id, number, svc.code, name))
                if rng.random() < 0.7:
                    score = rng.choices([s for s, _ in SCORE_WEIGHTS], [w for _, w in SCORE_WEIGHTS])[0]
                    at = finished + 20
                    evals.append((ticket_id, call_id, dstr, window, staff, score, at))
                    events.append((at, dstr, "rated", window, ticket_id, number, svc.code,
                                   json.dumps({"score": score}, ensure_ascii=False)))
            kind = "priority" if priority else "normal"
            tickets.append((ticket_id, dstr, prefix, seq, number, svc.code, svc.code, kind, status,
                            1 if priority else 3, issued, window, staff, 0, issued,
                            first_called, called, finished, 1 + transfers, transfers))
        events.sort()
        c.execute("BEGIN")
        c.executemany(f"INSERT INTO tickets ({TICKET_COLS}) VALUES ({','.join('?' * 20)})", tickets)
        c.executemany("INSERT INTO calls (id, ticket_id, day, window, service, staff, called_at, ended_at, "
                      "recalls, outcome) VALUES (?,?,?,?,?,?,?,?,?,?)", calls)
        c.executemany("INSERT INTO evaluations (ticket_id, call_id, day, window, staff, score, at) "
                      "VALUES (?,?,?,?,?,?,?)", evals)
        c.executemany("INSERT INTO events (at, day, kind, window, ticket_id, number, service, data) "
                      "VALUES (?,?,?,?,?,?,?,?)", events)
        c.executemany("INSERT INTO counters VALUES (?, ?, ?)", [(dstr, p, n) for p, n in counters.items()])
        c.execute("COMMIT")
        if progress and (d + 1) % 30 == 0:
            print(f"  seeded {d + 1}/{days} days ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    last = (start + timedelta(days=days - 1)).isoformat()
    c.execute("INSERT INTO meta VALUES ('day', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (last,))
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.execute("ANALYZE")
    c.close()
    return {"days": days, "per_day": per_day, "tickets": ticket_id, "seconds": time.perf_counter() - t0,
            "first_day": start.isoformat(), "last_day": last}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=5000)
    ap.add_argument("--config", default=str(HALLS_DIR / "large.toml"))
    ap.add_argument("--start", type=date.fromisoformat, default=None)
    a = ap.parse_args()
    print(seed_history(a.db, load_hall(a.config), a.days, a.per_day, a.start, progress=True))


if __name__ == "__main__":
    main()
