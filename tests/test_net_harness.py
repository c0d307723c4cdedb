"""The end-to-end harness itself: `jiaohao serve` as a real process drives the test's
byte-level device simulators over ptys, survives SIGKILL and a restart on the same
database, and is always stopped. (The API's own tests are in the other test_net_* files.)"""
from __future__ import annotations

import json

import pytest

from tests.net_helpers import NetHall, db_cursor, db_event_ids, spoken_number, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def hall(tmp_path):
    h = NetHall(tmp_path).prepare()
    yield h
    h.close()


def _bus_live(hall: NetHall, window: int = 5):
    """Ready when this start's bus master has written to the keypad (a key latched
    before the master first heard a device is not acted on)."""
    kp = hall.devices.keypad(window)
    before = kp.writes
    return lambda: kp.writes > before


def test_spoken_number_reads_digits():
    assert spoken_number("请A零零一号到5号窗口办理") == "A001"
    assert spoken_number("请C012号到12号窗口办理") == "C012"
    assert spoken_number("你好") == ""


def test_serve_drives_the_simulated_devices_and_survives_sigkill(hall):
    devices, serve = hall.devices, hall.serve
    serve.start(ready=_bus_live(hall))
    kp = devices.keypad(5)
    kp.press("LOGIN", 501)
    assert kp.wait_acked(5)
    for _ in range(2):
        r = hall.jiaohao("queue", "issue", "C", "--json")
        assert r.returncode == 0, r.stderr
    assert wait_until(lambda: kp.display.waiting == 2, 10), kp.display

    kp.press("CALL")
    assert kp.wait_acked(5)
    assert wait_until(lambda: kp.display.ticket == "C001", 5)
    assert wait_until(lambda: "C001" in devices.spoken_numbers(), 10), devices.voice.spoken
    assert devices.board.wait_for(lambda b: any("C001" in line for line in b.lines), 10), devices.board.lines
    assert wait_until(lambda: devices.window_screen(5).lines[0] == "请C001号到5号窗口", 5)

    called = db_event_ids(hall.db, ("called",))
    # the announcer keeps its cursor once the call is said: killed after that, it is not said again
    assert wait_until(lambda: (db_cursor(hall.db, "announcer") or 0) >= called[-1], 5)
    serve.kill()
    assert serve.proc.returncode == -9
    serve.start(ready=_bus_live(hall))
    assert wait_until(lambda: kp.display.ticket == "C001", 5)  # told the state again
    kp.press("CALL")
    assert kp.wait_acked(5)
    assert wait_until(lambda: kp.display.ticket == "C002", 15), kp.display
    assert wait_until(lambda: "C002" in devices.spoken_numbers(), 10), devices.voice.spoken
    assert devices.spoken_numbers().count("C001") == 1  # not said again after the restart

    status = json.loads(hall.jiaohao("queue", "status", "--json").stdout)
    assert status  # the database is whole after the SIGKILL
    assert serve.stop() == 0


def test_a_serve_that_cannot_start_is_reported_with_its_output(tmp_path):
    h = NetHall(tmp_path).prepare()
    try:
        h.config.write_text(h.config.read_text(encoding="utf-8") + "\n[nonsense\n", encoding="utf-8")
        with pytest.raises(AssertionError, match="serve exited with 2"):
            h.serve.start(timeout=20)
    finally:
        h.close()


def test_serve_stops_by_itself_after_its_lifetime(hall):
    hall.serve.lifetime_s = 2.0
    hall.serve.start()
    hall.serve.proc.wait(15)
    assert hall.serve.proc.returncode == 0
    assert hall.serve.health() is None
