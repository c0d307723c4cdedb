"""RemoteHall against a real hall server (uvicorn on 127.0.0.1): every interface method
gives what HallQueue gives on the same scenario; refusals map to the same errors with
the server's Chinese; a lost answer retried with its Idempotency-Key acts once."""
from __future__ import annotations

import json
import re

from datetime import datetime

import httpx
import pytest

from hall import FixedClock, HallError, HallQueue
from hall.errors import Forbidden, NotAuthorized, ServerUnreachable, UnknownService
from hall.models import Event, Ticket, WindowState
from hall.port import Hall
from hall.remote import RemoteHall
from hall.snapshot import AppointmentInfo, HallSnapshot
from hall.access import Access
from tests.remote_helpers import START, LiveHall, live  # noqa: E402,F401 - fixtures


@pytest.fixture
def local(demo_config, tmp_path):
    q = HallQueue(tmp_path / "local.sqlite", demo_config, FixedClock(START))
    yield q
    q.close()


def plain(value):
    """A result in comparable form."""
    if isinstance(value, (Ticket, WindowState)):  # tokens are random per database: only their shape counts
        return json.loads(re.sub(r'(?<=["/])[0-9a-f]{32}"', '<token>"', json.dumps(value.to_json())))
    if isinstance(value, Event):
        return (value.id, value.kind, value.window, value.ticket_id, value.number, value.service, value.day)
    if isinstance(value, HallSnapshot):
        return {code: (f.waiting, f.issued_today, f.windows_open, f.wait_minutes) for code, f in value.services.items()}
    if isinstance(value, AppointmentInfo):
        return (value.code, value.service, value.name, value.slot_at, value.day, value.ticket_id)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def run(step, hall):
    try:
        return "ok", plain(step(hall))
    except HallError as e:
        return "refused", type(e).__name__


SLOT = datetime(2026, 11, 23, 9, 10)
SCENARIO = [
    ("issue", lambda h: h.issue("A", kiosk="k1")),
    ("issue priority", lambda h: h.issue("A", priority=True, kiosk="k1")),
    ("issue B", lambda h: h.issue("B", kiosk="k1")),
    ("issue unknown", lambda h: h.issue("ZZ", kiosk="k1")),
    ("is_open", lambda h: h.is_open("A")),
    ("is_open unknown", lambda h: h.is_open("ZZ")),
    ("call closed window", lambda h: h.call_next(1)),
    ("login", lambda h: h.login(1, "0517")),
    ("call_next", lambda h: h.call_next(1)),
    ("recall", lambda h: h.recall(1)),
    ("window_state", lambda h: h.window_state(1)),
    ("window_states", lambda h: h.window_states()),
    ("waiting_by_service", lambda h: h.waiting_by_service()),
    ("issued_today", lambda h: h.issued_today("A")),
    ("ticket", lambda h: h.ticket(1)),
    ("ticket unknown", lambda h: h.ticket(999)),
    ("ticket_by_number", lambda h: h.ticket_by_number("A001")),
    ("ticket_by_number unknown", lambda h: h.ticket_by_number("A999")),
    ("skip", lambda h: h.skip(1)),
    ("reactivate", lambda h: h.reactivate("A002")),
    ("call_ticket", lambda h: h.call_ticket(1, "A001")),
    ("call_ticket by seq", lambda h: h.call_ticket(1, 2)),
    ("transfer to service", lambda h: h.transfer(1, to_service="B")),
    ("transfer own window", lambda h: h.transfer(1, to_window=1)),
    ("call_next again", lambda h: h.call_next(1)),
    ("finish", lambda h: h.finish(1)),
    ("rate", lambda h: h.rate(1, 5)),
    ("rate again", lambda h: h.rate(1, 4)),
    ("rate bad score", lambda h: h.rate(1, 7)),
    ("unknown window", lambda h: h.call_next(999)),
    ("pause", lambda h: h.pause(1, "lunch")),
    ("call paused", lambda h: h.call_next(1)),
    ("resume", lambda h: h.resume(1)),
    ("resume again", lambda h: h.resume(1)),
    ("add_appointments", lambda h: h.add_appointments([("yy1234", "A", SLOT, "李四")])),
    ("appointment", lambda h: h.appointment("YY1234")),
    ("appointment unknown", lambda h: h.appointment("NOPE")),
    ("check_in", lambda h: h.check_in("YY1234", kiosk="k1")),
    ("check_in again", lambda h: h.check_in("yy1234", kiosk="k1")),
    ("check_in unknown", lambda h: h.check_in("NOPE", kiosk="k1")),
    ("cancel", lambda h: h.cancel(5, "print_failed")),
    ("cancel twice", lambda h: h.cancel(5, "print_failed")),
    ("snapshot", lambda h: h.snapshot()),
    ("log_event", lambda h: h.log_event("printer", action="status", status="ok")),
    ("drain", lambda h: [h.call_next(1) for _ in range(4)]),
    ("nobody waits", lambda h: h.call_next(1)),
    ("logout", lambda h: h.logout(1)),
    ("events_after", lambda h: h.events_after(0, 500)),
    ("events_after limit", lambda h: h.events_after(3, 4)),
    ("event_page", lambda h: h.event_page(10, 5)),
    ("last_event_id", lambda h: h.last_event_id()),
]


