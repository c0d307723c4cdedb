"""Safe retries over a real network: the fault proxy forwards a write to `jiaohao serve`,
lets the server act, and drops the answer. The retry (same ``Idempotency-Key``) gets the
first answer back and the hall acts once: one ticket per kiosk tap, one call per key."""
from __future__ import annotations

import uuid

import httpx
import pytest

from hall import FixedClock
from tests.fault_proxy import FaultProxy
from tests.net_helpers import hall, API, NOW, db_event_ids, post_once

pytestmark = pytest.mark.slow


def posts_to(suffix: str):
    return lambda method, path: method == "POST" and path.endswith(suffix)


@pytest.fixture
def proxy(hall):
    p = FaultProxy(hall.port, lifetime_s=90)
    p.start()
    yield p
    p.stop()


def kinds(hall, kind: str) -> int:
    return len(db_event_ids(hall.db, (kind,)))


def remote_hall(hall, proxy, device: str, timeout_s: float = 3.0):
    from config import load_hall
    from datetime import datetime
    from hall.remote import RemoteHall
    return RemoteHall(proxy.url, hall.tokens[device], load_hall(hall.config), timeout_s=timeout_s,
                      clock=FixedClock(datetime.fromisoformat(NOW)), stream=False)


def test_a_lost_answer_retried_with_its_key_is_replayed_not_redone(hall, proxy):
    k = hall.client("kiosk-1", base_url=proxy.url)
    rule = proxy.drop_responses(1, match=posts_to("/tickets"))
    key = uuid.uuid4().hex
    with pytest.raises(httpx.TransportError):
        k.post("/tickets", json={"service": "A"}, headers={"Idempotency-Key": key})
    assert proxy.pending(rule) == 0 and proxy.stats.dropped == [("POST", f"{API}/tickets")]
    assert kinds(hall, "issued") == 1  # the server did it; the kiosk did not hear

    again = k.post("/tickets", json={"service": "A"}, headers={"Idempotency-Key": key})
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["number"] == "A001"
    assert kinds(hall, "issued") == 1

    other = k.post("/tickets", json={"service": "A"}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert other.status_code == 201 and other.json()["number"] == "A002"
    assert "Idempotent-Replayed" not in other.headers

    mismatch = k.post("/tickets", json={"service": "B"}, headers={"Idempotency-Key": key})
    assert mismatch.status_code == 409 and mismatch.json()["error"]["code"] == "idempotency_mismatch"
    assert kinds(hall, "issued") == 2


def test_a_call_answered_while_the_client_timed_out_is_done_once(hall, proxy):
    c = hall.client("caller-1", base_url=proxy.url, timeout=0.5)
    assert post_once(c, "/windows/1/login", {"staff": "0101"}).status_code == 200
    k = hall.client("kiosk-1")
    for _ in range(2):
        assert post_once(k, "/tickets", {"service": "A"}).status_code == 201
    proxy.delay_responses(2.0, count=1, match=posts_to("/windows/1/call"))
    key = uuid.uuid4().hex
    with pytest.raises(httpx.ReadTimeout):
        c.post("/windows/1/call", headers={"Idempotency-Key": key})
    again = post_once(c, "/windows/1/call", key=key)
    assert again.status_code == 200 and again.json()["number"] == "A001"
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert kinds(hall, "called") == 1
    assert hall.client("caller-1").get("/windows/1").json()["current"] == "A001"


def test_an_answer_lost_then_the_server_killed_is_still_replayed(hall, proxy):
    """The operation and its kept answer are one transaction: after SIGKILL and a restart
    the retry still gets the first answer."""
    k = hall.client("kiosk-1", base_url=proxy.url)
    proxy.drop_responses(1, match=posts_to("/tickets"))
    key = uuid.uuid4().hex
    with pytest.raises(httpx.TransportError):
        k.post("/tickets", json={"service": "C"}, headers={"Idempotency-Key": key})
    hall.start_serve(restart=True)
    again = post_once(k, "/tickets", {"service": "C"}, key=key)
    assert again.status_code == 201 and again.json()["number"] == "C001"
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert kinds(hall, "issued") == 1


def test_the_kiosks_remote_hall_issues_one_ticket_per_tap_through_lost_answers(hall, proxy):
    rh = remote_hall(hall, proxy, "kiosk-1")
    try:
        proxy.drop_responses(2, match=posts_to("/tickets"))  # the first two attempts of the first tap
        t1 = rh.issue("B", kiosk="kiosk-1")
        t2 = rh.issue("B", kiosk="kiosk-1")
        assert (t1.number, t2.number) == ("B001", "B002")
        assert kinds(hall, "issued") == 2
        assert len(proxy.stats.dropped) == 2
        assert proxy.stats.requests.count(("POST", f"{API}/tickets")) == 4
    finally:
        rh.close()


def test_the_callers_remote_hall_calls_once_per_key_through_lost_answers(hall, proxy):
    rh = remote_hall(hall, proxy, "caller-2")
    try:
        rh.login(2, "0201")
        k = hall.client("kiosk-1")
        for _ in range(3):
            assert post_once(k, "/tickets", {"service": "A"}).status_code == 201
        proxy.drop_responses(1, match=posts_to("/windows/2/call"))
        first = rh.call_next(2)
        assert first.number == "A001"
        proxy.drop_responses(1, match=posts_to("/windows/2/call"))
        second = rh.call_next(2)
        assert second.number == "A002"
        assert kinds(hall, "called") == 2
        assert hall.client("screen-1").get("/hall").json()["services"][0]["waiting"] == 1
    finally:
        rh.close()


@pytest.mark.parametrize("late", ["once", "past the budget"])
def test_a_tap_whose_answer_comes_too_late_leaves_no_ticket_without_paper(hall, proxy, late):
    """The server is slow (a disk stall, a backup): the answer to the kiosk's issue comes
    after the kiosk's time budget. The kiosk ends with the ticket, at once or at the
    citizen's next tap (the same key), never with a second one nor with a ticket in the
    queue that was not printed (a number called to nobody)."""
    from hall.errors import ServerUnreachable
    rh = remote_hall(hall, proxy, "kiosk-1", timeout_s=1.5)
    try:
        rule = proxy.delay_responses(3.0, count=1 if late == "once" else None, match=posts_to("/tickets"))
        try:
            got = rh.issue("A", kiosk="kiosk-1")
            assert late == "once"  # (past the budget, the kiosk must say it has no answer)
        except ServerUnreachable:
            assert late == "past the budget"
            proxy.clear()
            got = rh.issue("A", kiosk="kiosk-1")  # the citizen taps again
        assert proxy.pending(rule) == 0 or late != "once"
        assert got.number == "A001"
        assert kinds(hall, "issued") == 1
        assert hall.client("kiosk-1").get("/hall").json()["services"][0]["waiting"] == 1
    finally:
        rh.close()


@pytest.mark.parametrize("late", ["once", "past the budget"])
def test_a_call_whose_answer_comes_too_late_is_not_followed_by_a_second_call(hall, proxy, late):
    """The same for a caller: CALL answered too late, the clerk presses CALL again. The
    citizen announced first is the one at the window, not skipped over unseen."""
    from hall.errors import ServerUnreachable
    rh = remote_hall(hall, proxy, "caller-1", timeout_s=1.5)
    try:
        rh.login(1, "0101")
        k = hall.client("kiosk-1")
        for _ in range(2):
            assert post_once(k, "/tickets", {"service": "A"}).status_code == 201
        proxy.delay_responses(3.0, count=1 if late == "once" else None, match=posts_to("/windows/1/call"))
        try:
            got = rh.call_next(1)
            assert late == "once"
        except ServerUnreachable:
            assert late == "past the budget"
            proxy.clear()
            got = rh.call_next(1)  # the clerk presses CALL again
        assert got.number == "A001", f"A001 was announced, then {got.number} called over it"
        assert kinds(hall, "called") == 1
    finally:
        rh.close()
