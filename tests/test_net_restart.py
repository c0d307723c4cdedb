"""The controller restarts cleanly: `jiaohao serve` SIGKILLed in the middle of a burst of
calls and started again. Each call is announced once (not zero, not twice), the screen
takes each call in once, the keypads (power-cycled while serve was dead: blank) get
their full state again, answers kept for retries survive (a retry after the restart is
replayed, not redone). And the heartbeats: `jiaohao diag check` on the controller and on
a client PC lists the kiosks, screens and callers with since, lag and clock offset."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import pytest

from tests.net_helpers import ROOT, child_env, db_event_ids, hall, post_once, wait_until  # noqa: F401

pytestmark = pytest.mark.slow

WINDOWS = (2, 3, 12, 4, 5)
CALLS = 20


def _prepare(hall):
    ctl = hall.client("controller-1")
    for w in WINDOWS:
        assert post_once(ctl, f"/windows/{w}/login", {"staff": f"{w:02d}01"}).status_code == 200
    kiosk = hall.client("kiosk-1")
    for service, n in (("A", 14), ("C", 10)):
        for _ in range(n):
            assert post_once(kiosk, "/tickets", {"service": service}).status_code == 201


def _remote(hall, device: str):
    from datetime import datetime

    from config import load_hall
    from hall import FixedClock
    from hall.remote import RemoteHall
    from tests.net_helpers import NOW
    return RemoteHall(hall.url, hall.tokens[device], load_hall(hall.config), timeout_s=3,
                      clock=FixedClock(datetime.fromisoformat(NOW)))


def test_calls_just_before_a_kill_are_announced_once_and_keypads_get_their_state(hall):
    from display.screen_model import ScreenModel
    _prepare(hall)
    start = hall.serve.health()["last_event_id"]
    screen = _remote(hall, "screen-1")
    model = ScreenModel(screen)
    learned: list[int] = []
    remember = model._remember
    model._remember = lambda call: (learned.append(call.event_id), remember(call))
    ctl = hall.client("controller-1", timeout=2)
    made: list[str] = []
    keys: list[tuple[str, str, dict]] = []  # (path, key, answer) of every call
    error: list[BaseException] = []

    def burst():
        try:
            for i in range(CALLS):
                w = WINDOWS[i % len(WINDOWS)]
                key = uuid.uuid4().hex
                r = post_once(ctl, f"/windows/{w}/call", key=key, within_s=40)
                assert r.status_code == 200, r.text
                made.append(r.json()["number"])
                keys.append((f"/windows/{w}/call", key, r.json()))
                time.sleep(0.12)  # a hall's pace; the voice keeps up
        except BaseException as e:  # noqa: BLE001
            error.append(e)
    t = threading.Thread(target=burst, daemon=True)
    t.start()
    stop = threading.Event()

    def drive():  # the TV's model runs as the widget would run it
        while not stop.is_set():
            model.update()
            time.sleep(0.05)
    d = threading.Thread(target=drive, daemon=True)
    d.start()
    try:
        assert wait_until(lambda: len(made) >= CALLS // 2 or error, 30), error
        hall.serve.kill()
        killed_after = len(made)
        for w in WINDOWS:
            hall.devices.keypad(w).power_cycle()  # blank while no master writes to it
        assert all(hall.devices.keypad(w).display.ticket == "" for w in WINDOWS)
        t0 = time.monotonic()
        hall.start_serve()
        ready_s = time.monotonic() - t0
        t.join(60)
        assert not t.is_alive() and not error, error
        assert 0 < killed_after < CALLS
        # -- announced once each: none missed, none doubled ---------------------------------------
        ok = wait_until(lambda: set(hall.devices.spoken_numbers()) >= set(made), 20)
        assert ok, (f"killed after {killed_after}; missed {sorted(set(made) - set(hall.devices.spoken_numbers()))}",
                    hall.devices.spoken_numbers(), hall.serve.log_tail(60))
        time.sleep(1.0)  # anything said twice would be said by now
        spoken = Counter(hall.devices.spoken_numbers())
        doubled = sorted(n for n, k in spoken.items() if k > 1)
        assert doubled == [], doubled
        assert sorted(spoken) == sorted(made)
        # -- the screen took each call in once --------------------------------------------------
        called = [i for i in db_event_ids(hall.db, ("called",)) if i > start]
        assert len(called) == CALLS
        last = hall.serve.health()["last_event_id"]
        assert wait_until(lambda: model._feed is not None and model._feed.last_id >= last, 15)
        assert learned == called, (learned, called)
        # -- keypads: the full state again, as the queue has it ----------------------------------
        api = hall.client("controller-1")
        for w in WINDOWS:
            state = api.get(f"/windows/{w}").json()
            kp = hall.devices.keypad(w)
            assert wait_until(lambda: kp.display.ticket == state["current"] and kp.display.waiting == state["waiting"]
                              and kp.display.state == "serving", 10), (w, kp.display, state)
        # -- an answer kept before the kill is replayed after it, not redone ----------------------
        path, key, answer = keys[0]
        r = api.post(path, headers={"Idempotency-Key": key})
        assert r.status_code == 200 and r.headers.get("Idempotent-Replayed") == "true"
        assert r.json() == answer
        assert len([i for i in db_event_ids(hall.db, ("called",)) if i > start]) == CALLS
        print(f"\nserve SIGKILLed after {killed_after} of {CALLS} calls, ready again in {ready_s:.2f} s: "
              f"{len(spoken)} announced once each, doubled {len(doubled)}, missed {len(set(made) - set(spoken))}; "
              f"keypads blanked and given their state")
    finally:
        stop.set()
        d.join(5)
        screen.close()


def _diag(hall, *args: str, env: dict | None = None) -> dict:
    r = subprocess.run([sys.executable, "-m", "jiaohao", *args, "diag", "check", "--json"], cwd=ROOT,
                       env=child_env(**(env or {})), capture_output=True, text=True, timeout=60)
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout)


def test_diag_check_lists_the_clients_with_since_lag_and_offset(hall):
    from hall import clock_offset
    screen, kiosk = _remote(hall, "screen-1"), _remote(hall, "kiosk-1")
    try:
        # the screen PC's clock is 5 minutes ahead of the controller's
        from hall.heartbeat import Heartbeat
        screen._buffer()  # its event stream, as start_heartbeat() starts it
        beat = screen.heartbeat = Heartbeat(screen, "screen", every_s=0.3, wall=lambda: time.time() + 300.0).start()
        kiosk.start_heartbeat("kiosk", every_s=0.3)
        assert wait_until(lambda: beat.beats >= 2 and kiosk.heartbeat.beats >= 2, 15)
        assert screen.clock_offset.offset_s == pytest.approx(300.0, abs=1.0)
        assert abs(kiosk.clock_offset.offset_s) < 1.0 and kiosk.clock_offset.uncertainty_s < 0.5
        assert clock_offset.to_server_time(1300.0, screen.clock_offset.offset_s) == pytest.approx(1000.0, abs=1.0)
        d = hall.client("controller-1").get("/clients").json()
        by = {c["name"]: c for c in d["clients"]}
        assert by["screen-1"]["connected"] and by["screen-1"]["clock_skewed"]
        assert by["screen-1"]["offset_s"] == pytest.approx(300.0, abs=1.0)
        assert by["screen-1"]["streams"] >= 1  # its event stream is open
        assert by["kiosk-1"]["connected"] and not by["kiosk-1"]["clock_skewed"] and 0 <= by["kiosk-1"]["lag"] < 50
        time.sleep(0.5)
        # on the controller: from the clients table `serve` writes (at most a beat old)
        hall.serve.stop()  # written at the stop at the latest
        local = _diag(hall, "--config", str(hall.config), "--db", str(hall.db))
        rows = {r["device"]: r for r in local["devices"]}
        assert "screen screen-1" in rows and "kiosk kiosk-1" in rows, rows.keys()
        assert not rows["screen screen-1"]["ok"] and "+300" in rows["screen screen-1"]["detail"]
        assert "clock off" in rows["screen screen-1"]["detail"]
        assert "connected since" in rows["kiosk kiosk-1"]["detail"] and "event(s) behind" in rows["kiosk kiosk-1"]["detail"]
        hall.start_serve()
        assert wait_until(lambda: kiosk.heartbeat.beats >= 4, 15)
        # on a client PC: from GET /clients
        remote = _diag(hall, env={"JIAOHAO_SERVER": hall.url, "JIAOHAO_TOKEN": hall.tokens["kiosk-1"]})
        rows = {r["device"]: r for r in remote["devices"]}
        assert rows["kiosk kiosk-1"]["ok"], rows["kiosk kiosk-1"]
        assert "connected since" in rows["kiosk kiosk-1"]["detail"]
        print("\n" + "\n".join(f"{'OK  ' if r['ok'] else 'FAIL'} {r['device']}: {r['detail']}"
                               for r in remote["devices"] if r["device"].startswith(("kiosk", "screen", "caller"))))
    finally:
        screen.close()
        kiosk.close()
