"""hall/heartbeat.py against a stand-in server (httpx.MockTransport): what a beat says,
the clock offset it measures and reports next time, and what a beat without an answer
does to the event stream."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from hall.heartbeat import Heartbeat
from hall.remote import RemoteHall


class Server:
    """Answers POST /heartbeat with a clock ``behind_s`` behind this PC's."""

    def __init__(self, behind_s: float = 60.0, status: int = 200):
        self.behind_s, self.status = behind_s, status
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/heartbeat"
        assert request.headers["authorization"] == "Bearer tok"
        self.bodies.append(json.loads(request.content))
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"code": "x", "message": "x", "message_en": "x"}})
        return httpx.Response(200, json={"server_time": time.time() - self.behind_s, "last_event_id": 7,
                                         "heartbeat_s": 10.0, "max_clock_skew_s": 120.0})


def hall_with(handler, demo_config, token: str | None = "tok") -> RemoteHall:
    return RemoteHall("http://hall.test", token, demo_config, timeout_s=1.0, transport=httpx.MockTransport(handler))


def test_a_beat_says_what_it_is_and_measures_the_offset(demo_config):
    server = Server(behind_s=60.0)
    hall = hall_with(server, demo_config)
    try:
        beat = Heartbeat(hall, "caller", window=5, every_s=10)
        assert beat.beat_once() and beat.beat_once()
        first, second = server.bodies
        assert first["app"] == "caller" and first["window"] == 5 and first["instance"] == second["instance"]
        assert "offset_s" not in first and second["offset_s"] == pytest.approx(60.0, abs=0.5)
        assert abs(first["client_time"] - time.time()) < 5
        assert beat.offset.offset_s == pytest.approx(60.0, abs=0.5) and beat.offset.uncertainty_s < 0.5
        assert beat.beats == 2 and beat.failures == 0 and beat.last_answer["last_event_id"] == 7
    finally:
        hall.close()


def test_no_credential_no_beat(demo_config):
    server = Server()
    hall = hall_with(server, demo_config, token=None)
    try:
        assert not Heartbeat(hall, "caller", window=5).beat_once()
        assert server.bodies == []  # a caller PC before its staff log in
    finally:
        hall.close()


class FakeBuffer:
    connected, state, reconnects_asked = True, "connected", 0

    def newest_id(self):
        return 41

    def reconnect(self):
        self.reconnects_asked += 1


def test_an_unanswered_beat_makes_a_connected_stream_reconnect(demo_config):
    def down(request):
        raise httpx.ConnectTimeout("no route", request=request)
    hall = hall_with(down, demo_config)
    hall._events = FakeBuffer()  # the stream still believes it is connected
    try:
        beat = Heartbeat(hall, "screen")
        assert not beat.beat_once()
        assert beat.failures == 1 and hall._events.reconnects_asked == 1
    finally:
        hall._events = None
        hall.close()


def test_a_refusal_does_not_touch_the_stream(demo_config):
    server = Server(status=403)
    hall = hall_with(server, demo_config)
    hall._events = FakeBuffer()
    try:
        beat = Heartbeat(hall, "screen")
        assert not beat.beat_once()
        assert server.bodies[0]["last_event_id"] == 41 and server.bodies[0]["stream"] == "connected"
        assert hall._events.reconnects_asked == 0  # the server answered: the link is fine
    finally:
        hall._events = None
        hall.close()
