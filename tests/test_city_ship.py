"""Shipping halls to a real PostgreSQL (started by the tests on 127.0.0.1): two halls at
once, a link cut mid-batch, nothing personal shipped, a second database under one hall
code refused, a restored hall database shipped again."""
from __future__ import annotations

import sqlite3
import threading
from datetime import date

import numpy as np
import pytest

from city.schema import CityError
from city.schema import connect as city_connect
from city.ship import Shipper, status
from config import DEMO_HALL, load_hall
from tests.city_helpers import assert_same_records, city_cfg, city_db, simulate_days  # noqa: F401
from tests.fault_proxy import FaultProxy
from tests.pg_helpers import SUPER_PASSWORD, pg_cluster  # noqa: F401
from tests.report_day import build_day

CFG = load_hall(DEMO_HALL)


def shipper(db, url, code, batch=2000, hooks=None, **kw) -> Shipper:
    return Shipper(db, city_cfg(url, code, batch, **kw), f"{code} 大厅", CFG.services, CFG.windows,
                   hooks=hooks, password=SUPER_PASSWORD)


@pytest.fixture(scope="module")
def halls(tmp_path_factory):
    """Two halls' databases: the hand-built report day, and three random days."""
    base = tmp_path_factory.mktemp("halls")
    a, b = base / "a.sqlite", base / "b.sqlite"
    q, _ = build_day(a)
    q.close()
    simulate_days(b, date(2026, 11, 2), days=3, per_day=120, seed=3).close()
    return a, b


