"""Shipping when things go wrong: the city database down for a whole simulated day while
the hall works on (serve's component), a `jiaohao ship` killed mid-batch and started
again, and the commands (`ship --once/--status`, `city migrate/halls`) with the password
in a file."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from city.schema import connect as city_connect
from city.schema import migrate
from city.service import CityShipping
from city.ship import Shipper, status
from config import DEMO_HALL, load_hall
from tests.city_helpers import assert_same_records, city_cfg, simulate_days
from tests.pg_helpers import SUPER_PASSWORD, PgCluster, pg_cluster  # noqa: F401

CFG = load_hall(DEMO_HALL)


def wait_for(cond, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_the_city_down_for_a_day_the_hall_works_on_and_catches_up(tmp_path):
    reason = PgCluster.available()
    if reason:
        pytest.skip(reason)
    cluster = PgCluster().start()  # its own: this test stops and starts it
    try:
        url = cluster.create_database("city")
        with city_connect(url) as conn:
            migrate(conn)
        db = tmp_path / "hall.sqlite"
        simulate_days(db, date(2026, 11, 2), days=1, per_day=60, seed=1).close()
        shipper = Shipper(db, city_cfg(url, "H1"), "H1", CFG.services, CFG.windows, password=SUPER_PASSWORD)
        part = CityShipping(shipper, interval_s=0.2, retry_max_s=1.0)
        part.start()
        try:
            wait_for(lambda: status(db) and status(db)[0]["behind"] == 0, 30, "the first day shipped")
            cluster.stop()
            # a whole business day with the city unreachable; every operation timed
            t0 = time.monotonic()
            q = simulate_days(db, date(2026, 11, 3), days=1, per_day=150, seed=2)
            worst = 0.0
            for _ in range(40):
                s = time.perf_counter()
                q.issue("A")
                worst = max(worst, time.perf_counter() - s)
            q.close()
            day_s = time.monotonic() - t0
            wait_for(lambda: "cannot reach" in (status(db)[0]["last_error"] or ""), 10, "the failure recorded")
            st = status(db)[0]
            assert st["behind"] > 300 and st["failures"] >= 1
            assert "cannot reach the city database" in st["last_error"] and SUPER_PASSWORD not in st["last_error"]
            assert worst < 0.5, f"an issue took {worst:.3f} s with the city down"
            diag = diag_city(db, url)
            assert not diag.ok and "not yet in the city" in diag.detail and "cannot reach" in diag.detail
            assert part.last_error is not None
            cluster.start()
            t1 = time.monotonic()
            wait_for(lambda: status(db)[0]["behind"] == 0, 60, "catching up")
            catch_up = time.monotonic() - t1
            assert status(db)[0]["last_error"] is None
            assert diag_city(db, url).ok
        finally:
            part.stop()
        with city_connect(url) as pg:
            counts = assert_same_records(db, pg, "H1")
            assert pg.execute("SELECT count(*) FROM city.days WHERE hall_code = 'H1'").fetchone()[0] == 2
        print(f"day offline: {day_s:.1f} s of hall work, {counts['tickets']} tickets, the slowest issue "
              f"{worst * 1000:.1f} ms; caught up in {catch_up:.1f} s")
    finally:
        cluster.remove()


def diag_city(db, url):
    """`jiaohao diag check`'s line about city shipping."""
    from types import SimpleNamespace

    from config.schema import HallConfig
    from jiaohao.diag.city import check
    cfg = HallConfig.model_validate({**CFG.model_dump(), "city": city_cfg(url, "H1").model_dump()})
    (result,) = check(SimpleNamespace(config=cfg, db_path=db))
    return result


def _hall_file(tmp_path: Path, url: str, code: str, batch: int) -> Path:
    pw = tmp_path / "city.pw"
    pw.write_text(SUPER_PASSWORD + "\n")
    pw.chmod(0o600)
    text = Path(DEMO_HALL).read_text(encoding="utf-8")
    bare = url.replace(f":{SUPER_PASSWORD}@", "@")
    path = tmp_path / "hall.toml"
    path.write_text(text + f'\n[city]\ndatabase = "{bare}"\nhall_code = "{code}"\npassword_file = "city.pw"\n'
                    f"batch_size = {batch}\n", encoding="utf-8")
    return path


def _jiaohao(*args, **kw):
    env = {k: v for k, v in os.environ.items() if k != "JIAOHAO_CITY_PASSWORD"}
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          timeout=120, env=env, **kw)


