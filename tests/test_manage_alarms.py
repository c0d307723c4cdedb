"""The alarm engine against a real queue: each limit crossed raises its alarm, the end of
the condition clears it, a named manager acknowledges it; GET /api/v1/alarms is the
contract (manager only, 403 for staff)."""
from __future__ import annotations

from datetime import datetime

import pytest

from config.schema import Limits, ServiceLimits
from hall import FixedClock, HallQueue
from hall.alarm_engine import AlarmEngine
from hall.errors import InvalidArgument
from tests.api_helpers import Hall


@pytest.fixture(autouse=True)
def _live_view_rebuilt_at_once(monkeypatch):
    """The live view is rebuilt at most twice a second; these tests read it right after a change."""
    monkeypatch.setattr("hall.live_hall.MIN_REBUILD_S", 0.0)


@pytest.fixture
def limited(demo_config, db_path):
    """The demo hall with tight limits (A: at most 2 waiting), a queue and an engine."""
    services = [s.model_copy(update={"limits": ServiceLimits(max_waiting=2)}) if s.code == "A" else s
                for s in demo_config.services]
    config = demo_config.model_copy(update={"services": services, "limits": Limits(
        max_waiting=30, max_wait_minutes=20, max_handling_minutes=15, max_pause_minutes=10, idle_minutes=5,
        device_offline_minutes=2, cap_warn_percent=90)})
    clock = FixedClock(datetime(2026, 11, 23, 9, 0))
    q = HallQueue(db_path, config, clock)
    engine = AlarmEngine(q, interval_s=0.1)
    yield q, engine, clock
    engine.stop()
    q.close()


def kinds(raised):
    return sorted((a["kind"], a["subject"]) for a in raised)


def test_queue_length_of_a_service_uses_its_own_limit(limited):
    q, engine, clock = limited
    for _ in range(3):
        q.issue("A")
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("queue_too_long", "A")]
    a = raised[0]
    assert a["service"] == "A" and a["limit"] == 2 and a["value"] == 3 and "排队 3 人" in a["message"]
    assert engine.evaluate_once() == ([], [])  # raised once, not on every check
    q.login(1, "0517")
    q.call_next(1)  # 2 waiting: back within the limit
    raised, cleared = engine.evaluate_once()
    assert raised == [] and kinds(cleared) == [("queue_too_long", "A")]


def test_longest_wait_and_handling_time(limited):
    q, engine, clock = limited
    q.issue("C")
    clock.advance(minutes=21)
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("wait_too_long", "C")]
    assert raised[0]["since"] == "2026-11-23T09:20:00"  # when the limit was crossed, not when seen
    q.login(4, "0001")
    q.call_next(4)
    clock.advance(minutes=16)
    raised, cleared = engine.evaluate_once()
    assert kinds(raised) == [("handling_too_long", "4")] and kinds(cleared) == [("wait_too_long", "C")]
    assert raised[0]["window"] == 4


def test_paused_too_long_and_idle_while_waiting(limited):
    q, engine, clock = limited
    q.login(6, "0001"), q.login(7, "0002")
    q.pause(6, "lunch")
    q.issue("E")  # window 7 serves E and stays idle
    clock.advance(minutes=11)
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("idle_while_waiting", "7"), ("paused_too_long", "6")]
    q.resume(6)
    q.call_next(7)
    _, cleared = engine.evaluate_once()
    assert kinds(cleared) == [("idle_while_waiting", "7"), ("paused_too_long", "6")]


def test_bad_rating_is_cleared_by_its_acknowledgement(limited):
    q, engine, clock = limited
    q.login(6, "0001")
    q.issue("D")
    q.call_next(6)
    q.finish(6)
    q.rate(6, 2)
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("bad_rating", "6")] and raised[0]["data"]["number"] == "D001"
    from hall import alarms
    with pytest.raises(Exception):
        alarms.acknowledge(q, 999, "0900", "王经理")
    acked = alarms.acknowledge(q, raised[0]["id"], "0900", "王经理", "已回访")
    assert acked["acked_by"] == "0900" and acked["acked_name"] == "王经理" and not acked["active"]
    with pytest.raises(InvalidArgument):
        alarms.acknowledge(q, raised[0]["id"], "0900", "王经理")
    assert engine.evaluate_once() == ([], [])  # the same rating is not raised again


