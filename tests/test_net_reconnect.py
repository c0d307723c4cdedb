"""Reconnect: the server is SIGKILLed and restarted (or every connection is cut) in the
middle of a burst of issues and calls. Every client's event stream catches up: the ids
it saw are exactly the database's, in order, none missed, none doubled.

Clients: plain SSE readers with the screen's and both callers' tokens (this test's own
parser), the product's stream client (hall.sse.EventStream) and the screen's RemoteHall
event buffer (hall.remote_events), each on its own connection."""
from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from hall import FixedClock
from tests.fault_proxy import FaultProxy
from tests.net_helpers import (hall, NOW, EventStreamReader, db_event_ids, post_once,
                               wait_until)

pytestmark = pytest.mark.slow

TICKETS = 24


class Burst(threading.Thread):
    """Issues ``TICKETS`` tickets of service A and calls them at windows 1 and 2, each
    operation with one Idempotency-Key retried until the server answers."""

    def __init__(self, hall, base_url: str, pause_s: float = 0.02):
        super().__init__(name="burst", daemon=True)
        self.pause_s = pause_s  # a hall's pace, so the kills fall in the middle of it
        self.kiosk = hall.client("kiosk-1", base_url=base_url, timeout=2)
        self.callers = [hall.client("caller-1", base_url=base_url, timeout=2),
                        hall.client("caller-2", base_url=base_url, timeout=2)]
        self.done_ops = 0
        self.answers: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for i in range(TICKETS):
                self.answers.append(post_once(self.kiosk, "/tickets", {"service": "A"}, within_s=40).status_code)
                self.done_ops += 1
                w = 1 + i % 2
                self.answers.append(post_once(self.callers[w - 1], f"/windows/{w}/call", within_s=40).status_code)
                self.done_ops += 1
                time.sleep(self.pause_s)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e


def _open_windows(hall):
    assert post_once(hall.client("caller-1"), "/windows/1/login", {"staff": "0101"}).status_code == 200
    assert post_once(hall.client("caller-2"), "/windows/2/login", {"staff": "0201"}).status_code == 200


def _clients(hall, start: int, base_url: str):
    from config import load_hall
    from hall.remote import RemoteHall
    from hall.sse import EventStream
    readers = {name: EventStreamReader(base_url, hall.tokens[name], after=start, lifetime_s=90).start()
               for name in ("screen-1", "caller-1", "caller-2")}
    got: list[int] = []
    lock = threading.Lock()

    def on_events(batch: list[dict]) -> None:
        with lock:
            got.extend(ev["id"] for ev in batch)
    stream = EventStream(base_url, hall.tokens["controller-1"], start, on_events, keepalive_s=1.0).start()
    screen = RemoteHall(base_url, hall.tokens["screen-1"], load_hall(hall.config), timeout_s=3,
                        clock=FixedClock(datetime.fromisoformat(NOW)))
    assert screen.last_event_id() >= start  # its buffer starts now, on its own stream
    return readers, (stream, got, lock), screen


def _check_all_caught_up(hall, start, readers, sse, screen):
    stream, got, lock = sse
    expected = [i for i in db_event_ids(hall.db) if i > start]
    assert len(expected) >= 2 * TICKETS  # issued + called at the least
    last = expected[-1]
    for name, r in readers.items():
        assert r.wait_id(last, 20), f"{name} stopped at {r.last_id} of {last}"
        ids = r.ids  # (the controller may log more meanwhile: compare up to `last`)
        assert len(ids) == len(set(ids)), f"{name} doubled {sorted({i for i in ids if ids.count(i) > 1})}"
        assert [i for i in ids if i <= last] == expected, f"{name} missed {sorted(set(expected) - set(ids))}"
    assert wait_until(lambda: got and got[-1] >= last, 20), "hall.sse.EventStream did not catch up"
    with lock:
        assert [i for i in got if i <= last] == expected and len(got) == len(set(got))
    assert wait_until(lambda: screen.last_event_id() >= last, 20), "the screen's RemoteHall did not catch up"
    assert [e.id for e in screen.events_after(start, limit=5000) if e.id <= last] == expected


def _stop(readers, sse, screen):
    for r in readers.values():
        r.stop()
    sse[0].stop()
    screen.close()