def test_two_halls_ship_at_once_and_the_city_has_every_record(halls, city_db):
    a, b = halls
    results, errors = {}, []

    def run(db, code):
        s = shipper(db, city_db, code, batch=25)  # many small batches, interleaved
        try:
            results[code] = s.ship()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(a, "H-A")), threading.Thread(target=run, args=(b, "H-B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert results["H-A"].batches > 1 and results["H-B"].batches > 10
    assert results["H-A"].behind == 0 and results["H-B"].behind == 0
    with city_connect(city_db) as pg:
        ca = assert_same_records(a, pg, "H-A")
        cb = assert_same_records(b, pg, "H-B")
        assert ca["tickets"] == 10 and cb["tickets"] > 150 and cb["evaluations"] > 50
        # refusals (hours, cap) and closed days came from the event log
        assert pg.execute("SELECT kind, reason, count(*) FROM city.refusals WHERE hall_code = 'H-A' "
                          "GROUP BY 1, 2 ORDER BY 2").fetchall() == [("refused", "cap", 1), ("refused", "closed", 1)]
        assert pg.execute("SELECT day::text, expired, unfinished FROM city.days WHERE hall_code = 'H-A'").fetchall() \
            == [("2026-11-23", 3, 1)]
        assert pg.execute("SELECT count(*) FROM city.days WHERE hall_code = 'H-B'").fetchone()[0] == 3
        # monthly partitions
        parts = {r[0] for r in pg.execute("SELECT inhrelid::regclass::text FROM pg_inherits "
                                          "WHERE inhparent = 'city.tickets'::regclass")}
        assert parts == {"city.tickets_2026_11"}
        cursor = pg.execute("SELECT shipped_event_id FROM city.halls WHERE hall_code = 'H-B'").fetchone()[0]
    # the hall's own record of it
    assert status(b)[0]["shipped_event_id"] == cursor and status(b)[0]["behind"] == 0
    # shipping again sends nothing
    s = shipper(b, city_db, "H-B")
    try:
        again = s.ship()
    finally:
        s.close()
    assert again.events == 0 and again.batches == 0


def test_nothing_personal_reaches_the_city(halls, city_db):
    a, _ = halls
    s = shipper(a, city_db, "H-A")
    s.ship()
    s.close()
    with city_connect(city_db) as pg:
        # every text value of every city table, in one string
        dump = "".join(str(r) for t in ("tickets", "calls", "evaluations", "refusals", "days", "halls", "services",
                                        "windows") for r in pg.execute(f"SELECT * FROM city.{t}").fetchall())
        cols = {r[0] for r in pg.execute("SELECT column_name FROM information_schema.columns "
                                         "WHERE table_schema = 'city'")}
    for name in ("张三", "李四", "王五"):  # the staff logged in at the windows that day
        assert name not in dump
    assert not cols & {"staff", "name_of_citizen", "mobile", "phone", "id_hash", "id_number"}
    assert "A001" in dump  # (the dump is not empty)


def test_a_link_cut_mid_batch_repeats_nothing_and_loses_nothing(halls, pg_cluster, city_db):
    _, b = halls
    proxy = FaultProxy(pg_cluster.port, lifetime_s=60)
    proxy.start()
    url = city_db.replace(f":{pg_cluster.port}/", f":{proxy.port}/")
    batches = {"n": 0}

    def cut_before_the_third_commit():
        batches["n"] += 1
        if batches["n"] == 3:
            proxy.cut()  # the COMMIT never arrives

    s = shipper(b, url, "H-B", batch=50, hooks={"before_commit": cut_before_the_third_commit})
    try:
        with pytest.raises(Exception) as info:
            s.ship()
        assert "psycopg" in type(info.value).__module__
        with city_connect(city_db) as pg:
            cursor = pg.execute("SELECT shipped_event_id FROM city.halls WHERE hall_code = 'H-B'").fetchone()[0]
        hall = sqlite3.connect(b)
        second_batch_end = hall.execute("SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 99").fetchone()[0]
        hall.close()
        assert cursor == second_batch_end  # two batches committed, the third rolled back
        # the link refuses for a moment, then comes back: the next run ships the rest
        s.drop_city_connection()
        proxy.refuse(0.5)
        with pytest.raises(CityError, match="cannot reach the city database"):
            s.ship()
        import time
        time.sleep(0.7)
        s.drop_city_connection()
        res = s.ship()
        assert res.behind == 0
        with city_connect(city_db) as pg:
            assert_same_records(b, pg, "H-B")
    finally:
        s.close()
        proxy.stop()


def test_the_commit_lost_on_the_way_back_ships_nothing_twice(halls, city_db):
    """The city committed but the hall never heard (crash right after): the next run
    starts from the city's cursor, not the hall's own record."""
    a, _ = halls
    boom = RuntimeError("killed right after the commit")

    def die():
        raise boom

    s = shipper(a, city_db, "H-A", batch=10, hooks={"after_commit": die})
    with pytest.raises(RuntimeError):
        s.ship()
    s.close()
    with city_connect(city_db) as pg:
        assert pg.execute("SELECT shipped_event_id FROM city.halls").fetchone()[0] == 10
    s = shipper(a, city_db, "H-A", batch=10)
    res = s.ship()
    s.close()
    total = sqlite3.connect(a).execute("SELECT count(*) FROM events").fetchone()[0]
    assert res.events == total - 10
    with city_connect(city_db) as pg:
        assert_same_records(a, pg, "H-A")


def test_another_database_under_the_same_hall_code_is_refused(halls, city_db, tmp_path):
    a, b = halls
    s = shipper(a, city_db, "H-X")
    s.ship()
    s.close()
    s = shipper(b, city_db, "H-X")
    with pytest.raises(CityError, match="another queue database"):
        s.ship()
    s.adopt()  # the documented way out: this database replaces the old one
    res = s.ship()
    s.close()
    assert res.behind == 0


def test_a_restored_hall_database_is_shipped_again(halls, city_db, tmp_path):
    """The city saw events the hall no longer has (a backup was restored): it starts over
    and the city ends equal to the restored hall."""
    import shutil
    _, b = halls
    copy = tmp_path / "b.sqlite"
    shutil.copy(b, copy)
    s = shipper(copy, city_db, "H-R")
    s.ship()
    s.close()
    conn = sqlite3.connect(copy)
    last = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    conn.execute("DELETE FROM events WHERE id > ?", (last - 40,))  # the restored log is shorter …
    conn.execute("INSERT INTO events (at, day, kind, data) VALUES (1.0, '2026-11-05', 'note', '{}')")  # … and moves on
    conn.commit()
    conn.close()
    s = shipper(copy, city_db, "H-R")
    res = s.ship()
    s.close()
    assert res.events == last - 40 + 1  # everything again
    with city_connect(city_db) as pg:
        assert_same_records(copy, pg, "H-R")


def test_a_closed_day_changed_later_gets_its_columns_again(halls, city_db, tmp_path):
    """A record of a closed day that changes later (a ticket merged in late by an
    offline kiosk, a 追加评价) rebuilds that day's stored columns."""
    import shutil

    from city.dayparts import COL, ROW, Parsed
    _, b = halls
    copy = tmp_path / "late.sqlite"
    shutil.copy(b, copy)
    s = shipper(copy, city_db, "H-L")
    s.ship()

    def statuses():
        with city_connect(city_db) as pg:
            base, vals = pg.execute("SELECT base, vals FROM city.day_columns WHERE hall_code = 'H-L' "
                                    "AND day = '2026-11-02'").fetchone()
        n = np.frombuffer(bytes(Parsed(base, vals).hours), dtype=ROW)["n"].sum(axis=0)
        return {"cancelled": int(n[COL["cancelled"]]), "expired": int(n[COL["expired"]])}

    before = statuses()
    conn = sqlite3.connect(copy)
    tid = conn.execute("SELECT id FROM tickets WHERE day = '2026-11-02' AND status = 'expired' LIMIT 1").fetchone()[0]
    conn.execute("UPDATE tickets SET status = 'cancelled', cancel_reason = 'merged' WHERE id = ?", (tid,))
    conn.execute("INSERT INTO events (at, day, kind, ticket_id, data) VALUES (1.8e9, '2026-11-05', 'merged', ?, '{}')",
                 (tid,))
    conn.commit()
    conn.close()
    s.ship()
    s.close()
    after = statuses()
    assert after["cancelled"] == before["cancelled"] + 1
    assert after["expired"] == before["expired"] - 1 >= 0