def test_remote_hall_is_a_hall(live):
    assert isinstance(live.remote(), Hall)
    assert isinstance(live.queue, Hall)


def test_every_method_gives_what_the_local_queue_gives(live, local):
    remote = live.remote("controller")
    access = Access(local)
    access.add_device("controller-1", "controller")  # the same event log from the start
    access.close()
    differ = []
    for name, step in SCENARIO:
        want, got = run(step, local), run(step, remote)
        if want != got:
            differ.append(f"{name}:\n  local  {want}\n  remote {got}")
    assert not differ, "\n".join(differ)
    assert remote.events_after(0, 1000)[-1].id == local.last_event_id()
    # a page larger than the server gives is read as the server's largest, not refused (422)
    events, last = remote.log_page(0, 100_000)
    assert events and events[-1].id == last == local.last_event_id()


def test_refusals_carry_the_servers_chinese(live):
    remote = live.remote("controller")
    live.queue.login(5, "0517")
    live.queue.pause(5, "lunch")
    with pytest.raises(HallError) as e:
        remote.call_next(5)
    assert e.value.code == "window_state"
    assert e.value.zh == "5号窗口已暂停，请先恢复服务"
    assert "paused" in str(e.value)
    # what the client refuses itself has its Chinese too
    for ask in (lambda: remote.is_open("ZZ"), lambda: remote.issued_today("ZZ")):
        with pytest.raises(UnknownService) as e:
            ask()
        assert e.value.zh == "没有业务 ZZ" and str(e.value) == "unknown service 'ZZ'"


def test_a_kiosk_may_not_call_and_a_bad_token_is_refused(live):
    kiosk = live.remote("kiosk")
    live.queue.login(1, "0517")
    with pytest.raises(Forbidden) as e:
        kiosk.call_next(1)
    assert e.value.zh and e.value.status == 403
    nobody = RemoteHall(live.url, "not-a-token", live.queue.config)
    try:
        with pytest.raises(NotAuthorized):
            nobody.issue("A")
    finally:
        nobody.close()
    assert live.queue.waiting_by_service()["A"] == 0


class LoseAnswers(httpx.BaseTransport):
    """Forwards every request; the answers to the next ``n`` POSTs are lost on the way
    back (``late``: they come after the client's time-out, else the connection drops)."""

    def __init__(self, n: int = 1, late: bool = False):
        self.inner = httpx.HTTPTransport()
        self.keys: list[str | None] = []
        self.n, self.late = n, late

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.keys.append(request.headers.get("Idempotency-Key"))
            if self.n > 0:
                self.n -= 1
                response.read()
                response.close()
                if self.late:
                    raise httpx.ReadTimeout("timed out", request=request)
                raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def close(self):
        self.inner.close()


def test_a_lost_answer_is_retried_with_the_same_key_and_acts_once(live):
    transport = LoseAnswers(1)
    remote = live.remote("kiosk", transport=transport)
    t = remote.issue("A", kiosk="k1")
    assert t.number == "A001"
    assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1] and transport.keys[0]
    assert live.queue.issued_today("A") == 1  # issued once, though asked twice
    t2 = remote.issue("A", kiosk="k1")  # the next tap: a new key, a new ticket
    assert t2.number == "A002" and transport.keys[2] != transport.keys[0]


def test_a_late_answer_is_asked_again_with_its_key_within_the_budget(live):
    transport = LoseAnswers(1, late=True)
    remote = live.remote("kiosk", transport=transport, timeout_s=1.5)
    t = remote.issue("A", kiosk="k1")
    assert t.number == "A001" and live.queue.issued_today("A") == 1
    assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1]


def test_a_key_press_after_an_unanswered_one_is_its_retry(live):
    """CALL never answered within the budget; the clerk presses CALL again: the same key,
    so the server answers with the call it made (the number announced), not a second one."""
    from hall.errors import ServerUnreachable
    transport = LoseAnswers(100, late=True)
    remote = live.remote("caller", transport=transport, timeout_s=0.6)
    live.queue.login(1, "0517")
    live.queue.issue("A")
    live.queue.issue("A")
    with pytest.raises(ServerUnreachable):
        remote.call_next(1)
    transport.n = 0  # the network is well again
    again = remote.call_next(1)
    assert again.number == "A001"
    assert [e.kind for e in live.queue.events_after(0)].count("called") == 1
    assert len(set(transport.keys)) == 1  # every try and the second press: one key
    assert remote.call_next(1).number == "A002"  # the next press after an answer: a new call
    assert len(set(transport.keys)) == 2