def test_streams_catch_up_after_the_server_is_killed_mid_burst(hall):
    from display.screen_model import ScreenModel
    _open_windows(hall)
    start = hall.serve.health()["last_event_id"]
    readers, sse, screen = _clients(hall, start, hall.url)
    try:
        board = ScreenModel(screen)  # the hall screen's model on the screen PC's RemoteHall
        assert all(r.wait_for(lambda r: r.connects == 1, 10) for r in readers.values())
        burst = Burst(hall, hall.url)
        burst.start()
        assert wait_until(lambda: burst.done_ops >= TICKETS // 2, 30), "the burst did not start"
        hall.serve.kill()
        killed_at = burst.done_ops
        t0 = time.monotonic()
        hall.start_serve()
        restart_s = time.monotonic() - t0
        assert all(r.wait_for(lambda r: r.connects >= 2, 10) for r in readers.values())
        assert wait_until(lambda: burst.done_ops >= 3 * TICKETS // 2, 30)
        hall.serve.kill()  # twice in one burst, with every stream connected again
        killed_again_at = burst.done_ops
        hall.start_serve()
        burst.join(90)
        done_at = time.monotonic()
        assert not burst.is_alive() and burst.error is None, burst.error
        assert killed_at < killed_again_at < 2 * TICKETS  # the kills were in the middle of it
        assert burst.answers.count(201) == TICKETS and burst.answers.count(200) == TICKETS
        assert len(db_event_ids(hall.db, ("issued",))) == TICKETS  # retried writes did not double
        assert len(db_event_ids(hall.db, ("called",))) == TICKETS
        _check_all_caught_up(hall, start, readers, sse, screen)
        caught_up_s = time.monotonic() - done_at
        assert all(r.connects >= 3 and r.ends >= 2 for r in readers.values()), \
            {n: (r.connects, r.ends, r.status) for n, r in readers.items()}  # they did reconnect
        # the screen shows what the queue says: each window's current ticket, the last calls
        now = {w: hall.client("screen-1").get(f"/windows/{w}").json()["current"] for w in (1, 2)}
        assert wait_until(lambda: board.update() is not None and all(board.window(w).current == n
                                                                     for w, n in now.items()), 10), now
        assert {c.number for c in board.recent} >= set(now.values())
        # the announcer resumes from its saved cursor: a kill can repeat at most the
        # announcement it was making (said, cursor not yet saved), never the backlog
        spoken = hall.devices.spoken_numbers()
        doubled = sorted({n for n in spoken if spoken.count(n) > 1})
        assert len(doubled) <= 2, f"said again after the restarts: {doubled}"
        assert spoken and set(spoken) <= {f"A{i:03d}" for i in range(1, TICKETS + 1)}
        print(f"\n{len(spoken)} announcements, repeated after a kill: {doubled or 'none'}; "
              f"serve SIGKILL -> ready again: {restart_s:.2f} s; every stream caught up "
              f"{caught_up_s * 1000:.0f} ms after the burst's last answer")
    finally:
        _stop(readers, sse, screen)


def test_streams_catch_up_after_every_connection_is_cut_mid_burst(hall):
    _open_windows(hall)
    proxy = FaultProxy(hall.port, lifetime_s=90)
    proxy.start()
    try:
        start = hall.serve.health()["last_event_id"]
        readers, sse, screen = _clients(hall, start, proxy.url)
        try:
            assert all(r.wait_for(lambda r: r.connects == 1, 10) for r in readers.values())
            burst = Burst(hall, proxy.url)
            burst.start()
            for step in (TICKETS // 2, TICKETS, 3 * TICKETS // 2):
                assert wait_until(lambda: burst.done_ops >= step, 30)
                assert proxy.cut() >= len(readers)
            proxy.refuse(1.0)  # and down for a second
            burst.join(90)
            assert not burst.is_alive() and burst.error is None, burst.error
            assert len(db_event_ids(hall.db, ("issued",))) == TICKETS
            _check_all_caught_up(hall, start, readers, sse, screen)
            assert all(r.connects >= 2 for r in readers.values()), {n: r.connects for n, r in readers.items()}
        finally:
            _stop(readers, sse, screen)
    finally:
        proxy.stop()


def test_a_silently_dead_link_is_noticed_by_its_keep_alives_and_caught_up(hall):
    """The link of the screen PC goes silent without closing (no FIN, no RST): the
    clients notice by the missing keep-alives (every second here), reconnect and get
    what they missed, in order and once."""
    from config import load_hall
    from hall.remote import RemoteHall
    from hall.sse import EventStream
    _open_windows(hall)
    proxy = FaultProxy(hall.port, lifetime_s=60)
    proxy.start()
    screen = RemoteHall(proxy.url, hall.tokens["screen-1"], load_hall(hall.config), timeout_s=3,
                        clock=FixedClock(datetime.fromisoformat(NOW)))
    start = screen.last_event_id()  # its buffer starts here
    got: list[int] = []
    stream = EventStream(proxy.url, hall.tokens["controller-1"], start, lambda b: got.extend(e["id"] for e in b),
                         keepalive_s=1.0).start()
    try:
        assert wait_until(lambda: stream.connects == 1 and screen._events.connected, 10)
        assert proxy.stall() >= 2
        t0 = time.monotonic()
        kiosk, caller = hall.client("kiosk-1"), hall.client("caller-1")
        for _ in range(3):
            assert post_once(kiosk, "/tickets", {"service": "A"}).status_code == 201
        assert post_once(caller, "/windows/1/call").status_code == 200
        expected = [i for i in db_event_ids(hall.db) if i > start]
        last = expected[-1]
        assert wait_until(lambda: got and got[-1] >= last, 15), "hall.sse.EventStream did not notice"
        noticed_s = time.monotonic() - t0
        assert [i for i in got if i <= last] == expected and len(got) == len(set(got))
        assert wait_until(lambda: screen.last_event_id() >= last, 15), "the screen's RemoteHall did not notice"
        assert [e.id for e in screen.events_after(start) if e.id <= last] == expected  # from its buffer
        assert stream.connects >= 2 and screen._events.reconnects >= 2
        print(f"\nsilent link noticed and caught up in {noticed_s:.1f} s (keep-alive 1 s)")
    finally:
        stream.stop()
        screen.close()
        proxy.stop()
