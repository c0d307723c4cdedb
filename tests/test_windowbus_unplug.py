"""The bus's USB adapter unplugged and plugged in again, for real: the pty the master has
open is closed and its device path removed, then a new one appears at the same path.
Every OS-level serial error is a port fault; the port is re-opened with back-off and the
devices get their full state; a key acknowledged after it is acted on, once."""
from __future__ import annotations

import os
import termios
import time

import pytest

from caller.service import BusService
from drivers.transport import open_serial
from drivers.windowbus import BusSimulator, PortDown, RtuMaster
from hall import HallQueue

from tests.windowbus_helpers import wait_until


@pytest.fixture
def adapter(tmp_path, demo_config):
    """A simulated bus behind a device path, as udev makes /dev/ttyUSB0 for an adapter."""
    link = tmp_path / "ttyUSB0"
    sim = BusSimulator.for_config(demo_config, "floor1", wire_time=False)
    os.symlink(sim.start(), link)

    def unplug():
        sim.unplug()                 # the pty goes: the master's open descriptor fails (EIO)
        os.unlink(link)              # and the device node disappears

    def replug():
        os.symlink(sim.replug(), link)

    yield sim, str(link), unplug, replug
    sim.stop()


def test_unplug_and_replug_the_adapter(adapter, demo_config, clock, db_path):
    sim, path, unplug, replug = adapter
    # this machine's kernel refuses even parity on a pty (EINVAL): the pty runs 8N1, a setting
    # the bus config allows for devices set that way
    bus = demo_config.buses["floor1"].model_copy(update={"url": path, "parity": "N", "timeout_ms": 50,
                                                         "offline_retry_s": 0.4})
    cfg = demo_config.model_copy(update={"buses": {"floor1": bus}})
    q = HallQueue(db_path, cfg, clock)
    q.login(1, "0101")
    svc = BusService(q, cfg, "floor1", min_cycle_s=0.005)
    svc.start()
    try:
        kp = sim.keypad(1)
        assert wait_until(lambda: kp.writes > 0 and kp.display.state == "idle", 10)
        unplug()
        assert wait_until(lambda: not svc.poller.port_up and svc.error, 5)
        stats = svc.protocol.master.stats
        assert stats.port_errors == 1
        q.issue("A")                                  # the hall goes on while the bus is away
        kp.press("CALL")                              # nobody hears this one
        assert wait_until(lambda: stats.open_failures >= 2, 5)   # it keeps trying, backing off
        assert svc._thread.is_alive()
        written = kp.writes
        replug()
        assert wait_until(lambda: kp.writes > written and kp.display.waiting == 1, 10)  # full state
        assert wait_until(lambda: svc.poller.port_up, 5) and stats.reopens == 1
        assert kp.pending and kp.beeps == 0          # the unheard key: not acted on, no beep
        assert q.window_state(1).current is None
        kp.press("CALL")
        assert kp.wait_acked(5) and kp.beeps == 1
        assert wait_until(lambda: kp.display.ticket == "A001")
        assert sum(e.kind == "called" for e in q.events_after(0)) == 1
    finally:
        svc.stop()
        q.close()


def test_every_os_level_error_on_open_is_a_port_fault(adapter):
    sim, path, unplug, replug = adapter
    calls = []

    def opener(url, baud, timeout, **kw):  # the OS answers the first open with termios.error
        calls.append(kw)
        if len(calls) == 1:
            raise termios.error(22, "Invalid argument")
        return open_serial(url, baud, timeout, **kw)

    m = RtuMaster(path, 9600, 0.05, parity="N", reopen_s=0.0, opener=opener)
    with pytest.raises(PortDown, match="Invalid argument"):
        m.read_input(1, 2, 3)
    assert m.stats.open_failures == 1 and not m.is_open
    assert m.read_input(1, 2, 3) == [0, 0, 0]      # the next try opens it
    assert calls[-1] == {"default_sim": None, "parity": "N", "stopbits": 1}
    unplug()
    with pytest.raises(PortDown):
        m.read_input(1, 2, 3)                       # EIO on the open descriptor
    with pytest.raises(PortDown, match="ttyUSB0"):
        m.read_input(1, 2, 3)                       # the path is gone
    assert m.stats.port_errors == 1 and m.stats.open_failures == 2
    replug()
    assert m.read_input(1, 2, 3) == [0, 0, 0]
    assert m.stats.reopens == 1
    m.close()


def test_reopening_backs_off_while_the_port_stays_away(tmp_path):
    m = RtuMaster(str(tmp_path / "ttyUSB9"), 9600, 0.05, parity="N", reopen_s=0.4)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        with pytest.raises(PortDown):
            m.read_input(1, 2, 3)
        time.sleep(0.005)
    # waits of 0.05, 0.1, 0.2, 0.4, 0.4 s between tries: about 5 in a second, not 200
    assert 3 <= m.stats.open_failures <= 7
