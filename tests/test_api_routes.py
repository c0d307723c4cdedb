"""The hall API's routes on a real app over a real queue (in-process, TestClient)."""
from __future__ import annotations

import pytest

from tests.api_helpers import hall  # noqa: F401 - the fixture


@pytest.fixture
def kiosk(hall):
    return hall.client(hall.device("kiosk-2", "kiosk"))


@pytest.fixture
def caller(hall):
    return hall.client(hall.device("caller-1", "caller"))


def test_issue_contract(kiosk, queue):
    r = kiosk.post("/api/v1/tickets", json={"service": "A", "priority": False})
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["number"], t["service"], t["ahead"], t["status"]) == ("A001", "A", 0, "waiting")
    assert queue.ticket(t["id"]).number == "A001"
    assert queue.events_after(0)[-1].data["kiosk"] == "kiosk-2"  # the device's own name


def test_call_gives_ticket_then_204(kiosk, caller, queue):
    kiosk.post("/api/v1/tickets", json={"service": "A"})
    queue.login(1, "0517")
    r = caller.post("/api/v1/windows/1/call")
    assert r.status_code == 200, r.text
    assert r.json()["number"] == "A001" and r.json()["window"] == 1
    r = caller.post("/api/v1/windows/1/call")
    assert r.status_code == 204 and r.content == b""
    kinds = [e.kind for e in queue.events_after(0)]
    assert "called" in kinds and "finished" in kinds  # the same events a keypad makes


def test_kiosk_may_not_call(kiosk, queue):
    queue.login(1, "0517")
    r = kiosk.post("/api/v1/windows/1/call")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]


def test_paused_window_refusal_in_chinese(caller, queue):
    queue.login(5, "0517")
    queue.pause(5, "lunch")
    r = caller.post("/api/v1/windows/5/call")
    assert r.status_code == 409
    assert r.json() == {"error": {"code": "window_state", "message": "5号窗口已暂停，请先恢复服务",
                                  "message_en": "window 5 is paused; resume it first"}}


def test_snapshot(kiosk, caller, queue):
    for _ in range(3):
        kiosk.post("/api/v1/tickets", json={"service": "A"})
    queue.login(1, "0517")
    caller.post("/api/v1/windows/1/call")
    r = caller.get("/api/v1/hall")
    assert r.status_code == 200, r.text
    snap = r.json()
    a = next(s for s in snap["services"] if s["code"] == "A")
    assert a["waiting"] == 2 and a["issued_today"] == 3 and a["open_now"] is True
    assert a["wait_minutes"] > 0
    w1 = next(w for w in snap["windows"] if w["number"] == 1)
    assert (w1["state"], w1["current"], w1["staff"]) == ("serving", "A001", "0517")
    assert w1["current_ticket"]["number"] == "A001"
    assert snap["last_event_id"] == queue.last_event_id()
    assert snap["day"] == "2026-11-23" and snap["hall"]["hall_id"]


def test_window_ops_over_http(kiosk, caller, queue):
    for _ in range(2):
        kiosk.post("/api/v1/tickets", json={"service": "A"})
    assert caller.post("/api/v1/windows/1/login", json={"staff": "0517"}).json()["staff"] == "0517"
    assert caller.post("/api/v1/windows/1/call").json()["number"] == "A001"
    assert caller.post("/api/v1/windows/1/recall").json()["number"] == "A001"
    assert caller.post("/api/v1/windows/1/skip").json()["status"] == "skipped"
    assert caller.post("/api/v1/tickets/A001/reactivate").json()["status"] == "waiting"
    assert caller.post("/api/v1/windows/1/call-number", json={"number": "A002"}).json()["number"] == "A002"
    t = caller.post("/api/v1/windows/1/transfer", json={"to_service": "B"}).json()
    assert (t["service"], t["status"]) == ("B", "waiting")
    assert caller.post("/api/v1/windows/1/call-number", json={"number": 1}).json()["number"] == "A001"
    assert caller.post("/api/v1/windows/1/finish").json()["status"] == "finished"
    assert caller.post("/api/v1/windows/1/rate", json={"score": 5}).json()["number"] == "A001"
    r = caller.post("/api/v1/windows/1/rate", json={"score": 7})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    assert caller.post("/api/v1/windows/1/pause", json={"reason": "lunch"}).json()["state"] == "paused"
    assert caller.post("/api/v1/windows/1/resume").json()["state"] == "idle"
    assert caller.post("/api/v1/windows/1/pause").json()["pause_reason"] is None
    assert caller.post("/api/v1/windows/1/logout").json()["state"] == "closed"
    assert caller.get("/api/v1/windows/1").json()["state"] == "closed"


