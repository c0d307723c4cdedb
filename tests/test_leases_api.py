"""Number leases and offline tickets through the hall API in-process (hall/leases.py,
server/routes/leases.py): numbers never issued twice, merge order by issue time,
idempotent uploads, clock skew flagged, unused numbers never tickets."""
from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from tests.api_helpers import hall  # noqa: F401 - fixture
from tests.remote_helpers import live  # noqa: F401 - fixture

T0 = datetime(2026, 11, 23, 9, 0).timestamp()


def _post(client, path, body=None, key=None):
    import uuid
    return client.post(f"/api/v1{path}", json=body or {}, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def _lease(client, prefix="A", **body):
    r = _post(client, "/leases", {"kiosk_time": T0, **body})
    assert r.status_code == 200, r.text
    return {l["prefix"]: l for l in r.json()["leases"]}[prefix], r.json()


def _offline(lease, seq, local_id, kiosk_time, service="A", **kw):
    return {"local_id": local_id, "lease": lease["id"], "seq": seq, "service": service,
            "kiosk_time": kiosk_time, **kw}


def test_leased_numbers_are_never_issued_online(hall, clock):
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    k2 = hall.client(hall.device("kiosk-2", "kiosk"))
    a1, body = _lease(k1)
    a2, _ = _lease(k2)
    size = hall.queue.config.kiosk.lease_size
    assert body["offline_max_minutes"] == hall.queue.config.kiosk.offline_max_minutes
    assert a1["last_seq"] - a1["first_seq"] + 1 == size == a2["last_seq"] - a2["first_seq"] + 1
    assert a2["first_seq"] == a1["last_seq"] + 1
    online = [_post(k1, "/tickets", {"service": "A"}).json()["seq"] for _ in range(3)]
    assert online == [2 * size + 1, 2 * size + 2, 2 * size + 3]
    # asking again while nothing was used keeps the same lease (no new gap)
    again, _ = _lease(k1)
    assert again["id"] == a1["id"]
    # offline tickets of both kiosks, uploaded: every number once
    r = _post(k1, "/leases/tickets", {"tickets": [_offline(a1, a1["first_seq"], "k1-1", T0 + 5)]})
    r2 = _post(k2, "/leases/tickets", {"tickets": [_offline(a2, a2["first_seq"], "k2-1", T0 + 6)]})
    assert r.json()["merged"] == 1 and r2.json()["merged"] == 1
    conn = sqlite3.connect(hall.queue.path)
    numbers = [n for (n,) in conn.execute("SELECT number FROM tickets")]
    assert len(numbers) == len(set(numbers)) == 5
    # a kiosk cannot use another kiosk's lease
    bad = _post(k2, "/leases/tickets", {"tickets": [_offline(a1, a1["first_seq"] + 1, "k2-x", T0 + 7)]})
    assert bad.json()["results"][0]["result"] == "refused"
    assert bad.json()["results"][0]["error"]["code"] == "not_leased"


def test_offline_ticket_goes_ahead_of_later_online_ones(hall, clock):
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    lease, _ = _lease(k1)
    clock.advance(minutes=3)  # 09:03: an online ticket
    online = _post(k1, "/tickets", {"service": "A"}).json()
    clock.advance(minutes=2)  # 09:05: the offline ticket of 09:02 arrives
    r = _post(k1, "/leases/tickets", {"sent_at": T0 + 300, "tickets": [
        _offline(lease, lease["first_seq"], "x1", T0 + 120, offset_s=0.0)]})
    merged = r.json()["results"][0]["ticket"]
    assert merged["issued_at"] == "2026-11-23T09:02:00"
    assert merged["ahead"] == 0  # nobody waiting before 09:02
    # window 1 serves A: it calls the 09:02 ticket first, then the 09:03 one
    caller = hall.client(hall.device("caller-1", "caller", (1,)))
    _post(caller, "/windows/1/login", {"staff": "0001"})
    first = _post(caller, "/windows/1/call").json()
    second = _post(caller, "/windows/1/call").json()
    assert [first["number"], second["number"]] == [merged["number"], online["number"]]


def test_upload_is_idempotent_per_local_id(hall):
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    lease, _ = _lease(k1)
    batch = [_offline(lease, lease["first_seq"] + i, f"t{i}", T0 + i) for i in range(3)]
    first = _post(k1, "/leases/tickets", {"tickets": batch}).json()
    assert [r["result"] for r in first["results"]] == ["merged"] * 3
    # the same tickets in another upload (a lost answer, a kiosk restart): nothing twice
    again = _post(k1, "/leases/tickets", {"tickets": batch[::-1]}).json()
    assert [r["result"] for r in again["results"]] == ["already"] * 3
    assert again["merged"] == 0
    assert sqlite3.connect(hall.queue.path).execute("SELECT count(*) FROM tickets").fetchone()[0] == 3


def test_clock_offset_orders_and_skew_is_flagged(hall, clock):
    """A kiosk 5 minutes fast: the server corrects its times and flags it."""
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    lease, body = _lease(k1, kiosk_time=T0 + 300)
    assert body["skew_flagged"] is True and abs(body["offset_s"] + 300) < 1
    clock.advance(minutes=2)
    online = _post(k1, "/tickets", {"service": "A"}).json()  # 09:02 by the server
    # printed at 09:01 hall time, which the fast kiosk read as 09:06
    r = _post(k1, "/leases/tickets", {"tickets": [_offline(lease, lease["first_seq"], "s1", T0 + 360,
                                                            offset_s=-300.0)]}).json()
    assert r["results"][0]["ticket"]["issued_at"] == "2026-11-23T09:01:00"
    k = hall.client(hall.device("screen-1", "screen")).get("/api/v1/leases").json()["kiosks"]
    assert k[0]["name"] == "kiosk-1" and k[0]["skew_flagged"] is True
    assert k[0]["offline_tickets_today"] == 1
    events = [e["kind"] for e in hall.client(hall.tokens["screen-1"]).get("/api/v1/events/log").json()["events"]]
    assert "clock_skew" in events
    assert online["seq"] > lease["last_seq"]


def test_kiosk_5_minutes_slow_without_offset_uses_upload_time(hall, clock):
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    lease, body = _lease(k1, kiosk_time=T0 - 300)
    assert body["skew_flagged"] is True
    clock.advance(minutes=4)
    # no offset carried: the server derives it from sent_at (kiosk 5 min slow)
    r = _post(k1, "/leases/tickets", {"sent_at": T0 + 240 - 300, "tickets": [
        _offline(lease, lease["first_seq"], "s1", T0 + 60 - 300)]}).json()
    assert r["results"][0]["ticket"]["issued_at"] == "2026-11-23T09:01:00"


def test_a_used_lease_is_renewed_and_a_returned_one_leaves_no_gap(hall):
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    lease, _ = _lease(k1)
    _post(k1, "/leases/tickets", {"tickets": [_offline(lease, lease["first_seq"], "u1", T0 + 1)]})
    fresh, _ = _lease(k1)
    assert fresh["id"] != lease["id"] and fresh["first_seq"] == lease["last_seq"] + 1
    # a ticket printed from the old lease before the kiosk heard of the new one still merges
    late = _post(k1, "/leases/tickets", {"tickets": [_offline(lease, lease["first_seq"] + 1, "u2", T0 + 2)]})
    assert late.json()["merged"] == 1
    # a kiosk closing with nothing left to send gives its leases back: the counter steps
    # back over the lease at its top, so the next online number follows the last real one
    r = _post(k1, "/leases/return").json()
    assert r["closed"] == len(hall.queue.config.services) and r["numbers_returned"] > 0
    online = _post(k1, "/tickets", {"service": "A"}).json()
    assert online["seq"] == lease["last_seq"] + 1
    assert _lease(k1)[0]["first_seq"] == online["seq"] + 1


def test_only_a_kiosk_takes_leases(hall):
    caller = hall.client(hall.device("controller-1", "controller"))
    r = _post(caller, "/leases", {"kiosk_time": T0})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_superseded_online_ticket_is_cancelled(hall):
    """The kiosk's online issue got no answer, so it printed offline: the server's ticket
    of that request (which nobody holds) is cancelled on upload."""
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    lease, _ = _lease(k1)
    ghost = _post(k1, "/tickets", {"service": "A"}, key="lost-answer-1").json()
    r = _post(k1, "/leases/tickets", {"tickets": [
        _offline(lease, lease["first_seq"], "g1", T0 + 1, supersedes="lost-answer-1")]}).json()
    assert r["results"][0]["superseded"] == ghost["number"]
    status = sqlite3.connect(hall.queue.path).execute(
        "SELECT status, cancel_reason FROM tickets WHERE id = ?", (ghost["id"],)).fetchone()
    assert status == ("cancelled", "offline_duplicate")


def test_reports_count_no_leased_number(hall):
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    _lease(k1)
    _post(k1, "/tickets", {"service": "A"})
    snap = k1.get("/api/v1/hall").json()
    a = next(s for s in snap["services"] if s["code"] == "A")
    assert a["issued_today"] == 1 and a["waiting"] == 1


def test_a_kiosk_five_minutes_off_is_flagged_once(hall):
    """The lease routes and the heartbeats both hear the kiosk's clock; `diag check` names
    it once (the heartbeat's round-trip measure, jiaohao/diag/clients.py), not twice."""
    import time

    from config.schema import Server
    from jiaohao.context import Context
    from jiaohao.diag import clients as diag_clients
    from jiaohao.diag import leases as diag_leases
    k1 = hall.client(hall.device("kiosk-1", "kiosk"))
    k2 = hall.client(hall.device("kiosk-2", "kiosk"))
    _lease(k1, kiosk_time=T0 + 300)
    _lease(k2, kiosk_time=T0 + 3)
    for k, off in ((k1, 300.0), (k2, 3.0)):
        r = k.post("/api/v1/heartbeat", json={"app": "kiosk", "instance": "run-1", "client_time": time.time() + off,
                                               "offset_s": off, "uncertainty_s": 0.002})
        assert r.status_code == 200, r.text
    ctx = Context(db=hall.queue.path)
    ctx.__dict__["config"] = hall.queue.config.model_copy(update={"server": Server(listen="127.0.0.1:8080")})  # a controller
    results = diag_clients.check(ctx) + diag_leases.check(ctx)
    failed = [r for r in results if not r.ok]
    assert [r.device for r in failed] == ["kiosk kiosk-1"], [(r.device, r.detail) for r in results]
    assert "+300.0 s ahead" in failed[0].detail and "timedatectl" in failed[0].fix
    assert not any("kiosk-1" in r.device for r in results if r is not failed[0])


def test_running_clock_from_the_environment(monkeypatch):
    """JIAOHAO_CLOCK_SPEED makes JIAOHAO_NOW run from JIAOHAO_CLOCK_ANCHOR: the same time in
    every process given the same three (the tests' simulated 10-minute stop)."""
    import time as _time

    from hall.clock import clock_from_env
    from hall.errors import InvalidArgument
    monkeypatch.setenv("JIAOHAO_NOW", "2026-11-23T09:00")
    monkeypatch.setenv("JIAOHAO_CLOCK_SPEED", "60")
    monkeypatch.setenv("JIAOHAO_CLOCK_ANCHOR", repr(_time.time() - 10))
    a, b = clock_from_env()(), clock_from_env()()
    assert abs((b - a).total_seconds()) < 1
    assert 599 <= (a - datetime(2026, 11, 23, 9, 0)).total_seconds() < 620  # 10 real s at 60x
    monkeypatch.setenv("JIAOHAO_CLOCK_SPEED", "fast")
    with pytest.raises(InvalidArgument, match="JIAOHAO_CLOCK_SPEED"):
        clock_from_env()


def test_a_refused_kiosk_does_not_issue_offline(live, tmp_path):
    """The server answers but refuses the kiosk (its token revoked): no offline ticket."""
    from kiosk.offline import OFFLINE, OfflineHall, OfflineStopped  # noqa: F401
    from kiosk.offline_journal import OfflineJournal

    class Remote:  # the parts of RemoteHall OfflineHall uses, over the hall served on loopback
        server, _device_token, timeout_s = live.url, "jhd_revoked", 1.0
        config = live.queue.config

        def clock(self):
            return live.queue.clock()

    k = OfflineHall(Remote(), OfflineJournal(tmp_path / "j", live.url), start=False)
    k.state = OFFLINE
    k.sync()
    assert k.state != OFFLINE
    k.journal.close()
