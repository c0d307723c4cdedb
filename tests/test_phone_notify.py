"""叫号提醒 end to end: a citizen leaves a mobile number on the status page of a real
`jiaohao serve`; as the windows call, the "N ahead" and the "called" messages are POSTed
to ``[notify] webhook`` — a receiver on 127.0.0.1 that refuses the first attempts — each
exactly once, with its Idempotency-Key, and the number never reaches serve's log."""
from __future__ import annotations

import json
import time
import uuid

import httpx

from tests.net_helpers import NetHall, wait_until
from tests.test_outbox import Receiver


def test_reminders_reach_a_failing_webhook_once_each(tmp_path):
    receiver = Receiver(fail_first=2)
    h = NetHall(tmp_path).prepare()
    try:
        with open(h.config, "a", encoding="utf-8") as f:
            f.write(f'\n[notify]\nwebhook = "{receiver.url}"\nheaders = {{ Authorization = "Bearer sms-key" }}\n')
        h.add_device("controller-1", "controller")
        h.start_serve()
        tickets = [json.loads(h.jiaohao("queue", "issue", "A", "--json").stdout) for _ in range(4)]
        mine = tickets[-1]
        r = httpx.post(mine["status_url"] + "/remind", data={"mobile": "138 0013 8000", "ahead": "1"},
                       follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/t/{mine['token']}?done=remind"
        assert "13800138000" not in r.headers["location"]
        page = httpx.get(mine["status_url"]).text
        assert "138****8000" in page and "13800138000" not in page  # masked on the page
        # a number that is not a mobile number: said in words, nothing stored
        bad = httpx.post(mine["status_url"] + "/remind", data={"mobile": "12345"}, follow_redirects=False)
        assert bad.status_code == 400 and "手机号" in bad.text

        api = h.client("controller-1")

        def act(path, body=None):
            return api.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert act("/windows/1/login", {"staff": "0517"}).status_code == 200
        act("/windows/1/call")          # 2 ahead of mine
        time.sleep(0.5)
        assert receiver.posts == []     # not yet: N = 1
        act("/windows/1/call")          # 1 ahead: the reminder
        assert wait_until(lambda: len(receiver.accepted) == 1, 20), receiver.posts
        act("/windows/1/call")          # 0 ahead: no second "ahead" message
        act("/windows/1/call")          # mine is called
        assert wait_until(lambda: len(receiver.accepted) == 2, 30), receiver.posts
        act("/windows/1/recall")        # a recall sends nothing more
        time.sleep(1.5)
        kinds = [p["kind"] for _, p in receiver.accepted]
        assert kinds == ["ahead", "called"]
        assert len(receiver.posts) == 4  # two refused, then one each
        keys = [k for k, _ in receiver.accepted]
        assert len(set(keys)) == 2 and all(k.startswith("remind:") for k in keys)
        ahead, called = (p for _, p in receiver.accepted)
        assert ahead["mobile"] == called["mobile"] == "13800138000"
        assert ahead["number"] == mine["number"] and ahead["ahead"] == 1
        assert ahead["status_url"] == mine["status_url"]
        assert called["window"] == 1 and f"请{mine['number']}号到1号窗口" in called["text"]
        log = h.serve.log_path.read_text(encoding="utf-8", errors="replace")
        assert "outbox notify" in log  # the refused attempts are logged (without the number)
        assert "13800138000" not in log and mine["token"] not in log
    finally:
        h.close()
        receiver.close()


def test_stopping_serve_ends_the_citizens_streams_at_once(tmp_path):
    import threading
    h = NetHall(tmp_path).prepare()
    try:
        h.start_serve()
        mine = json.loads(h.jiaohao("queue", "issue", "A", "--json").stdout)
        lines: list[bytes] = []
        ended = threading.Event()

        def read() -> None:
            with httpx.stream("GET", mine["status_url"] + "/events", timeout=30) as r:
                for line in r.iter_lines():
                    lines.append(line)
            ended.set()
        threading.Thread(target=read, daemon=True).start()
        assert wait_until(lambda: any(x.startswith("data: ") for x in lines), 10)
        assert json.loads(next(x for x in lines if x.startswith("data: "))[6:])["number"] == mine["number"]
        t0 = time.monotonic()
        assert h.serve.stop() == 0
        took = time.monotonic() - t0
        assert ended.wait(5) and took < 2.5, took  # uvicorn alone would wait 3 s for the open stream
    finally:
        h.close()