def test_a_server_that_does_not_answer_is_said_within_the_time_out(demo_config):
    import socket
    import time
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    remote = RemoteHall(f"http://127.0.0.1:{port}", "t", demo_config, timeout_s=0.5)
    try:
        t0 = time.monotonic()
        with pytest.raises(ServerUnreachable) as e:
            remote.issue("A")
        assert time.monotonic() - t0 < 1.0
        assert e.value.zh == f"连接不上叫号服务器 (http://127.0.0.1:{port})"
        assert f"127.0.0.1:{port}" in str(e.value)
        snap = remote.snapshot()  # the kiosk's figures never raise: stale, marked so
        assert snap.ok is False and set(snap.services) == {s.code for s in demo_config.services}
    finally:
        remote.close()


def test_events_arrive_in_the_buffer(live):
    remote = live.remote("screen")
    start = remote.last_event_id()
    live.queue.issue("A")
    live.queue.login(1, "0517")
    t = live.queue.call_next(1)
    buf = remote._buffer()
    assert buf.wait_for(live.queue.last_event_id(), 5.0)
    kinds = [(e.kind, e.number) for e in remote.events_after(start)]
    assert ("issued", "A001") in kinds and ("called", t.number) in kinds
    assert remote.last_event_id() == live.queue.last_event_id()
    # an older range than the buffer holds is read from the log
    assert [e.id for e in remote.events_after(0, 3)] == [e.id for e in live.queue.events_after(0, 3)]


def test_the_event_buffer_catches_up_after_a_server_restart(live):
    remote = live.remote("screen")
    start = remote.last_event_id()
    for _ in range(3):
        live.queue.issue("A")
    assert remote._buffer().wait_for(live.queue.last_event_id(), 5.0)
    assert remote._buffer().connected

    def while_down():
        for _ in range(3):
            live.queue.issue("B")
    live.restart(while_down)
    live.queue.issue("C")
    assert remote._buffer().wait_for(live.queue.last_event_id(), 15.0)
    ids = [e.id for e in remote.events_after(start, 1000)]
    assert ids == list(range(start + 1, live.queue.last_event_id() + 1))  # none missed, none twice
    assert remote._buffer().reconnects >= 2


@pytest.mark.parametrize("status, body, headers, cls, code", [
    (409, {"error": {"code": "cap", "message": "今日已满", "message_en": "cap"}}, {}, "DailyCapReached", "cap"),
    (409, {"error": {"code": "closed", "message": "未开放", "message_en": "closed"}}, {}, "ServiceClosed", "closed"),
    (404, {"error": {"code": "unknown_window", "message": "无", "message_en": "x"}}, {}, "UnknownWindow",
     "unknown_window"),
    (409, {"error": {"code": "idempotency_mismatch", "message": "重复", "message_en": "x"}}, {},
     "IdempotencyMismatch", "idempotency_mismatch"),
    (401, {"error": {"code": "bad_login", "message": "工号或密码错误", "message_en": "x"}}, {}, "NotAuthorized",
     "bad_login"),
    (429, {"error": {"code": "too_many_attempts", "message": "稍后", "message_en": "x"}}, {"Retry-After": "120"},
     "TooManyAttempts", "too_many_attempts"),
    (503, {"error": {"code": "database", "message": "数据库", "message_en": "x"}}, {}, "ServerProblem", "database"),
    (502, "<html>Bad Gateway</html>", {}, "ServerProblem", "server"),
])
def test_refusals_map_to_hall_errors(status, body, headers, cls, code):
    from hall.remote import refusal
    r = httpx.Response(status, json=body, headers=headers) if isinstance(body, dict) else \
        httpx.Response(status, text=body, headers=headers)
    e = refusal(r)
    assert type(e).__name__ == cls and e.code == code
    assert e.zh and str(e)
    if status == 429:
        assert e.retry_after == 120


def test_an_answer_of_another_shape_is_said_in_words(demo_config):
    weird = httpx.MockTransport(lambda request: httpx.Response(201, json={"ticket": "A001"}))
    remote = RemoteHall("http://hall.invalid", "t", demo_config, transport=weird)
    try:
        with pytest.raises(HallError) as e:
            remote.issue("A")
        assert "does not understand" in str(e.value) and "same jiaohao version" in str(e.value)
    finally:
        remote.close()
