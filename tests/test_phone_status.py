"""The ticket's token and status URL, the status page's JSON twin (the Contract), the
citizens' app refusing the API and staff routes, the once-per-ticket evaluation, rate
limits. In-process: the hall API app over a real queue (tests/api_helpers.py)."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
import warnings

import pytest

from config import DEMO_HALL
from hall.public_url import public_base
from server.web import public
from server.web.phone_limits import Bucket
from tests.api_helpers import hall  # noqa: F401


def _client(app):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
        return TestClient(app, base_url="http://hall", raise_server_exceptions=False)


def test_a_kiosks_own_token_has_the_servers_shape_and_day():
    from hall.ticket_token import is_token, new_token
    assert new_token(946684800.0)[:4] == "0000" and new_token(946684800.0 + 86400 * 366)[:4] == "016e"
    made = [new_token(1795000000.0) for _ in range(50)]
    assert all(is_token(t) and t[:4] == made[0][:4] for t in made) and len(set(made)) == 50
    db = sqlite3.connect(":memory:")  # the trigger's day is the same number
    day = db.execute("SELECT printf('%04x', CAST(julianday(1795000000.0, 'unixepoch') - 2451544.5 AS INTEGER) "
                     "& 65535)").fetchone()[0]
    assert day == made[0][:4]


def test_every_ticket_gets_an_unguessable_token_however_it_is_inserted(queue):
    tickets = [queue.issue("A") for _ in range(20)]
    tokens = [t.token for t in tickets]
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)  # the day's 4, 112 random bits; URL-safe
    assert len(set(tokens)) == 20
    # the day first (days since 2000-01-01, UTC: each day's inserts at one end of the index),
    # then consecutive tokens share nothing beyond chance
    today = f"{(int(time.time() // 86400) - 10957) & 0xFFFF:04x}"
    assert {t[:4] for t in tokens} <= {today, f"{int(today, 16) + 1:04x}"}  # a test run across midnight
    assert max(len(_common(a[4:], b[4:])) for a, b in zip(tokens, tokens[1:])) < 6
    # a ticket written by another code path (a lease merge, a check-in) gets one too
    with queue.transaction() as (c, _now):
        c.execute("INSERT INTO tickets (day, prefix, seq, number, service, origin_service, kind, status, lane, "
                  "sort_key, ahead, issued_at) VALUES ('2026-11-23', 'A', 99, 'A099', 'A', 'A', 'normal', "
                  "'waiting', 3, 1, 0, 1)")
    assert re.fullmatch(r"[0-9a-f]{32}", queue.ticket_by_number("A099").token)
    t = queue.ticket(tickets[0].id)
    assert t.status_url == f"{public_base(queue.config)}/t/{t.token}"


def _common(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_cli_issue_json_carries_the_status_url(tmp_path):
    text = DEMO_HALL.read_text(encoding="utf-8") + '\n[server]\nlisten = "0.0.0.0:8080"\npublic_url = "https://zwfw.example.gov.cn/jh/"\n'
    cfg = tmp_path / "hall.toml"
    cfg.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "jiaohao", "--config", str(cfg), "--db", str(tmp_path / "q.db"),
                        "queue", "issue", "A", "--json"], capture_output=True, text=True, timeout=60,
                       env={"JIAOHAO_NOW": "2026-11-23T09:00", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)
    assert t["status_url"] == f"https://zwfw.example.gov.cn/jh/t/{t['token']}"


def test_default_public_url_is_this_pcs_address_on_the_citizens_port(demo_config, monkeypatch):
    from hall import public_url
    monkeypatch.setattr(public_url, "_listening", None)
    base = public_base(demo_config)  # no [server]: the API's default port
    assert re.fullmatch(r"http://[^/]+:8080", base)
    server = type("S", (), {"public_url": "", "public_listen": "0.0.0.0:8081", "listen": "0.0.0.0:8080"})()
    cfg = type("C", (), {"server": server})()
    assert public_base(cfg).endswith(":8081") and "0.0.0.0" not in public_base(cfg)
    # a serve (or the demo) listening on a port chosen at start: the QR codes follow it
    public_url.listening_at("127.0.0.1", 41234)
    assert public_base(cfg) == public_base(demo_config) == "http://127.0.0.1:41234"


def test_api_ticket_json_and_the_qr_carry_the_status_url(hall):
    from kiosk.ticket_layout import qr_content
    c = hall.client(hall.device("kiosk-1", "kiosk"))
    t = c.post("/api/v1/tickets", json={"service": "A"}, headers={"Idempotency-Key": "k1"}).json()
    assert t["status_url"].endswith("/t/" + t["token"])
    ticket = hall.queue.ticket(t["id"])
    assert qr_content(hall.queue.config.printer.qr, ticket) == t["status_url"]
    assert qr_content("https://x.gov.cn/q?t={token}", ticket) == "https://x.gov.cn/q?t=" + t["token"]


def test_status_json_html_and_the_called_window(hall):
    q = hall.queue
    first, mine = q.issue("A"), q.issue("A")
    with _client(hall.app) as c:
        path = "/t/" + mine.token
        s = c.get(path, headers={"Accept": "application/json"}).json()
        assert (s["number"], s["state"], s["ahead"]) == (mine.number, "waiting", 1)
        assert "window" not in s and s["wait_minutes"] >= 1
        assert s["estimate"]["handling_minutes"] == 6 and not s["estimate"]["measured"]
        assert [w["number"] for w in s["windows"]] == [1, 2, 3, 12]
        assert "staff" not in json.dumps(s) and "id" not in s and "token" not in s  # nothing but the citizen's own
        html = c.get(path)
        assert html.headers["content-type"].startswith("text/html") and mine.number in html.text
        assert "前面还有" in html.text and "/guide/A" in html.text
        q.login(1, "0517")
        q.call_next(1)
        assert c.get(path, headers={"Accept": "application/json"}).json()["ahead"] == 0
        q.call_next(1)
        s = c.get(path, headers={"Accept": "application/json"}).json()
        assert (s["state"], s["window"]) == ("called", 1)
        assert "请到" in c.get(path).text
        q.skip(1)
        s = c.get(path, headers={"Accept": "application/json"}).json()
        assert s["state"] == "skipped" and "过号重排" in c.get(path).text
        # a token of the right shape that is no ticket, and nonsense: the same polite 404
        for bad in ("0" * 32, "abc", mine.token.upper(), "%27%20OR%201%3D1"):
            r = c.get("/t/" + bad, headers={"Accept": "application/json"})
            assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket"
        assert c.get("/t/../../etc/passwd").status_code == 404


def test_citizens_app_serves_the_phone_pages_and_refuses_the_api(hall):
    token = hall.device("k1", "controller")
    mine = hall.queue.issue("A")
    app = public.create_public_app(hall.app)
    auth = {"Authorization": f"Bearer {token}"}
    with _client(app) as c:
        for path in ("/api/v1/health", "/api/v1/hall", "/api/v1/events", "/api/v1/tickets/A001", "/login",
                     "/api/v1/docs", "/api/v1/openapi.json", "/api/v1/reports/day"):
            assert c.get(path, headers=auth).status_code == 404, path
        assert c.post("/api/v1/windows/1/call", headers={**auth, "Idempotency-Key": "x"}).status_code == 404
        assert c.post("/api/v1/tickets", json={"service": "A"}, headers=auth).status_code == 404
        r = c.get("/t/" + mine.token, headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.json()["number"] == mine.number
        assert c.get("/hall", headers={"Accept": "application/json"}).json()["services"][0]["waiting"] == 1
        assert c.get("/t/" + mine.token).status_code == 200
    assert hall.queue.ticket(mine.id).status == "waiting"  # nothing changed


def test_evaluation_once_per_ticket_only_after_finish(hall):
    q = hall.queue
    mine = q.issue("A")
    with _client(hall.app) as c:
        path = "/t/" + mine.token
        json_ = {"Accept": "application/json"}
        assert c.post(path + "/rate", data={"level": "1"}, headers=json_).status_code == 409  # not served yet
        q.login(1, "0517")
        q.call_next(1)
        q.finish(1)
        assert "请为本次服务评价" in c.get(path).text
        r = c.post(path + "/rate", data={"level": "5", "problems": ["服务态度差", "没有这项"]}, headers=json_)
        assert r.status_code == 400  # an unknown problem option: said, nothing recorded
        r = c.post(path + "/rate", data={"level": "5", "problems": ["服务态度差"], "comment": "等了很久"},
                   follow_redirects=False)
        assert r.status_code == 303
        assert c.post(path + "/rate", data={"level": "1"}, headers=json_).status_code == 409
        assert c.get(path, headers=json_).json()["rated"] is True
    conn = sqlite3.connect(q.path)
    rows = conn.execute("SELECT level, channel, problems, text FROM ratings").fetchall()
    followups = conn.execute("SELECT count(*) FROM followups").fetchone()[0]
    conn.close()
    assert rows == [(5, "qrcode", '["服务态度差"]', "等了很久")] and followups == 1  # a 差评 is followed up


def test_a_ticket_rated_at_the_window_is_not_rated_again(hall):
    q = hall.queue
    mine = q.issue("A")
    q.login(1, "0517")
    q.call_next(1)
    q.finish(1)
    q.rate(1, 5)
    with _client(hall.app) as c:
        assert "已评价" in c.get("/t/" + mine.token).text
        assert c.post("/t/" + mine.token + "/rate", data={"level": "2"},
                      headers={"Accept": "application/json"}).status_code == 409


def test_guessing_tokens_is_rate_limited_per_address(hall):
    with _client(hall.app) as c:
        codes = [c.get("/t/%032x" % i, headers={"Accept": "application/json"}).status_code for i in range(14)]
    assert codes[:10] == [404] * 10 and codes[-1] == 429


def test_bucket_refills_with_time():
    now = [0.0]
    b = Bucket(60, 2, clock=lambda: now[0])
    assert b.allow("x") and b.allow("x") and not b.allow("x")
    assert b.allow("y")  # per key
    now[0] += 1.0
    assert b.allow("x") and not b.allow("x")


def test_reminder_needs_a_mobile_number_and_is_limited_per_number(hall):
    mine = hall.queue.issue("A")
    with _client(hall.app) as c:
        path = "/t/" + mine.token + "/remind"
        assert c.post(path, data={"mobile": "12345678901"}).status_code == 400
        codes = [c.post(path, data={"mobile": "13900139000", "ahead": "2"}, follow_redirects=False).status_code
                 for _ in range(5)]
    assert codes[:3] == [303] * 3 and codes[-1] == 429
    conn = sqlite3.connect(hall.queue.path)
    assert conn.execute("SELECT mobile, ahead FROM ticket_reminders").fetchall() == [("13900139000", 2)]
    conn.close()


@pytest.mark.parametrize("given,want", [("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
                                        ("23800138000", None), ("1380013800", None), ("", None)])
def test_clean_mobile(given, want):
    from hall.reminders import clean_mobile
    assert clean_mobile(given) == want


def test_a_booked_ticket_with_a_mobile_number_is_reminded(hall):
    import time
    from datetime import datetime
    q = hall.queue
    q.add_appointments([("YY7001", "A", datetime(2026, 11, 23, 9, 10), "李四")])
    with q.transaction() as (c, _now):
        c.execute("UPDATE appointments SET mobile = '13700137000' WHERE code = 'YY7001'")
    with _client(hall.app):  # the feed runs with the app
        booked = q.check_in("YY7001", kiosk="k1")
        q.login(1, "0517")
        q.call_next(1)
        deadline = time.monotonic() + 10
        rows = []
        while time.monotonic() < deadline and not any(k.endswith(":called") for k, _ in rows):
            conn = sqlite3.connect(q.path)
            rows = conn.execute("SELECT dedupe_key, payload FROM outbox WHERE channel = 'notify'").fetchall()
            conn.close()
            time.sleep(0.05)
    keys = [k for k, _ in rows]  # "ahead" too when a turn ran between the check-in and the call
    assert f"remind:{booked.id}:called" in keys and set(keys) <= {f"remind:{booked.id}:ahead", f"remind:{booked.id}:called"}
    assert all(json.loads(p)["mobile"] == "13700137000" for _, p in rows)


def test_diag_check_names_a_failing_reminder_webhook(tmp_path, demo_config, queue):
    from pathlib import Path
    from types import SimpleNamespace

    from hall import outbox
    from jiaohao.diag import notify
    with queue.transaction() as (c, now):
        outbox.enqueue(c, "notify", {"kind": "ahead"}, "remind:1:ahead", now.timestamp())
        c.execute("UPDATE outbox SET attempts = 2, last_error = 'HTTP 503: busy'")
    no_hook = SimpleNamespace(config=demo_config, db_path=Path(queue.path))
    [r] = notify.check(no_hook)
    assert not r.ok and "webhook is not set" in r.detail
    hooked = demo_config.model_copy(update={"notify": demo_config.notify.model_copy(
        update={"webhook": "http://127.0.0.1:9/sms"})})
    [r] = notify.check(SimpleNamespace(config=hooked, db_path=Path(queue.path)))
    assert not r.ok and "HTTP 503: busy" in r.detail and "1 reminder(s) not taken" in r.detail
