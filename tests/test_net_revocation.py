"""Revoking a device over the real network: `jiaohao devices revoke` (another process,
the same database) closes that device's open event stream at once and its next request
is 401; the other devices go on as if nothing happened."""
from __future__ import annotations

import time

import pytest

from tests.net_helpers import STANDARD_DEVICES, EventStreamReader, hall_fixture, post_once

pytestmark = pytest.mark.slow


@pytest.fixture
def hall(tmp_path):
    h = hall_fixture(tmp_path, STANDARD_DEVICES, keepalive_s=5.0)  # longer than "at once" below
    yield h
    h.close()


def test_revoke_closes_that_stream_at_once_and_refuses_its_token(hall):
    start = hall.serve.health()["last_event_id"]
    screen = EventStreamReader(hall.url, hall.tokens["screen-1"], after=start, lifetime_s=60).start()
    kiosk = EventStreamReader(hall.url, hall.tokens["kiosk-1"], after=start, lifetime_s=60).start()
    try:
        assert screen.wait_for(lambda r: r.connects == 1, 10) and kiosk.wait_for(lambda r: r.connects == 1, 10)
        k = hall.client("kiosk-1")
        first = post_once(k, "/tickets", {"service": "A"})
        assert first.status_code == 201, first.text
        issued = [e for e in hall.client("screen-1").get("/events/log", params={"after": start}).json()["events"]
                  if e["kind"] == "issued"]
        assert [e["number"] for e in issued] == [first.json()["number"]]
        assert screen.wait_id(issued[-1]["id"]) and kiosk.wait_id(issued[-1]["id"])

        r = hall.jiaohao("devices", "revoke", "screen-1")
        revoked_at = time.monotonic()
        assert r.returncode == 0, r.stderr
        # at once: well before the next keep-alive (5 s) would have shown the stream dead
        assert screen.wait_for(lambda r: r.ends >= 1, 3.0), "the revoked stream stayed open"
        closed_after = time.monotonic() - revoked_at
        assert screen.wait_for(lambda r: r.status == 401, 5), screen.status  # its reconnect is refused
        assert screen.connects == 1

        denied = hall.client("screen-1").get("/hall")
        assert denied.status_code == 401
        assert denied.json()["error"]["code"] == "unauthorized"
        assert hall.client("screen-1").get("/events/log", params={"after": 0}).status_code == 401

        # everyone else: the same stream still open, their requests answered
        second = post_once(k, "/tickets", {"service": "A"})
        assert second.status_code == 201, second.text
        assert hall.client("caller-1").get("/hall").status_code == 200
        log = hall.client("kiosk-1").get("/events/log", params={"after": start}).json()["events"]
        assert kiosk.wait_id(log[-1]["id"])
        assert kiosk.ends == 0 and kiosk.connects == 1
        assert kiosk.ids == [e["id"] for e in log]
        print(f"\nrevoked stream closed {closed_after * 1000:.0f} ms after `devices revoke` returned")
    finally:
        screen.stop()
        kiosk.stop()


def test_revoked_caller_cannot_call_and_other_callers_can(hall):
    c1, c2 = hall.client("caller-1"), hall.client("caller-2")
    assert post_once(c1, "/windows/1/login", {"staff": "0101"}).status_code == 200
    assert post_once(c2, "/windows/2/login", {"staff": "0201"}).status_code == 200
    k = hall.client("kiosk-1")
    for _ in range(2):
        assert post_once(k, "/tickets", {"service": "A"}).status_code == 201
    r = hall.jiaohao("devices", "revoke", "caller-1")
    assert r.returncode == 0, r.stderr
    refused = post_once(c1, "/windows/1/call")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    called = post_once(c2, "/windows/2/call")
    assert called.status_code == 200 and called.json()["number"] == "A001"
    listed = hall.jiaohao("devices", "list")
    assert listed.returncode == 0 and "caller-1" in listed.stdout


def test_a_staff_session_acts_at_its_own_window_only_and_ends_when_the_person_is_disabled(hall):
    """The software caller's 工号 + 密码 login over the network: the session may act only at
    the window it logged in at; `jiaohao staff disable` ends it at once, stream included."""
    from datetime import datetime

    from config import load_hall
    from hall import FixedClock
    from hall.errors import Forbidden, NotAuthorized
    from hall.remote import RemoteHall
    from tests.net_helpers import NOW

    hall.add_staff("0517", "张三", "staff", "s3cret-0517")
    assert post_once(hall.client("kiosk-1"), "/tickets", {"service": "A"}).status_code == 201
    rh = RemoteHall(hall.url, None, load_hall(hall.config), timeout_s=3,
                    clock=FixedClock(datetime.fromisoformat(NOW)))
    try:
        with pytest.raises(NotAuthorized):
            rh.staff_login("0517", "wrong-password", window=1)
        session = rh.staff_login("0517", "s3cret-0517", window=1)
        assert session["window"] == 1 and session["name"] == "张三"
        assert rh.window_state(1).staff == "0517"
        assert rh.call_next(1).number == "A001"
        with pytest.raises(Forbidden):
            rh.call_next(2)  # not its window
        stream = EventStreamReader(hall.url, session["token"], after=hall.serve.health()["last_event_id"],
                                   lifetime_s=30).start()
        try:
            assert stream.wait_for(lambda r: r.connects == 1, 10)
            r = hall.jiaohao("staff", "disable", "0517")
            assert r.returncode == 0, r.stderr
            assert stream.wait_for(lambda r: r.ends >= 1, 3.0), "the disabled person's stream stayed open"
            assert stream.wait_for(lambda r: r.status == 401, 5)
        finally:
            stream.stop()
        with pytest.raises(NotAuthorized):
            rh.recall(1)
    finally:
        rh.close()
