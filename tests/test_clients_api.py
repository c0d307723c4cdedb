"""Heartbeats and the clients list over the real app (in-process): who is connected,
since when, how far behind, clock offset flagged past [server] max_clock_skew_s; the
records survive a restart of the server (the ``clients`` table)."""
from __future__ import annotations

import sqlite3
import time

from hall.clients import ClientRegistry, read_clients
from tests.api_helpers import hall  # noqa: F401 - the fixture


def beat(client, **body):
    body.setdefault("instance", "run-1")
    r = client.post("/api/v1/heartbeat", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_heartbeats_make_the_clients_list(hall, queue):
    kiosk = hall.client(hall.device("kiosk-1", "kiosk"))
    screen = hall.client(hall.device("screen-1", "screen"))
    caller = hall.client(hall.device("caller-5", "caller", (5,)))
    queue.issue("A")
    queue.issue("A")
    t0 = time.time()
    answer = beat(kiosk, app="kiosk", last_event_id=0, client_time=time.time() + 300.0, stream="connected")
    assert abs(answer["server_time"] - time.time()) < 5
    assert answer["heartbeat_s"] == 10.0 and answer["max_clock_skew_s"] == 120.0
    assert answer["offset_s"] > 299 and answer["clock_skewed"] is True  # the one-way estimate, at once
    last = answer["last_event_id"]
    beat(screen, app="screen", last_event_id=last, client_time=time.time(), stream="connected")
    beat(caller, app="caller", window=5, last_event_id=last - 1, offset_s=-2.5, uncertainty_s=0.01,
         client_time=time.time() - 2.5)

    r = kiosk.get("/api/v1/clients")
    assert r.status_code == 200, r.text
    d = r.json()
    by = {c["name"]: c for c in d["clients"]}
    assert set(by) == {"kiosk-1", "screen-1", "caller-5"}
    assert [c["app"] for c in d["clients"]] == ["kiosk", "screen", "caller"]
    assert all(c["connected"] for c in d["clients"])
    assert all(t0 - 1 <= c["since"] <= time.time() + 1 for c in d["clients"])
    assert by["kiosk-1"]["lag"] == last and by["screen-1"]["lag"] == 0 and by["caller-5"]["lag"] == 1
    assert by["kiosk-1"]["clock_skewed"] and not by["screen-1"]["clock_skewed"]
    assert by["caller-5"]["offset_s"] == -2.5 and by["caller-5"]["offset_uncertainty_s"] == 0.01  # round trip wins
    assert by["caller-5"]["window"] == 5 and by["caller-5"]["role"] == "caller"
    assert by["screen-1"]["address"]  # the PC's address as the server saw it


def test_since_stays_across_beats_and_restarts_with_a_new_run(hall):
    kiosk = hall.client(hall.device("kiosk-1", "kiosk"))
    first = beat(kiosk, app="kiosk")["connected_since"]
    time.sleep(0.05)
    assert beat(kiosk, app="kiosk")["connected_since"] == first
    assert beat(kiosk, app="kiosk", instance="run-2")["connected_since"] > first  # the app was restarted


def test_a_silent_client_is_listed_as_not_connected(queue):
    wall = [1000.0]
    reg = ClientRegistry(queue, heartbeat_s=3.0, wall=lambda: wall[0])
    reg.beat("device:kiosk-1", "kiosk-1", "kiosk", app="kiosk", instance="a", last_event_id=5, server_last_id=5)
    assert reg.views(5)[0]["connected"]
    wall[0] += 8.9
    assert reg.views(9)[0]["connected"] and reg.views(9)[0]["lag"] == 0  # as of its last word
    wall[0] += 0.2  # three beats without a word
    v = reg.views(9)[0]
    assert not v["connected"] and v["since"] is None and v["lag"] == 0
    reg.beat("device:kiosk-1", "kiosk-1", "kiosk", app="kiosk", instance="a", last_event_id=6, server_last_id=9)
    assert reg.views(9)[0]["lag"] == 3
    assert reg.views(9)[0]["since"] == wall[0]  # a new connection


def test_records_are_written_and_read_back_after_a_restart(hall, queue):
    kiosk = hall.client(hall.device("kiosk-1", "kiosk"))
    beat(kiosk, app="kiosk", last_event_id=0, offset_s=1.5)
    hall.app.state.clients.flush()
    conn = sqlite3.connect(queue.path)
    try:
        rows = read_clients(conn, 10.0, 120.0, 0)
    finally:
        conn.close()
    assert [(r["name"], r["app"], r["offset_s"], r["connected"]) for r in rows] == [("kiosk-1", "kiosk", 1.5, True)]
    again = ClientRegistry(queue)
    assert [r.name for r in again.records()] == ["kiosk-1"]


def test_who_may_beat_and_bad_bodies(hall):
    anon = hall.client()
    assert anon.post("/api/v1/heartbeat", json={"app": "kiosk", "instance": "x"}).status_code == 401
    assert anon.get("/api/v1/clients").status_code == 401
    kiosk = hall.client(hall.device("kiosk-1", "kiosk"))
    r = kiosk.post("/api/v1/heartbeat", json={"app": "toaster", "instance": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_request"
    r = kiosk.post("/api/v1/heartbeat", json={"app": "kiosk", "instance": "x", "last_event_id": -1})
    assert r.status_code == 422
    # a heartbeat with a key is answered like any other (no stored answer needed)
    r = kiosk.post("/api/v1/heartbeat", json={"app": "kiosk", "instance": "x"}, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 200


def test_diag_check_lines_for_the_clients():
    from jiaohao.diag.clients import results
    now = 1_800_000_000.0
    rows = [
        {"app": "kiosk", "name": "kiosk-1", "window": None, "address": "10.0.0.21", "host": "kiosk-pc",
         "connected": True, "since": now - 3600, "last_seen": now - 2, "lag": 0, "offset_s": 0.1,
         "clock_skewed": False, "stream": "connected"},
        {"app": "screen", "name": "tv-1", "window": None, "address": "10.0.0.30", "host": "",
         "connected": True, "since": now - 60, "last_seen": now - 1, "lag": 3, "offset_s": -301.0,
         "clock_skewed": True, "stream": "disconnected"},
        {"app": "caller", "name": "caller-5", "window": 5, "address": "10.0.0.45", "host": "",
         "connected": False, "since": None, "last_seen": now - 600, "lag": 0, "offset_s": None,
         "clock_skewed": False, "stream": ""},
        {"app": "kiosk", "name": "kiosk-old", "window": None, "address": "10.0.0.99", "host": "",
         "connected": False, "since": None, "last_seen": now - 3 * 86400, "lag": 0, "offset_s": None,
         "clock_skewed": False, "stream": ""},
    ]
    out = {r.device: r for r in results(rows, now)}
    k = out["kiosk kiosk-1"]
    assert k.ok and "connected since" in k.detail and "0 event(s) behind" in k.detail and "in step" in k.detail
    assert "10.0.0.21 kiosk-pc" in k.detail
    tv = out["screen tv-1"]
    assert not tv.ok and "-301.0 s behind" in tv.detail and "clock off" in tv.detail and "timedatectl" in tv.fix
    assert "event stream disconnected" in tv.detail
    c = out["caller caller-5 (window 5)"]
    assert not c.ok and "not connected" in c.detail and "10 min ago" in c.detail and "systemctl" in c.fix
    assert out["kiosk kiosk-old"].ok  # switched off for days: listed, not failed
    assert results([], now)[0].detail == "还没有客户端报到 (none has reported yet)"
    assert k.detail.startswith("自 ") and "落后 0 条事件，时钟准确，10.0.0.21 kiosk-pc" in k.detail
    assert "时钟慢 301.0 秒" in tv.detail and "时钟偏差超过大厅允许的范围" in tv.detail and "时间同步" in tv.fix
    assert c.detail.startswith("未连接：最后一次联系") and "（10 分钟前）" in c.detail and "开机了吗" in c.fix
