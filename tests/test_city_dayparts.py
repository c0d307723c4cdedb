"""The stored layout of a closed day (city/dayparts.py, format 4): counts summed per
service, hour and window, durations kept one by one; a report fetches only the parts its
grouping reads; a day stored by the older version (format 3) is still read, and
`jiaohao city migrate` rewrites it."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date

import numpy as np
import pytest

from city.columnar import load
from city.columnar_figures import aggregate
from city.daycolumns import build, from_hall
from city.dayparts import FORMAT, PARTS, ROW, WROW, Parsed, encode
from city.report import _Labeler, build_city_report
from city.schema import connect as city_connect
from city.ship import Shipper
from config import DEMO_HALL, load_hall
from hall.report_model import Stats
from tests.city_helpers import city_cfg, city_db, simulate_days  # noqa: F401
from tests.pg_helpers import SUPER_PASSWORD, pg_cluster  # noqa: F401

CFG = load_hall(DEMO_HALL)
T0 = 1_793_000_000.0  # 2026-10-26 (China), a timestamp with fractions below


def _big_day(n: int = 70_000):
    """One service, one window, ``n`` tickets each called once: counts above uint16."""
    tickets, calls, waits, handles = [], [], [], []
    for i in range(n):
        issued = T0 + i * 0.37
        first = issued + (i % 997) * 1.25 + 0.1
        tickets.append((i + 1, "A", issued, "finished", None, first, 3, None, None, 0))
        calls.append((i + 1, i + 1, 3, "A", first, first + 30.5 + i % 13, "finished"))
        waits.append(first - issued)
        handles.append(30.5 + i % 13)
    tickets.append((n + 1, "B", T0, "cancelled", "print_failed", None, None, None, None, 0))
    return build(tickets, calls, [], [], ["B", "A"]), waits, handles


def _close(a: Stats, b: Stats) -> bool:
    return a.n == b.n and all(abs(x - y) < 1e-6 for x, y in ((a.mean, b.mean), (a.p90, b.p90), (a.max, b.max)))


def test_a_count_above_65535_goes_on_in_another_row_and_is_added_up():
    cols, waits, handles = _big_day()
    parts = encode(cols)
    rows = np.frombuffer(parts["by_service"], ROW)
    assert sorted(rows["key"].tolist()) == [0, 1, 1]  # service A (index 1) in two rows: 65,535 + 4,465
    whole = Parsed(parts["base"], parts["vals"], **{p: parts[p] for p in PARTS[2:]})
    assert np.frombuffer(bytes(whole.win_rows), WROW)["key"].tolist() == [3, 3]
    for by, key in (("service", "A"), ("hour", None), ("department", "综合"), ("hall", "H1")):
        parsed = Parsed(parts["base"], parts["vals"], **{p: parts[p] for p in PARTS[2:]})
        got, total, arrivals, _, ind, _ = aggregate([("H1", "2026-10-26", parsed)], by, {("H1", 3): "综合"},
                                                     _Labeler(by, {}, {}))
        assert total.issued == 70_000 and total.served == 70_000 and total.cancelled == 1, by
        assert total.refused_printer == 1 and sum(arrivals.values()) == 70_000 and ind["cases"] == 70_000
        assert _close(total.wait, Stats.of(waits)) and _close(total.handle, Stats.of(handles)), by
        if key:
            row = next(f for f in got if f.key == key)
            assert row.served == 70_000 and _close(row.wait, Stats.of(waits)), by
            assert _close(row.handle, Stats.of(handles)), by
        else:  # by hour: the hours' rows add up to the day
            assert sum(f.served for f in got) == 70_000 and sum(f.wait.n for f in got) == 70_000


def _reports(url):
    with city_connect(url, autocommit=True) as pg:
        out = {}
        for by in ("hall", "service", "department", "hour"):
            docs = [build_city_report(pg, "2026-11-01", "2026-11-30", by, engine=e).to_json() for e in ("columns", "sql")]
            for d in docs:
                d.pop("generated_at")
            out[by] = docs
        return out


def test_a_day_of_the_older_format_is_read_and_rewritten_by_city_migrate(city_db, tmp_path):
    db = tmp_path / "old.sqlite"
    simulate_days(db, date(2026, 11, 2), days=3, per_day=60, seed=11).close()
    s = Shipper(db, city_cfg(city_db, "H-OLD"), "老大厅", CFG.services, CFG.windows, password=SUPER_PASSWORD)
    s.ship()
    s.close()
    with city_connect(city_db) as pg:
        days = [r[0] for r in pg.execute("SELECT day::text FROM city.day_columns ORDER BY day").fetchall()]
        assert len(days) == 3 and pg.execute("SELECT DISTINCT format FROM city.day_columns").fetchall() == [(FORMAT,)]
        hall = sqlite3.connect(db)
        for day in days:  # as the version before format 4 stored it: one blob of records
            pg.execute("UPDATE city.day_columns SET format = 3, data = %s, base = NULL, vals = NULL, "
                       "by_service = NULL, by_hour = NULL, by_window = NULL WHERE day = %s",
                       (from_hall(hall, day).encode(), day))
        hall.close()
        pg.commit()
    for by, (columns, sql) in _reports(city_db).items():
        assert columns == sql, by
    r = subprocess.run([sys.executable, "-m", "jiaohao", "city", "migrate", city_db], capture_output=True,
                       text=True, timeout=60, env={k: v for k, v in os.environ.items() if k != "JIAOHAO_CITY_PASSWORD"})
    assert r.returncode == 0 and "市平台的日期列：3 天改写为格式 4 (city day columns: 3 days rewritten in format 4" in r.stdout, r.stderr
    with city_connect(city_db) as pg:
        assert pg.execute("SELECT format, count(*), count(data) FROM city.day_columns GROUP BY 1").fetchall() == \
            [(FORMAT, 3, 0)]
    for by, (columns, sql) in _reports(city_db).items():
        assert columns == sql, by
    r = subprocess.run([sys.executable, "-m", "jiaohao", "city", "migrate", city_db], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "rewritten" not in r.stdout  # nothing left to rewrite


@pytest.mark.parametrize("by, part", [("hall", None), ("day", None), ("service", "by_service"),
                                      ("hour", "by_hour"), ("department", "by_window")])
def test_a_report_fetches_the_part_of_its_grouping_only(city_db, tmp_path, by, part):
    db = tmp_path / "h.sqlite"
    simulate_days(db, date(2026, 11, 2), days=1, per_day=30, seed=3).close()
    s = Shipper(db, city_cfg(city_db, "H1"), "一", CFG.services, CFG.windows, password=SUPER_PASSWORD)
    s.ship()
    s.close()
    with city_connect(city_db) as pg:
        (hall, day, parsed), = load(pg, "2026-11-02", "2026-11-02", ["H1"], by)
    assert (hall, day, parsed.n_waits > 0) == ("H1", "2026-11-02", True)
    fetched = {name for name, attr in (("by_service", "by_service"), ("by_hour", "w_hours"),
                                       ("by_window", "win_rows")) if getattr(parsed, attr, None) is not None}
    assert fetched == ({part} if part else set())


@pytest.mark.parametrize("kind", ["exponential", "whole seconds", "around zero", "extremes", "all equal"])
def test_grouped_stats_equal_the_hall_s_stats_group_by_group(kind):
    from city.grouped_stats import grouped_stats
    rng = np.random.default_rng(len(kind))
    for _ in range(6):
        n = int(rng.integers(1, 4000))
        values = {"exponential": lambda: rng.exponential(600, n), "whole seconds": lambda: np.round(rng.exponential(600, n)),
                  "around zero": lambda: rng.normal(0, 5, n), "all equal": lambda: np.full(n, 42.0),
                  "extremes": lambda: np.concatenate([rng.exponential(600, n), [0.0, 1e9, 1e-300, -1e9, 5e6, 0.5]])}[kind]()
        size = int(rng.integers(1, 30))
        keys = rng.integers(-1, size, len(values))  # -1: no group
        got = grouped_stats(keys, values, size)
        assert set(got) == {g for g in range(size) if (keys == g).any()}
        for g, st in got.items():
            want = Stats.of(values[keys == g].tolist())
            assert (st.n, st.p90, st.max) == (want.n, want.p90, want.max) and abs(st.mean - want.mean) < 1e-6
        whole = grouped_stats(None, values, 1)[0]
        assert (whole.n, whole.p90, whole.max) == (Stats.of(values.tolist()).n, Stats.of(values.tolist()).p90,
                                                    values.max())
