"""Every answer of the hall API says how long the server took (Server-Timing), refusals too."""
from __future__ import annotations

import pytest

from server.server_timing import duration_ms
from tests.api_helpers import hall  # noqa: F401 - the fixture


@pytest.fixture
def kiosk(hall):
    return hall.client(hall.device("kiosk-2", "kiosk"))


def _dur(r) -> float:
    value = duration_ms(r.headers.get("server-timing"))
    assert value is not None, r.headers
    return value


def test_answers_carry_the_servers_time(kiosk, queue):
    issued = kiosk.post("/api/v1/tickets", json={"service": "A"})
    assert issued.status_code == 201
    refused = kiosk.post("/api/v1/windows/1/call")  # a kiosk may not call: 403
    assert refused.status_code == 403
    unknown = kiosk.post("/api/v1/tickets", json={"service": "no-such"})
    assert unknown.status_code in (400, 404, 422)
    for r in (issued, refused, unknown, kiosk.get("/api/v1/health"), kiosk.get("/api/v1/hall")):
        assert r.headers.get_list("server-timing") and len(r.headers.get_list("server-timing")) == 1
        assert 0 <= _dur(r) < 10_000


def test_the_time_covers_the_work(kiosk, queue, monkeypatch):
    """A slow queue shows in the figure: it is the request's time, not a constant."""
    import time
    slow = queue.issue

    def issue(*a, **kw):
        time.sleep(0.05)
        return slow(*a, **kw)
    monkeypatch.setattr(queue, "issue", issue)
    r = kiosk.post("/api/v1/tickets", json={"service": "A"})
    assert r.status_code == 201, r.text
    assert _dur(r) >= 50


@pytest.mark.parametrize("value, ms", [("app;dur=1.25", 1.25), ("app;desc=x;dur=7", 7.0),
                                       ("app", None), ("app;dur=x", None), (None, None)])
def test_duration_parsed(value, ms):
    assert duration_ms(value) == ms


def test_requests_in_flight_are_counted_until_their_answer(kiosk, queue, monkeypatch):
    """serve's full garbage collections wait for a moment with none (jiaohao/gc_settle.py)."""
    from server.server_timing import activity
    seen = []
    slow = queue.issue

    def issue(*a, **kw):
        seen.append((activity.in_flight, activity.quiet(0.0)))
        return slow(*a, **kw)
    monkeypatch.setattr(queue, "issue", issue)
    assert kiosk.post("/api/v1/tickets", json={"service": "A"}).status_code == 201
    assert seen == [(1, False)]  # during the request: in flight, not quiet
    assert activity.in_flight == 0
    assert activity.quiet(0.0) and not activity.quiet(60.0)  # answered just now
    assert kiosk.post("/api/v1/windows/1/call").status_code == 403  # refusals end their count too
    assert activity.in_flight == 0
