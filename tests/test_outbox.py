"""The persistent outbox (hall/outbox.py) against a receiver on 127.0.0.1 that refuses
its first attempts: every record arrives, once, in order, across a restart."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from hall import outbox
from hall.db import connect
from hall.outbox import Destination, OutboxSender


class Receiver:
    """A webhook receiver on loopback that answers 503 to its first ``fail_first`` posts."""

    def __init__(self, fail_first: int = 0):
        self.fail_first, self.posts, self.accepted = fail_first, [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.headers["Idempotency-Key"], json.loads(body)))
                if len(receiver.posts) <= receiver.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.accepted.append((self.headers["Idempotency-Key"], json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver(fail_first=3)
    yield r
    r.close()


def queue_records(db_path, n: int, channel: str = "sms") -> None:
    conn = connect(db_path)
    try:
        conn.execute("BEGIN")
        for i in range(n):
            assert outbox.enqueue(conn, channel, {"n": i, "text": "请A00%d号到5号窗口" % i}, f"r{i}", at=1000.0 + i)
        assert not outbox.enqueue(conn, channel, {"n": 0}, "r0")  # queued once only
        conn.execute("COMMIT")
    finally:
        conn.close()


class FakeClock:
    def __init__(self, t: float = 2000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_retries_with_back_off_until_delivered_once_each(tmp_path, receiver):
    db = tmp_path / "h.sqlite"
    queue_records(db, 5)
    clock = FakeClock()
    sender = OutboxSender(db, {"sms": Destination(receiver.url)}, clock=clock)
    conn = connect(db)
    with httpx.Client() as client:
        rounds = 0
        while len(receiver.accepted) < 5 and rounds < 20:
            sender.send_due(conn, client)
            clock.t += outbox.MAX_RETRY_S  # let every back-off pass
            rounds += 1
    # a refused record does not hold up the ones after it (one bad record must not stop a channel)
    assert sorted(k for k, _ in receiver.accepted) == ["r0", "r1", "r2", "r3", "r4"]
    assert [k for k, _ in receiver.accepted][:2] == ["r3", "r4"]
    assert len(receiver.posts) == 5 + 3  # three refused tries, each repeated later
    assert outbox.status(conn) == [{"channel": "sms", "pending": 0, "sent": 5, "failing": 0,
                                    "oldest_pending_at": None, "last_error": None}]
    conn.close()


def test_failures_are_visible_and_back_off_grows(tmp_path):
    db = tmp_path / "h.sqlite"
    queue_records(db, 1)
    clock = FakeClock()
    dead = Destination("http://127.0.0.1:9/nothing-listens-here", timeout_s=1)
    sender = OutboxSender(db, {"sms": dead}, clock=clock)
    conn = connect(db)
    with httpx.Client() as client:
        assert sender.send_due(conn, client)
        assert not sender.send_due(conn, client)  # not due again before its back-off
        clock.t += outbox.retry_after(1)
        assert sender.send_due(conn, client)
    [row] = outbox.status(conn)
    assert row["pending"] == 1 and row["failing"] == 1 and "Connect" in row["last_error"]
    next_at, attempts = conn.execute("SELECT next_at, attempts FROM outbox").fetchone()
    assert attempts == 2 and next_at == pytest.approx(clock.t + outbox.retry_after(2))
    assert [outbox.retry_after(n) for n in (1, 2, 3, 20)] == [2.0, 4.0, 8.0, outbox.MAX_RETRY_S]
    conn.close()


def test_a_refusal_inside_a_2xx_is_a_failure(tmp_path, receiver):
    receiver.fail_first = 0
    db = tmp_path / "h.sqlite"
    queue_records(db, 1)
    sender = OutboxSender(db, {"sms": Destination(receiver.url, accept=lambda r: "platform said code 1")},
                          clock=FakeClock())
    conn = connect(db)
    with httpx.Client() as client:
        sender.send_due(conn, client)
    assert outbox.status(conn)[0]["last_error"] == "platform said code 1"
    conn.close()


def test_the_thread_delivers_and_a_restart_sends_nothing_twice(tmp_path, receiver):
    receiver.fail_first = 0
    db = tmp_path / "h.sqlite"
    queue_records(db, 3)
    sender = OutboxSender(db, {"sms": Destination(receiver.url)}, poll_s=0.05)
    sender.start()
    deadline = time.monotonic() + 10
    while len(receiver.accepted) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    sender.stop()
    queue_records_more = connect(db)
    outbox.enqueue(queue_records_more, "sms", {"n": 3}, "r3")
    queue_records_more.close()
    again = OutboxSender(db, {"sms": Destination(receiver.url)}, poll_s=0.05)
    again.start()
    deadline = time.monotonic() + 10
    while len(receiver.accepted) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    again.stop()
    assert [k for k, _ in receiver.accepted] == ["r0", "r1", "r2", "r3"]
    assert receiver.accepted[0][1]["text"] == "请A000号到5号窗口"


def test_a_channel_without_destination_waits(tmp_path, receiver):
    db = tmp_path / "h.sqlite"
    queue_records(db, 2, channel="province")
    sender = OutboxSender(db, {"sms": Destination(receiver.url)}, clock=FakeClock())
    conn = connect(db)
    with httpx.Client() as client:
        assert not sender.send_due(conn, client)
    assert receiver.posts == [] and outbox.status(conn)[0]["pending"] == 2
    conn.close()