def test_cap_nearly_reached_and_device_offline(limited):
    q, engine, clock = limited
    for _ in range(54):  # H: daily_cap 60, warn at 90 %
        q.issue("H")
    q.log_event("device_offline", 3, bus="bus1", address=3, role="keypad", device_kind="keypad")
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("cap_nearly_reached", "H"), ("queue_too_long", "H")]  # the keypad: not yet 2 min
    clock.advance(minutes=3)
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("device_offline", "bus:bus1/3")]
    assert raised[0]["device"] == "bus:bus1/3" and "3号窗口 呼叫器" in raised[0]["message"]
    q.log_event("device_online", 3, bus="bus1", address=3, role="keypad", device_kind="keypad")
    _, cleared = engine.evaluate_once()
    assert kinds(cleared) == [("device_offline", "bus:bus1/3")]


def test_a_limit_changed_by_a_manager_wins_over_the_file(limited):
    q, engine, clock = limited
    from hall import limits
    q.issue("B")
    q.issue("B")
    assert engine.evaluate_once() == ([], [])
    with q.transaction() as (c, now):
        limits.set_override(c, q.config, "B", "max_waiting", 1, "0900", now.timestamp(), "今天人手少")
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("queue_too_long", "B")]
    with q.transaction() as (c, now):
        limits.set_override(c, q.config, "B", "max_waiting", None, "0900", now.timestamp(), "关掉")
    _, cleared = engine.evaluate_once()
    assert kinds(cleared) == [("queue_too_long", "B")]
    with pytest.raises(InvalidArgument):
        with q.transaction() as (c, now):
            limits.set_override(c, q.config, "B", "max_pause_minutes", 3, "0900", now.timestamp(), "x")


def test_the_engine_thread_raises_within_its_interval(limited):
    q, engine, clock = limited
    import time
    engine.start()
    for _ in range(3):
        q.issue("A")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = q._conn.execute("SELECT kind FROM alarms").fetchall()
        if rows:
            break
        time.sleep(0.05)
    assert [r[0] for r in rows] == ["queue_too_long"]
    events = [e.kind for e in q.events_after(0, 1000)]
    assert "alarm_raised" in events


