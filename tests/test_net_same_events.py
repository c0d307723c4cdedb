"""Same events whichever way a call is made: by a keypad on the window bus (its simulator
pressing CALL), by the hall API, by `jiaohao queue --server` on another PC and by the
software caller (over its RemoteHall). Each writes a ``called`` event of the same shape,
and each reaches the hall screen (over the network), the voice module, the LED board and
the window's keypad the same way (a peer's tracker shows the opposite bug: calls made
through its API never reached its panels)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from caller.panel import CallerModel
from config import load_hall
from display.screen_model import ScreenModel
from drivers.windowbus.codec import EventCode
from hall import FixedClock
from hall.remote import RemoteHall
from tests.net_helpers import (NOW, ROOT, EventStreamReader, child_env, hall_fixture, post_once,
                               wait_until)

pytestmark = pytest.mark.slow

DEVICES = (("kiosk-1", "kiosk", ()), ("screen-1", "screen", ()), ("caller-3", "caller", (3,)),
           ("controller-1", "controller", ()))
# window -> how it calls; every one of these windows serves A
WAYS = {1: "keypad", 2: "api", 12: "queue --server", 3: "software caller"}


@pytest.fixture
def hall(tmp_path):
    h = hall_fixture(tmp_path, DEVICES)
    yield h
    h.close()


def remote_hall(hall, device: str) -> RemoteHall:
    return RemoteHall(hall.url, hall.tokens[device], load_hall(hall.config), timeout_s=3,
                      clock=FixedClock(datetime.fromisoformat(NOW)))


def shape(event: dict) -> tuple:
    """What must not depend on the way: the fields, their types, the data's fields."""
    return (tuple(sorted((k, type(v).__name__) for k, v in event.items() if k != "data" and v is not None)),
            tuple(sorted(event["data"])))


def test_a_call_is_the_same_event_and_reaches_every_device_whichever_way_it_is_made(hall):
    ctl = hall.client("controller-1")
    for w in WAYS:
        assert post_once(ctl, f"/windows/{w}/login", {"staff": f"{w:02d}01"}).status_code == 200
    kiosk = hall.client("kiosk-1")
    numbers = [post_once(kiosk, "/tickets", {"service": "A"}).json()["number"] for _ in WAYS]
    assert numbers == ["A001", "A002", "A003", "A004"]
    start = hall.serve.health()["last_event_id"]
    stream = EventStreamReader(hall.url, hall.tokens["screen-1"], after=start, lifetime_s=60).start()
    screen_hall, caller_hall = remote_hall(hall, "screen-1"), remote_hall(hall, "caller-3")
    try:
        screen = ScreenModel(screen_hall)
        assert stream.wait_for(lambda r: r.connects == 1, 10)

        # 1: the keypad of window 1 on the bus
        kp = hall.devices.keypad(1)
        kp.press("CALL")
        assert kp.wait_acked(5)
        assert wait_until(lambda: kp.display.ticket == "A001", 5)
        # 2: the hall API
        assert post_once(ctl, "/windows/2/call").json()["number"] == "A002"
        # 12: `jiaohao queue --server` on a PC without the database
        r = subprocess.run([sys.executable, "-m", "jiaohao", "queue", "--server", hall.url, "call", "12", "--json"],
                           cwd=ROOT, env=child_env(JIAOHAO_TOKEN=hall.tokens["controller-1"]),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["number"] == "A003"
        # 3: the software caller of window 3
        model = CallerModel(caller_hall, 3)
        assert model.press(EventCode.CALL).ok
        assert model.view().ticket == "A004"

        expected = {1: "A001", 2: "A002", 12: "A003", 3: "A004"}
        log = hall.client("screen-1").get("/events/log", params={"after": start}).json()["events"]
        called = [e for e in log if e["kind"] == "called"]
        assert {e["window"]: e["number"] for e in called} == expected
        shapes = {WAYS[e["window"]]: shape(e) for e in called}
        assert len(set(shapes.values())) == 1, shapes  # one shape, whichever way
        for e in called:
            assert e["service"] == "A" and e["ticket_id"] > 0 and e["data"].get("service_name") == "社会保障"

        # every call on the stream, the screen, the voice, the board and the keypads
        assert stream.wait_id(called[-1]["id"])
        assert [e.data for e in stream.events if e.data["kind"] == "called"] == called
        def on_screen() -> bool:
            screen.update()
            return {(c.window, c.number) for c in screen.recent} >= set(expected.items())
        assert wait_until(on_screen, 10), screen.recent
        assert all(screen.window(w).current == n for w, n in expected.items())
        devices = hall.devices
        assert wait_until(lambda: set(expected.values()) <= set(devices.spoken_numbers()), 15), devices.voice.spoken
        assert sorted(devices.spoken_numbers()) == sorted(expected.values())  # each once
        assert devices.board.wait_for(
            lambda b: all(any(n in line for lines in b.history for line in lines) for n in expected.values()), 10), \
            devices.board.history
        for w, n in expected.items():
            assert wait_until(lambda w=w, n=n: devices.keypad(w).display.ticket == n, 10), (w, devices.keypad(w).display)
            assert wait_until(lambda w=w, n=n: devices.window_screen(w).lines[0] == f"请{n}号到{w}号窗口", 10)
    finally:
        stream.stop()
        screen_hall.close()
        caller_hall.close()