@pytest.mark.slow
def test_a_ship_killed_mid_batch_loses_nothing_and_repeats_nothing(pg_cluster, tmp_path):
    url = pg_cluster.create_database("city_kill")
    db = tmp_path / "hall.sqlite"
    simulate_days(db, date(2026, 11, 2), days=2, per_day=150, seed=4).close()
    hall = _hall_file(tmp_path, url, "K1", batch=20)
    r = _jiaohao("city", "migrate", url)
    assert r.returncode == 0 and "市平台数据库结构：已应用 (city schema: applied) 0001_schema" in r.stdout, r.stderr
    with city_connect(url, autocommit=True) as pg:
        # a slow link: every batch's cursor update takes 50 ms in the city, so the kill below
        # lands mid-way however loaded the machine running the test is
        pg.execute("CREATE FUNCTION city.slow_link() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$")
        pg.execute("CREATE TRIGGER slow_link BEFORE INSERT OR UPDATE ON city.halls "
                   "FOR EACH ROW EXECUTE FUNCTION city.slow_link()")
    proc = subprocess.Popen([sys.executable, "-m", "jiaohao", "--config", str(hall), "--db", str(db), "ship", "--once"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        with city_connect(url, autocommit=True) as pg:
            def cursor():
                row = pg.execute("SELECT shipped_event_id FROM city.halls WHERE hall_code = 'K1'").fetchone()
                return row[0] if row else 0
            wait_for(lambda: cursor() >= 100, 60, "some batches shipped")
            os.killpg(proc.pid, signal.SIGKILL)  # the hall PC loses power in the middle of shipping
            proc.wait(10)
            at_kill = cursor()
        total = __import__("sqlite3").connect(db).execute("SELECT max(id) FROM events").fetchone()[0]
        assert 100 <= at_kill < total, "killed after the end: make the hall bigger"
        r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--once", "--json")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["behind"] == 0 and out["events"] == total - at_kill  # from where the city was, not before
        with city_connect(url) as pg:
            assert_same_records(db, pg, "K1")
        r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--status")
        assert r.returncode == 0 and "待上报 0 条" in r.stdout
        r = _jiaohao("city", "halls", url, "--json")
        halls = json.loads(r.stdout)["halls"]
        assert halls[0]["hall_code"] == "K1" and halls[0]["last_closed_day"] == "2026-11-03"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_ship_commands_say_what_is_wrong_in_one_line(pg_cluster, tmp_path):
    url = pg_cluster.create_database("city_cli")
    db = tmp_path / "hall.sqlite"
    simulate_days(db, date(2026, 11, 2), days=1, per_day=10, seed=4).close()
    hall = _hall_file(tmp_path, url, "C1", batch=100)
    # no schema yet
    r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--once")
    assert r.returncode == 2 and "jiaohao city migrate" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    # the wrong password
    (tmp_path / "city.pw").write_text("nope\n")
    r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--once")
    assert r.returncode == 2 and "password authentication failed" in r.stderr and "nope" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "password_file" in r.stderr
    r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--status")
    assert r.returncode == 0 and "password authentication failed" in r.stdout
    # a missing password file names the file
    (tmp_path / "city.pw").unlink()
    r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--once")
    assert r.returncode == 2 and "city.pw" in r.stderr
    # no [city] section
    r = _jiaohao("--db", str(db), "ship", "--once")
    assert r.returncode == 2 and "no [city] database" in r.stderr
    # a password in the hall file is refused with the file, line and field
    bad = tmp_path / "bad.toml"
    bad.write_text(hall.read_text().replace("postgres@", "postgres:secret@"))
    r = _jiaohao("--config", str(bad), "--db", str(db), "ship", "--once")
    assert r.returncode == 2 and "bad.toml:" in r.stderr and "city.database" in r.stderr and "password" in r.stderr


@pytest.mark.slow
def test_serve_ships_by_itself(pg_cluster, tmp_path):
    url = pg_cluster.create_database("city_serve")
    with city_connect(url) as conn:
        migrate(conn)
    db = tmp_path / "hall.sqlite"
    simulate_days(db, date(2026, 11, 2), days=1, per_day=30, seed=6).close()
    hall = _hall_file(tmp_path, url, "S1", batch=100)
    with open(hall, "a", encoding="utf-8") as f:
        f.write("interval_seconds = 0.5\n")
    r = _jiaohao("--config", str(hall), "--db", str(db), "serve", "--seconds", "6")
    assert r.returncode == 0, r.stderr[-2000:]
    with city_connect(url) as pg:
        assert_same_records(db, pg, "S1")


def test_the_documented_setup_with_an_owner_that_is_no_superuser(pg_cluster, tmp_path):
    """docs/city.md: an owner role with CREATEROLE owns the database and migrates it; a
    hall's login ships (making a month's partitions through city.ensure_month)."""
    with city_connect(pg_cluster.url(), autocommit=True) as su:
        su.execute("DROP DATABASE IF EXISTS city_owned")
        su.execute("DROP ROLE IF EXISTS city_owner")
        su.execute("CREATE ROLE city_owner LOGIN PASSWORD 'opw' CREATEROLE")
        su.execute("CREATE DATABASE city_owned OWNER city_owner")
        su.execute("DROP ROLE IF EXISTS hall_d1")
    owner = pg_cluster.url("city_owned", "city_owner", None)
    r = subprocess.run([sys.executable, "-m", "jiaohao", "city", "migrate", owner], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "JIAOHAO_CITY_PASSWORD": "opw"})
    assert r.returncode == 0 and "市平台数据库结构：已应用 (city schema: applied) 0001_schema" in r.stdout, r.stderr
    with city_connect(owner, password="opw", autocommit=True) as conn:
        conn.execute("CREATE ROLE hall_d1 LOGIN PASSWORD 'hpw' IN ROLE city_shipper")
    db = tmp_path / "hall.sqlite"
    simulate_days(db, date(2026, 12, 30), days=3, per_day=20, seed=8).close()  # two months, two partitions
    s = Shipper(db, city_cfg(pg_cluster.url("city_owned", "hall_d1", None), "D1"), "D1", CFG.services, CFG.windows,
                password="hpw")
    res = s.ship()
    s.close()
    assert res.behind == 0
    with city_connect(owner, password="opw") as conn:
        parts = {r[0] for r in conn.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                            "WHERE i.inhparent = 'city.tickets'::regclass")}
        assert parts == {"tickets_2026_12", "tickets_2027_01"}
        assert_same_records(db, conn, "D1")
