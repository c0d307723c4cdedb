"""The citizen's phone in Chromium (390×844) against a real `jiaohao serve` with its
citizens' listener: scan the ticket's QR (its status_url), watch the page follow the
calls live, the called banner, the evaluation recorded against the ticket; the hall page;
the page's weight. Screenshots: docs/screenshots/phone-*.png (JIAOHAO_SCREENSHOTS=docs)."""
from __future__ import annotations

import json
import sqlite3
import uuid

import httpx

from tests.browser_helpers import browser, phone, shot  # noqa: F401
from tests.net_helpers import hall  # noqa: F401

WEIGHT_LIMIT = 60 * 1024


def _issue(hall, service: str = "A") -> dict:
    r = hall.jiaohao("queue", "issue", service, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _window(hall, n: int, action: str) -> httpx.Response:
    c = hall.client("controller-1")
    return c.post(f"/windows/{n}/{action}", json={"staff": "0517"} if action == "login" else None,
                  headers={"Idempotency-Key": uuid.uuid4().hex})


def test_scan_to_status_follows_the_calls_live_and_records_the_evaluation(hall, phone, shot):
    others = [_issue(hall) for _ in range(2)]
    mine = _issue(hall)
    assert mine["status_url"] == f"{hall.public_url}/t/{mine['token']}"  # the QR's URL, on the citizens' listener
    assert all(o["token"] != mine["token"] for o in others)
    # the citizens' listener answers no API route, not even with a credential
    auth = {"Authorization": f"Bearer {hall.tokens['controller-1']}"}
    for path in ("/api/v1/health", "/api/v1/hall", "/api/v1/events", "/login"):
        assert httpx.get(hall.public_url + path, headers=auth).status_code == 404, path
    assert httpx.post(hall.public_url + "/api/v1/windows/1/call", headers=auth).status_code == 404
    r = httpx.get(mine["status_url"], headers={"Accept": "application/json"})
    assert (r.json()["number"], r.json()["state"], r.json()["ahead"]) == (mine["number"], "waiting", 2)

    weight = {"bytes": 0, "n": 0}

    def count(response):
        if response.url.startswith(hall.public_url) and "/events" not in response.url:
            try:
                weight["bytes"] += len(response.body()) + sum(len(k) + len(v) + 4 for k, v in response.headers.items())
                weight["n"] += 1
            except Exception:
                pass
    phone.on("response", count)
    phone.goto(mine["status_url"])
    assert phone.locator(".big-number").inner_text() == mine["number"]
    assert phone.locator(".js-ahead").inner_text() == "2"
    assert weight["n"] >= 3 and weight["bytes"] < WEIGHT_LIMIT, weight  # html, css ×2, js
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(phone, "phone-status-waiting")

    assert _window(hall, 1, "login").status_code == 200
    assert _window(hall, 1, "call").json()["number"] == others[0]["number"]
    phone.wait_for_function("document.querySelector('.js-ahead').textContent === '1'", timeout=5000)
    # the windows table shows the call in progress
    phone.wait_for_function(f"document.querySelector('.js-windows').textContent.includes('{others[0]['number']}')",
                            timeout=5000)
    assert _window(hall, 1, "call").json()["number"] == others[1]["number"]
    phone.wait_for_function("document.querySelector('.js-ahead').textContent === '0'", timeout=5000)
    assert _window(hall, 1, "call").json()["number"] == mine["number"]
    banner = phone.locator("#called")
    banner.wait_for(state="visible", timeout=5000)
    assert "请到1号窗口" in banner.inner_text()
    shot(phone, "phone-status-called")

    assert _window(hall, 1, "finish").status_code == 200
    phone.locator("#rate").wait_for(state="visible", timeout=8000)  # the page reloads for the next step
    phone.get_by_label("不满意", exact=True).check()
    phone.get_by_label("多次跑动").check()
    phone.locator("#comment").fill("材料要求没有提前说清楚")
    shot(phone, "phone-status-rate")
    phone.get_by_role("button", name="提交评价").click()
    phone.get_by_text("评价已提交，谢谢您！").wait_for(timeout=5000)
    assert "已评价" in phone.locator("#rate").inner_text()
    shot(phone, "phone-status-rated")
    conn = sqlite3.connect(hall.db)
    try:
        row = conn.execute("SELECT r.level, r.channel, r.problems, r.text FROM ratings r JOIN tickets t "
                           "ON t.id = r.ticket_id WHERE t.token = ?", (mine["token"],)).fetchall()
    finally:
        conn.close()
    assert row == [(4, "qrcode", '["多次跑动"]', "材料要求没有提前说清楚")]  # 不满意, channel 二维码
    # once per ticket
    r = httpx.post(mine["status_url"] + "/rate", data={"level": "1"}, headers={"Accept": "application/json"})
    assert r.status_code == 409


def test_hall_page_missing_ticket_english_and_320px(hall, phone, shot):
    for _ in range(3):
        _issue(hall, "A")
    _issue(hall, "C")
    phone.goto(hall.public_url + "/hall")
    row = phone.locator('tr[data-code="A"]')
    assert "3人" in row.inner_text()
    shot(phone, "phone-hall")
    _issue(hall, "A")
    phone.wait_for_function("document.querySelector('tr[data-code=\"A\"] .js-waiting').textContent === '4人'",
                            timeout=5000)  # live

    mine = _issue(hall, "C")
    phone.set_viewport_size({"width": 320, "height": 640})
    phone.goto(mine["status_url"] + "?lang=en&big=1")
    assert "ahead of you" in phone.locator(".state-line").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    shot(phone, "phone-status-english-large-320")
    phone.goto(hall.public_url + "/t/" + "0" * 32 + "?lang=zh&big=0")
    assert "没有找到这张票" in phone.content()
    shot(phone, "phone-missing")


def test_page_polls_when_the_stream_is_refused(hall, phone):
    first, mine = _issue(hall), _issue(hall)
    phone.route("**/events", lambda route: route.abort())  # a proxy that cuts event streams
    phone.goto(mine["status_url"])
    assert phone.locator(".js-ahead").inner_text() == "1"
    assert _window(hall, 2, "login").status_code == 200
    assert _window(hall, 2, "call").json()["number"] == first["number"]
    # two failed stream attempts (~3 s apart), then a poll at once and every 15 s
    phone.wait_for_function("document.querySelector('.js-ahead').textContent === '0'", timeout=25000)


def test_a_missed_number_says_what_to_do_next(hall, phone, shot):
    mine = _issue(hall, "D")
    phone.goto(mine["status_url"])
    assert _window(hall, 6, "login").status_code == 200
    assert _window(hall, 6, "call").json()["number"] == mine["number"]
    phone.locator("#called").wait_for(state="visible", timeout=5000)
    assert _window(hall, 6, "skip").status_code == 200
    phone.get_by_text("已过号").wait_for(timeout=8000)  # the page moves on by itself
    assert "过号重排" in phone.locator(".next").inner_text()
    shot(phone, "phone-status-skipped")
    # put back in the queue at the service desk (过号重排): the page follows
    r = hall.client("controller-1").post(f"/tickets/{mine['number']}/reactivate",
                                         headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 200, r.text
    phone.locator(".js-ahead").wait_for(timeout=8000)
    assert "前面还有" in phone.locator(".state-line").inner_text()
