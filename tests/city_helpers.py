"""Halls with history for the city tests: a hand-built day (tests/report_day.py) and
simulated days of random work through HallQueue, a fresh migrated city database per
test, and the comparison of a hall's tables with the city's copy."""
from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime, timedelta

import pytest

from config import DEMO_HALL, load_hall
from config.schema import City
from hall import FixedClock, HallQueue
from hall.errors import HallError
from tests.pg_helpers import SUPER_PASSWORD

SHIPPED = {  # hall table -> the columns the city has (no staff, no appointment code)
    "tickets": ("id", "day", "number", "service", "origin_service", "kind", "status", "cancel_reason", "window",
                "issued_at", "first_called_at", "finished_at", "calls", "transfers"),
    "calls": ("id", "day", "ticket_id", "window", "service", "called_at", "ended_at", "outcome"),
    "evaluations": ("id", "day", "ticket_id", "call_id", "window", "score", "at"),
}


def simulate_days(db_path, start: date, days: int, per_day: int, seed: int = 1,
                  staff: tuple[str, ...] = ("赵六", "孙七")) -> HallQueue:
    """``days`` business days of random work: issue, call, finish, rate, skip, transfer,
    refusals by the daily cap. Returns the queue (closed by the caller)."""
    cfg = load_hall(DEMO_HALL)
    rng = random.Random(seed)
    clock = FixedClock(datetime.combine(start, datetime.min.time()) + timedelta(hours=8, minutes=30))
    q = HallQueue(db_path, cfg, clock)
    codes = [s.code for s in cfg.services]
    windows = [w.number for w in cfg.windows]
    for d in range(days):
        day = start + timedelta(days=d)
        t = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
        clock.set(t)
        for i, w in enumerate(windows[:len(staff)]):
            q.login(w, staff[i])
        issued = 0
        while issued < per_day:
            t += timedelta(seconds=rng.randint(5, 60))
            clock.set(t)
            try:
                q.issue(rng.choice(codes), priority=rng.random() < 0.05)
                issued += 1
            except HallError:
                issued += 1  # refused (cap or hours): counted by the report too
            if rng.random() < 0.7:
                w = rng.choice(windows)
                try:
                    tk = q.call_next(w)
                    if tk is None:
                        continue
                    t += timedelta(seconds=rng.randint(30, 400))
                    clock.set(t)
                    r = rng.random()
                    if r < 0.08:
                        q.skip(w)
                    elif r < 0.13:
                        q.transfer(w, to_service=rng.choice(codes))
                    else:
                        q.finish(w)
                        if rng.random() < 0.7:
                            q.rate(w, rng.choices([5, 4, 3, 2, 1], [70, 15, 8, 4, 3])[0])
                except HallError:
                    pass
    clock.set(datetime.combine(start + timedelta(days=days), datetime.min.time()) + timedelta(hours=9))
    q.issue(codes[0])  # the next morning: the last day closes
    return q


def city_cfg(url: str, code: str, batch: int = 2000, **kw) -> City:
    return City(database=url.replace(f":{SUPER_PASSWORD}@", "@"), hall_code=code, batch_size=batch, **kw)


@pytest.fixture
def city_db(pg_cluster, request):
    """A fresh city database with its schema, per test: its URL (with the password)."""
    from city.schema import connect, migrate
    name = "city_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name)[:50].lower()
    url = pg_cluster.create_database(name)
    conn = connect(url)
    try:
        migrate(conn)
    finally:
        conn.close()
    return url


def hall_rows(db_path, table: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        cols = ", ".join(SHIPPED[table])
        return sorted(tuple(r) for r in conn.execute(f"SELECT {cols} FROM {table}"))
    finally:
        conn.close()


def city_rows(pg, hall_code: str, table: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' if c != "day" else "day::text" for c in SHIPPED[table])
    return sorted(tuple(r) for r in pg.execute(f"SELECT {cols} FROM city.{table} WHERE hall_code = %s",
                                               (hall_code,)).fetchall())


def assert_same_records(db_path, pg, hall_code: str) -> dict[str, int]:
    """Every shipped table of the hall equals the city's copy, row for row."""
    counts = {}
    for table in SHIPPED:
        h, c = hall_rows(db_path, table), city_rows(pg, hall_code, table)
        assert len(h) == len(c), f"{table}: hall {len(h)} rows, city {len(c)}"
        assert h == c, f"{table} differs"
        counts[table] = len(h)
    return counts