def login(hall: Hall, number: str, role: str) -> str:
    password = hall.staff(number, role)
    r = hall.client().post("/api/v1/login", json={"staff": number, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def test_alarms_api_is_the_contract(limited):
    q, engine, clock = limited
    h = Hall(q)
    try:
        manager = h.client(login(h, "0900", "manager"))
        staff = h.client(login(h, "0517", "staff"))
        for _ in range(3):
            q.issue("A")
        engine.evaluate_once()
        r = manager.get("/api/v1/alarms")
        assert r.status_code == 200
        [alarm] = r.json()
        assert alarm["kind"] == "queue_too_long" and alarm["since"] and alarm["service"] == "A"
        assert staff.get("/api/v1/alarms").status_code == 403
        assert h.client().get("/api/v1/alarms").status_code == 401
        assert staff.post("/api/v1/alarms/ack", json={"id": alarm["id"]}).status_code == 403
        r = manager.post("/api/v1/alarms/ack", json={"id": alarm["id"], "note": "加开窗口"},
                         headers={"Idempotency-Key": "ack-1"})
        assert r.status_code == 200 and r.json()["acked_by"] == "0900" and r.json()["acked_name"] == "张三"
        again = manager.post("/api/v1/alarms/ack", json={"id": alarm["id"], "note": "加开窗口"},
                             headers={"Idempotency-Key": "ack-1"})
        assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
        assert manager.get("/api/v1/alarms").json()[0]["acked_by"] == "0900"  # still active: 3 wait
        hist = manager.get("/api/v1/alarms/history").json()
        assert [a["kind"] for a in hist] == ["queue_too_long"]
        r = manager.put("/api/v1/limits", json={"scope": "A", "field": "max_waiting", "value": 5,
                                                "reason": "午间人少"})
        assert r.status_code == 200 and r.json()["value"] == 5
        row = next(x for x in manager.get("/api/v1/limits").json()
                   if x["scope"] == "A" and x["field"] == "max_waiting")
        assert row["file"] == 2 and row["value"] == 5 and row["override"]["set_by"] == "0900"
        assert manager.put("/api/v1/limits", json={"scope": "A", "field": "max_waiting", "value": -1,
                                                   "reason": "x"}).status_code == 400
        assert manager.post("/api/v1/limits/reset", json={"scope": "A", "field": "max_waiting",
                                                          "reason": "恢复"}).json()["reset"] is True
        live = manager.get("/api/v1/manage/live").json()
        assert {w["number"] for w in live["windows"]} == {w.number for w in q.config.windows}
        assert next(s for s in live["services"] if s["code"] == "A")["waiting"] == 3
        assert live["alarms"][0]["kind"] == "queue_too_long"
        assert staff.get("/api/v1/manage/live").status_code == 403
    finally:
        h.close()


def test_webhook_posts_each_alarm_through_the_outbox(demo_config, db_path):
    import httpx

    from hall import outbox
    from tests.test_outbox import Receiver
    receiver = Receiver(fail_first=1)
    config = demo_config.model_copy(update={"limits": Limits(max_waiting=1, webhook=receiver.url,
                                                             webhook_headers={"X-Hall": "demo"})})
    q = HallQueue(db_path, config, FixedClock(datetime(2026, 11, 23, 9, 0)))
    try:
        q.issue("A"), q.issue("A")
        [alarm], _ = AlarmEngine(q).evaluate_once()
        routes = outbox.destinations(config)
        assert routes["alarms"].url == receiver.url and routes["alarms"].headers == {"X-Hall": "demo"}
        ticks = iter(range(10**12, 10**12 + 10**6, 100))  # each reading 100 s later: the retry is due
        sender = outbox.OutboxSender(db_path, routes, clock=lambda: next(ticks))
        from hall.db import connect
        conn = connect(db_path)
        with httpx.Client() as client:
            sender.send_due(conn, client)  # refused once: tried again later
            sender.send_due(conn, client)
        conn.close()
        assert [k for k, _ in receiver.accepted] == [f"alarm-{alarm['id']}-raised"]
        body = receiver.accepted[0][1]
        assert body["kind"] == "queue_too_long" and body["service"] == "A" and body["event"] == "raised"
    finally:
        q.close()
        receiver.close()


def test_client_heartbeats_when_the_hall_has_them(limited):
    """With the heartbeats (migration 0006_clients, hall/clients.py), a client PC silent for longer than
    the limit (at least 3 missed beats) is a device offline; without it, the tokens' last use."""
    q, engine, clock = limited
    now = clock().timestamp()
    with q.transaction() as (c, _):
        c.execute("INSERT INTO clients (key, credential, name, role, app, host, connected_since, last_seen, stream) "
                  "VALUES ('device:kiosk-1/kiosk', 'device:kiosk-1', 'kiosk-1', 'kiosk', 'kiosk', 'pc-7', ?, ?, "
                  "'connected')", (now, now))
    assert engine.evaluate_once() == ([], [])
    clock.advance(minutes=3)
    raised, _ = engine.evaluate_once()
    assert kinds(raised) == [("device_offline", "client:device:kiosk-1/kiosk")]
    assert "取号机 kiosk-1（pc-7）" in raised[0]["message"]
