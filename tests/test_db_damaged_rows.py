"""A damaged row in a table built after #19 (a word where a time belongs, JSON that does
not parse, a state that does not exist): SQLite's quick check passes over it, and pages
and the alarm engine died on it with a 500. Now lists skip it, a view of that one row
says in words where the damage is (503), `diag check` names table, row and column, and
the hall keeps issuing. In-process app over a real database file."""
from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime

import pytest

from hall import FixedClock, HallQueue
from hall.alarm_engine import AlarmEngine
from hall.damaged_rows import find
from jiaohao.diag.database import contents
from tests.api_helpers import Hall
from tests.booking_helpers import booking_hall, valid_id

NOW = datetime(2026, 11, 23, 10, 0)
PAGE = {"X-Jiaohao-Page": "1"}
PAGES = ["/manage", "/manage/alarms", "/manage/limits", "/manage/people", "/manage/reports", "/manage/ratings",
         "/rate/followups", "/rate/followups/1", "/rate/window/1", "/api/v1/alarms", "/api/v1/limits",
         "/api/v1/clients", "/api/v1/leases", "/api/v1/devices", "/api/v1/staff", "/api/v1/followups",
         "/api/v1/bookings?day=2026-11-24", "/api/v1/alarms/history"]


def manager(h: Hall):
    web = h.client()
    assert web.post("/login", data={"staff": "9001", "password": "manager-pass-1"},
                    follow_redirects=False).status_code == 303
    return web


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A hall with a booking, a 差评 and its follow-up, a limit changed, alarms, a kiosk's
    lease and heartbeat: one row at least in each newer table that pages read."""
    d = tmp_path_factory.mktemp("base")
    cfg = booking_hall(d, capacity=3)[1]
    q = HallQueue(d / "hall.sqlite", cfg, FixedClock(NOW))
    h = Hall(q)
    h.staff("9001", "manager", "manager-pass-1", "王经理")
    kiosk = h.client(h.device("k1", "kiosk"))
    t = q.issue("A")
    q.call_next(1)
    q.finish(1)
    q.rate_ticket(t.id, 5, "terminal", ["服务态度差"], "差")
    for _ in range(3):
        q.issue("A")
    q.book("A", datetime(2026, 11, 24, 9, 30), "张三", "13800130001", valid_id(1))
    assert manager(h).put("/api/v1/limits", json={"field": "max_waiting", "value": 1, "reason": "测试原因"},
                          headers=PAGE).status_code == 200
    assert kiosk.post("/api/v1/leases", json={"kiosk_time": NOW.timestamp()},
                      headers={"Idempotency-Key": "k-1"}).status_code == 200
    assert kiosk.post("/api/v1/heartbeat", json={"app": "kiosk", "instance": "i1"}).status_code == 200
    AlarmEngine(q).evaluate_once()
    h.app.state.clients.flush()
    h.close()
    q.close()
    return d, cfg


DAMAGE = [("alarms", "raised_at"), ("alarms", "data"), ("followups", "state"), ("followups", "callback_due"),
          ("followup_steps", "at"), ("ratings", "problems"), ("ratings", "level"), ("appointments", "slot_at"),
          ("devices", "last_seen_at"), ("staff", "created_at"), ("leases", "granted_at"), ("clients", "last_seen"),
          ("clients", "offset_s"), ("device_clocks", "offset_s"), ("limit_overrides", "value")]


@pytest.mark.parametrize("table, column", DAMAGE, ids=[f"{t}.{c}" for t, c in DAMAGE])
def test_a_damaged_row_is_skipped_said_and_named(base, tmp_path, table, column):
    d, cfg = base
    db = tmp_path / "hall.sqlite"
    shutil.copy(d / "hall.sqlite", db)
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA ignore_check_constraints = ON")  # a flipped byte obeys no constraint
        c.execute(f'UPDATE {table} SET "{column}" = \'zz{{\'')
    found = [r for r in contents(db, cfg.hall.name) if r.device == "database rows hall.sqlite"]
    assert len(found) == 1 and not found[0].ok, found
    # Chinese first, the English in the bracket: "alarms 表 id 为 1 的行：data 存的是 'zz{'，应是 JSON (alarms row 1: …)"
    assert f": {table} 表 " in found[0].detail and f"：{column} 存的是 'zz{{'，应是" in found[0].detail, found
    assert f" ({table} row " in found[0].detail and f": {column} holds 'zz{{' where " in found[0].detail, found
    assert "restore the last good backup" in found[0].fix
    q = HallQueue(db, cfg, FixedClock(NOW))
    h = Hall(q)
    try:
        web = manager(h)
        for path in PAGES:
            r = web.get(path, headers=PAGE)
            assert r.status_code != 500, (path, r.text[:300])
            if r.status_code == 503:  # that one row is what the page shows: say where, and what to do
                assert "diag check" in r.text and table in r.text, (path, r.text[:300])
                if r.headers["content-type"].startswith("application/json"):  # each language its own half
                    e = r.json()["error"]
                    assert f"从备份恢复：{table} 表 " in e["message"] and "holds" not in e["message"], e
                    assert f"：{column} 存的是 'zz{{'，应是" in e["message"], e
                    assert f"damaged row ({table} row " in e["message_en"] and "存" not in e["message_en"], e
                    assert f": {column} holds 'zz{{' where " in e["message_en"], e
        for path in ("/manage/alarms", "/manage/people", "/rate/followups", "/manage/limits"):
            assert web.get(path).status_code == 200, path  # the lists skip the row
        AlarmEngine(q).evaluate_once()  # the engine of serve keeps checking
        assert q.issue("B").number.startswith("B")
    finally:
        h.close()
        q.close()


def test_a_sound_database_has_no_damaged_rows(base):
    with sqlite3.connect(base[0] / "hall.sqlite") as c:
        assert find(c) == []


def test_an_alarm_whose_row_is_damaged_still_clears(base, tmp_path):
    """The engine cleared ended alarms in one transaction that re-read each row: one damaged
    row failed it every 5 s, and no alarm of the hall cleared again."""
    d, cfg = base
    db = tmp_path / "hall.sqlite"
    shutil.copy(d / "hall.sqlite", db)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE alarms SET data = 'zz{', raised_at = 'zz{' WHERE kind = 'queue_too_long'")
        c.execute("DELETE FROM limit_overrides")  # the queue-length limit off: that alarm has ended
        assert c.execute("SELECT count(*) FROM alarms WHERE kind = 'queue_too_long' AND cleared_at IS NULL").fetchone()[0]
    q = HallQueue(db, cfg, FixedClock(NOW))
    try:
        AlarmEngine(q).evaluate_once()
        with sqlite3.connect(db) as c:
            assert c.execute("SELECT count(*) FROM alarms WHERE kind = 'queue_too_long' AND cleared_at IS NULL"
                             ).fetchone()[0] == 0
    finally:
        q.close()


def test_a_damaged_outbox_record_is_set_aside_and_the_others_still_go(tmp_path):
    """A word in a record's attempts count raised TypeError out of the sender's loop, which
    caught only SQLite errors: the thread died and no reminder, push or alarm went out again."""
    import httpx

    from hall import outbox
    from hall.db import connect
    from hall.outbox import Destination, OutboxSender
    db = tmp_path / "h.sqlite"
    conn = connect(db)
    conn.execute("BEGIN")
    for i in range(2):
        outbox.enqueue(conn, "sms", {"n": i}, f"r{i}", at=1000.0 + i)
    conn.execute("COMMIT")
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute("UPDATE outbox SET attempts = 'zz{' WHERE dedupe_key = 'r0'")
    sender = OutboxSender(db, {"sms": Destination("http://127.0.0.1:9/nothing-listens-here", timeout_s=1)},
                          clock=lambda: 2000.0)
    with httpx.Client() as client:
        assert sender.send_due(conn, client)
    rows = dict(conn.execute("SELECT dedupe_key, last_error FROM outbox").fetchall())
    assert rows["r0"] == "damaged record" and "Connect" in rows["r1"]  # the sound one was tried
    conn.close()
