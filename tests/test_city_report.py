"""The city report equals the sum of the halls' own reports (same definitions, computed
in PostgreSQL), in every format; the read-only report role reads and cannot write."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import psycopg
import pytest

from city.report import build_city_report
from city.schema import connect as city_connect
from city.ship import Shipper
from config import DEMO_HALL, load_hall
from hall.report_model import Stats
from hall.reports import build_report
from jiaohao.report import FORMATS, render
from tests.city_helpers import city_cfg, simulate_days
from tests.pg_helpers import SUPER_PASSWORD, pg_cluster  # noqa: F401
from tests.report_day import build_day

CFG = load_hall(DEMO_HALL)
D0, D1 = "2026-11-01", "2026-11-30"
COUNTS = ("issued", "served", "no_show", "transfers", "expired", "cancelled", "open",
          "refused_cap", "refused_hours", "refused_printer")


@pytest.fixture(scope="module")
def city(pg_cluster, tmp_path_factory):
    """Three halls shipped into one city database: (url, {code: db path})."""
    base = tmp_path_factory.mktemp("cityhalls")
    paths = {"320411001": base / "a.sqlite", "320411002": base / "b.sqlite", "320411003": base / "c.sqlite"}
    q, _ = build_day(paths["320411001"])
    q.close()
    simulate_days(paths["320411002"], date(2026, 11, 2), days=3, per_day=100, seed=5).close()
    simulate_days(paths["320411003"], date(2026, 11, 20), days=2, per_day=80, seed=9).close()
    url = pg_cluster.create_database("city_report")
    from city.schema import migrate
    with city_connect(url) as conn:
        migrate(conn)
    for code, path in paths.items():
        s = Shipper(path, city_cfg(url, code), f"大厅{code[-1]}", CFG.services, CFG.windows, password=SUPER_PASSWORD)
        s.ship()
        s.close()
    return url, paths


def hall_reports(paths, by):
    return {code: build_report(p, D0, D1, by, hall=code) for code, p in paths.items()}


ENGINES = ["columns", "sql"]


def city_report(url, by, engine="columns", **kw):
    with city_connect(url, autocommit=True) as conn:
        return build_city_report(conn, D0, D1, by, engine=engine, **kw)


def counts(f) -> dict:
    out = {k: getattr(f, k) for k in COUNTS}
    out.update({f"r{s}": n for s, n in f.ratings.items()})
    out.update(wait_n=f.wait.n, handle_n=f.handle.n)
    return out


def summed(figures: list) -> dict:
    out: dict = {}
    for f in figures:
        for k, v in counts(f).items():
            out[k] = None if v is None else (out.get(k) or 0) + v
    return out


def pooled(paths, sql: str) -> Stats:
    import sqlite3
    values = []
    for p in paths.values():
        conn = sqlite3.connect(p)
        values += [r[0] for r in conn.execute(sql, (D0, D1))]
        conn.close()
    return Stats.of(values)


def close(a: Stats, b: Stats) -> bool:
    return a.n == b.n and all((x is None and y is None) or abs(x - y) < 1e-6
                              for x, y in ((a.mean, b.mean), (a.p90, b.p90), (a.max, b.max)))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("by", ["service", "day", "hour", "department"])
def test_city_rows_are_the_sum_of_the_halls_rows(city, by, engine):
    url, paths = city
    halls = hall_reports(paths, by)
    rep = city_report(url, by, engine)
    keys = {f.key for r in halls.values() for f in r.rows}
    assert {f.key for f in rep.rows} == keys
    for f in rep.rows:
        expected = summed([h for r in halls.values() for h in r.rows if h.key == f.key])
        assert counts(f) == expected, f"{by} {f.key}"
    assert counts(rep.total) == summed([r.total for r in halls.values()])
    assert rep.total.issued > 300 and rep.total.no_show > 0 and rep.total.transfers > 0


@pytest.mark.parametrize("engine", ENGINES)
def test_by_hall_each_row_is_that_halls_own_total(city, engine):
    url, paths = city
    rep = city_report(url, "hall", engine)
    assert [f.key for f in rep.rows] == sorted(paths)
    assert [f.label for f in rep.rows] == ["大厅1", "大厅2", "大厅3"]
    for f in rep.rows:
        own = build_report(paths[f.key], D0, D1, "service").total
        assert counts(f) == counts(own)
        assert close(f.wait, own.wait) and close(f.handle, own.handle)
        assert f.satisfaction == own.satisfaction
    # the hand-built day's known figures (tests/report_day.py)
    a = rep.rows[0]
    assert (a.issued, a.served, a.no_show, a.transfers, a.expired, a.cancelled) == (9, 5, 1, 2, 3, 1)
    assert (a.refused_cap, a.refused_hours, a.refused_printer) == (1, 1, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_durations_are_pooled_over_every_hall_like_the_hall_pools_its_windows(city, engine):
    url, paths = city
    rep = city_report(url, "hall", engine)
    waits = pooled(paths, "SELECT first_called_at - issued_at FROM tickets WHERE day BETWEEN ? AND ? "
                          "AND first_called_at IS NOT NULL")
    handles = pooled(paths, "SELECT ended_at - called_at FROM calls WHERE day BETWEEN ? AND ? "
                            "AND outcome IN ('finished', 'transferred') AND ended_at IS NOT NULL")
    assert close(rep.total.wait, waits) and close(rep.total.handle, handles)
    by_service = city_report(url, "service", engine)
    for f in by_service.rows:
        own = pooled(paths, "SELECT first_called_at - issued_at FROM tickets WHERE day BETWEEN ? AND ? "
                            f"AND first_called_at IS NOT NULL AND origin_service = '{f.key}'")
        assert close(f.wait, own), f.key


@pytest.mark.parametrize("engine", ENGINES)
def test_only_some_halls(city, engine):
    url, paths = city
    rep = city_report(url, "service", engine, halls=["320411002"])
    own = build_report(paths["320411002"], D0, D1, "service")
    assert counts(rep.total) == counts(own.total)
    assert [counts(f) for f in rep.rows] == [counts(f) for f in own.rows]


def test_every_format_renders_the_city_report(city):
    url, _ = city
    rep = city_report(url, "hall")
    for fmt in FORMATS:
        data = render(rep, fmt)
        assert len(data) > 200, fmt
    doc = json.loads(render(rep, "json"))
    assert doc["by"] == "hall" and doc["total"]["issued"] == rep.total.issued and len(doc["rows"]) == 3
    assert "大厅" in render(rep, "csv").decode("utf-8-sig").splitlines()[0] or "编号" in \
        render(rep, "csv").decode("utf-8-sig").splitlines()[0]
    html = render(rep, "html").decode()
    assert "大厅1" in html and "http" not in html.replace("http-equiv", "").replace("xmlns", "").split("<body")[0]
    from io import BytesIO

    from openpyxl import load_workbook
    wb = load_workbook(BytesIO(render(rep, "xlsx")))
    assert "明细" in wb.sheetnames


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_the_report_command_reads_the_city(city, tmp_path):
    url, _ = city
    bare = url.replace(f":{SUPER_PASSWORD}@", "@")
    r = _cli("report", "--city", bare, "--month", "2026-11", "--by", "hall", "--format", "json",
             env={"JIAOHAO_CITY_PASSWORD": SUPER_PASSWORD})
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["from"] == D0 and doc["to"] == D1 and [row["key"] for row in doc["rows"]] == \
        ["320411001", "320411002", "320411003"]
    r = _cli("report", "--city", bare, "--month", "2026-11", "--by", "service", "--format", "xlsx",
             "-o", str(tmp_path), env={"JIAOHAO_CITY_PASSWORD": SUPER_PASSWORD})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "report-2026-11-01_2026-11-30-service.xlsx").stat().st_size > 3000
    # bad input: one line, exit 2
    r = _cli("report", "--city", bare, "--month", "2026-11", "--by", "window",
             env={"JIAOHAO_CITY_PASSWORD": SUPER_PASSWORD})
    assert r.returncode == 2 and "groups by hall" in r.stderr and "Traceback" not in r.stderr
    r = _cli("report", "--by", "hall")
    assert r.returncode == 2 and "--by hall needs --city" in r.stderr
    r = _cli("report", "--city", bare, "--month", "2026-11", env={"JIAOHAO_CITY_PASSWORD": "wrong"})
    assert r.returncode == 2 and "cannot reach the city database" in r.stderr and "wrong" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_the_report_role_reads_and_cannot_write(city, pg_cluster):
    url, paths = city
    with city_connect(url, autocommit=True) as su:
        su.execute("DROP ROLE IF EXISTS reporter")
        su.execute("CREATE ROLE reporter LOGIN PASSWORD 'rpw' IN ROLE city_reader")
        su.execute("DROP ROLE IF EXISTS hall_9")
        su.execute("CREATE ROLE hall_9 LOGIN PASSWORD 'hpw' IN ROLE city_shipper")
    ro = url.replace(f"postgres:{SUPER_PASSWORD}@", "reporter:rpw@")
    with city_connect(ro, autocommit=True) as conn:
        rep = build_city_report(conn, D0, D1, "hall")
        assert len(rep.rows) == 3
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE city.tickets SET status = 'finished'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM city.halls")
    # a hall's login ships (partitions included) but cannot change the schema or delete
    shipper_url = url.replace(f"postgres:{SUPER_PASSWORD}@", "hall_9@")
    s = Shipper(paths["320411003"], city_cfg(shipper_url, "320411009"), "大厅9", CFG.services, CFG.windows,
                password="hpw")
    res = s.ship()
    s.close()
    assert res.behind == 0 and res.rows["tickets"] > 100
    with city_connect(shipper_url, password="hpw", autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE city.mine (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM city.tickets")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE city.tickets_2026_11")


@pytest.mark.parametrize("by", ["hall", "service", "department", "day", "hour"])
def test_the_day_columns_give_what_the_rows_give(city, by):
    """The fast engine (stored day columns, and columns built from rows for open days)
    against the grouped queries over the shipped rows: the same report."""
    url, _ = city
    with city_connect(url) as pg:
        stored = pg.execute("SELECT count(*) FROM city.day_columns").fetchone()[0]
    assert stored >= 5  # the closed days of the three halls: both paths are taken
    fast, sql = city_report(url, by, "columns").to_json(), city_report(url, by, "sql").to_json()
    for doc in (fast, sql):
        doc.pop("generated_at")
    assert fast == sql


def test_the_second_connection_reads_the_same_snapshot(city, monkeypatch):
    import city.report as report
    url, _ = city
    monkeypatch.setattr(report, "HELPER_FROM_HALLS", 1)
    fast, sql = city_report(url, "hall", "columns").to_json(), city_report(url, "hall", "sql").to_json()
    fast.pop("generated_at"), sql.pop("generated_at")
    assert fast == sql
    from city.columnar import helper_connection
    with city_connect(url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            helper = helper_connection(conn)
            assert helper is not None
            assert helper.execute("SELECT count(*) FROM city.day_columns").fetchone() == \
                conn.execute("SELECT count(*) FROM city.day_columns").fetchone()
            helper.close()