def test_ticket_lookups_and_cancel(hall, kiosk, caller):
    t = kiosk.post("/api/v1/tickets", json={"service": "A"}).json()
    assert caller.get("/api/v1/tickets/A001").json()["id"] == t["id"]
    assert caller.get("/api/v1/tickets/a001", params={"day": "2026-11-23"}).json()["id"] == t["id"]
    assert caller.get(f"/api/v1/tickets/by-id/{t['id']}").json()["number"] == "A001"
    r = caller.get("/api/v1/tickets/A999")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket"
    other = hall.client(hall.device("kiosk-3", "kiosk"))
    assert other.post(f"/api/v1/tickets/by-id/{t['id']}/cancel", json={"reason": "print_failed"}).status_code == 403
    r = kiosk.post(f"/api/v1/tickets/by-id/{t['id']}/cancel", json={"reason": "print_failed"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_appointments_and_checkin(hall, kiosk, caller):
    ctl = hall.client(hall.device("ctl", "controller"))
    r = ctl.post("/api/v1/appointments", json={"appointments": [
        {"code": "yy1234", "service": "A", "slot": "2026-11-23T09:10", "name": "李四"}]})
    assert r.status_code == 200 and r.json() == {"added": 1}
    assert caller.get("/api/v1/appointments/YY1234").json()["service"] == "A"
    r = kiosk.post("/api/v1/checkins", json={"code": "YY1234"})
    assert r.status_code == 201 and r.json()["kind"] == "appointment"
    r = ctl.post("/api/v1/appointments", json={"appointments": [
        {"code": "X1", "service": "A", "slot": "not a time"}]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid" and "X1" not in r.json()["error"]["message"]
    r = ctl.post("/api/v1/appointments", json={"appointments": [
        {"code": "X2", "service": "A", "slot": "2026-11-23T10:00"},
        {"code": "X3", "service": "Q", "slot": "2026-11-23T10:00"}]})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_service"
    assert caller.get("/api/v1/appointments/X2").status_code == 404  # all or none


def test_health_config_and_log(hall, kiosk):
    anon = hall.client()
    h = anon.get("/api/v1/health").json()
    assert h["ok"] is True and h["hall_id"] and h["version"]
    assert anon.get("/api/v1/config").status_code == 401
    c = kiosk.get("/api/v1/config").json()
    assert c["toml"].startswith("#") or "[hall]" in c["toml"]
    import hashlib
    assert c["digest"] == hashlib.sha256(c["toml"].encode()).hexdigest()
    r = kiosk.post("/api/v1/log", json={"kind": "printer", "data": {"action": "paper_out"}})
    assert r.status_code == 200
    log = kiosk.get("/api/v1/events/log", params={"after": r.json()["id"] - 1}).json()
    assert log["events"][0]["kind"] == "printer" and log["last_id"] == r.json()["id"]
    assert kiosk.post("/api/v1/log", json={"kind": "called", "data": {}}).status_code == 400
    assert kiosk.post("/api/v1/log", json={"kind": "printer", "data": {"ticket": 1}}).status_code == 400


def test_reports(hall, kiosk):
    kiosk.post("/api/v1/tickets", json={"service": "A"})
    mgr_token = hall.device("ctl", "controller")
    ctl = hall.client(mgr_token)
    r = ctl.get("/api/v1/reports/day", params={"day": "2026-11-23"})
    assert r.status_code == 200, r.text
    assert r.json()["total"]["issued"] == 1 and r.json()["from"] == "2026-11-23"
    r = ctl.get("/api/v1/reports/month", params={"month": "2026-11"})
    assert r.json()["days"] == 30
    assert ctl.get("/api/v1/reports/month", params={"month": "2026-13"}).status_code == 400
    assert kiosk.get("/api/v1/reports/day").status_code == 403


def test_window_states_in_one_read_equal_each_window_read(queue):
    """window_states() reads all windows in a few queries: the same as one window at a time."""
    for code in ("A", "A", "B", "A", "B", "A"):
        queue.issue(code)
    for n in (1, 2, 3, 5):
        queue.login(n, f"0{n}")
    queue.call_next(1), queue.call_next(2), queue.call_next(3)
    queue.transfer(1, to_window=5)
    queue.finish(2)
    queue.pause(3, "lunch")
    both = queue.window_states()
    assert [w.to_json() for w in both] == [queue.window_state(n).to_json() for n in sorted(queue._windows)]
    assert [w.last for w in both] == [queue.window_state(n).last for n in sorted(queue._windows)]
    assert any(w.waiting for w in both) and any(w.current for w in both) and any(w.last for w in both)


def test_docs_page_is_served_by_the_hall(hall):
    r = hall.client().get("/api/v1/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "/api/v1/windows/{n}/call" in r.text and "caller" in r.text
    assert "http" not in r.text.replace("http://hall", "")  # no CDN, no outside scripts or fonts


def test_report_is_the_same_json_as_the_command(hall, kiosk, queue, db_path, capsys, monkeypatch):
    import json

    from jiaohao.cli import main
    for code in ("A", "B", "A"):
        kiosk.post("/api/v1/tickets", json={"service": code})
    queue.login(1, "0517")
    queue.call_next(1)
    api = hall.client(hall.device("ctl", "controller")).get("/api/v1/reports/day",
                                                              params={"day": "2026-11-23", "by": "window"}).json()
    monkeypatch.setenv("JIAOHAO_NOW", "2026-11-23T09:00")
    capsys.readouterr()
    assert main(["--db", str(db_path), "report", "--from", "2026-11-23", "--by", "window", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api.pop("generated_at"), cli.pop("generated_at")
    assert api == cli and api["total"]["issued"] == 3


def test_answers_match_their_documented_models(hall, kiosk, caller, queue):
    """The OpenAPI document is the contract: the answers have every field its models name."""
    from server.models import EventLogOut, HealthOut, SnapshotOut, TicketOut, WindowOut
    t = kiosk.post("/api/v1/tickets", json={"service": "A"}).json()
    TicketOut.model_validate(t)
    queue.login(1, "0517")
    TicketOut.model_validate(caller.post("/api/v1/windows/1/call").json())
    snap = SnapshotOut.model_validate(caller.get("/api/v1/hall").json())
    assert len(snap.windows) == len(queue.config.windows) and snap.windows[0].current_ticket is not None
    WindowOut.model_validate(caller.get("/api/v1/windows/2").json())
    EventLogOut.model_validate(caller.get("/api/v1/events/log").json())
    HealthOut.model_validate(caller.get("/api/v1/health").json())
    doc = caller.get("/api/v1/openapi.json").json()
    ok = doc["paths"]["/api/v1/tickets"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/TicketOut")


def test_a_call_over_http_writes_the_events_a_keypad_writes(hall, kiosk, caller, queue):
    for _ in range(2):
        queue.issue("A")
    queue.login(1, "0517"), queue.login(2, "0518")
    queue.call_next(1)  # as the window bus does for a keypad's CALL
    caller.post("/api/v1/windows/2/call")
    keypad, http = [e for e in queue.events_after(0) if e.kind == "called"]
    assert (keypad.window, http.window) == (1, 2)
    assert set(keypad.data) == set(http.data) and keypad.service == http.service == "A"


def test_concurrent_calls_over_http_never_share_a_ticket(hall, queue):
    """Callers at four windows pressing CALL at once through the API (the server's thread
    pool): every ticket is called exactly once."""
    import threading
    for i in range(40):
        queue.issue("A" if i % 2 else "B")
    for n in (1, 2, 3, 4):
        queue.login(n, f"0{n}")
    token = hall.device("caller-all", "caller")
    got: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def press(n: int) -> None:
        c = hall.client(token)  # (no `with`: the app's lifespan is not this test's)
        while True:
            r = c.post(f"/api/v1/windows/{n}/call")
            if r.status_code == 204:
                return
            with lock:
                if r.status_code != 200:
                    errors.append(r.text)
                    return
                got.append(r.json()["id"])

    threads = [threading.Thread(target=press, args=(n,)) for n in (1, 2, 3, 4, 1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(got) == 40 and len(set(got)) == 40
