"""The master and the poller against the simulated bus over a pty: faults are counted and
dropped, dead addresses are backed off, lost events are counted, a lost port comes back."""
from __future__ import annotations

import pytest

from caller.service import BusService
from drivers.transport import register_sim, unregister_sim
from drivers.windowbus import (BadReply, BusPoller, BusSimulator, DeviceSlot, KeypadState, ModbusException,
                               ModbusWindowBus, NoAnswer, PortDown, RtuMaster, ScreenState)
from hall import HallQueue

from tests.windowbus_helpers import on_sim_bus, start_sim, stop_sim, wait_until

_n = iter(range(1, 10_000))


@pytest.fixture
def bus():
    name = f"wbfault{next(_n)}"
    sim = BusSimulator(baud=9600)
    for unit in (1, 2, 3):
        sim.add_keypad(unit)
    sim.add_screen(101)
    register_sim(name, sim)
    master = RtuMaster(f"sim://{name}", 9600, 0.05, name="test", reopen_s=0.0)
    yield sim, master, ModbusWindowBus(master)
    master.close()
    unregister_sim(name)


@pytest.mark.parametrize("fault,error,counter", [
    ("bad_crc", BadReply, "bad_crc"),
    ("wrong_address", BadReply, "wrong_address"),
    ("exception", ModbusException, "exceptions"),
    ("no_answer", NoAnswer, "timeouts"),
])
def test_faults_are_counted_dropped_and_the_bus_goes_on(bus, fault, error, counter):
    sim, master, proto = bus
    sim.keypad(2).fail_next(fault)
    with pytest.raises(error):
        proto.read_event(2)
    assert getattr(master.stats, counter) == 1
    assert proto.read_event(2).seq == 0          # the next request works
    assert proto.read_event(1).seq == 0
    assert master.stats.errors == 1


def test_garbage_before_a_reply_is_counted_and_the_reply_used(bus):
    sim, master, proto = bus
    sim.keypad(1).press("CALL")
    sim.keypad(1).fail_next("garbage")
    assert proto.read_event(1).code == 1
    assert master.stats.garbage_bytes == 4 and master.stats.errors == 0


def test_line_noise_between_requests_is_counted(bus):
    sim, master, proto = bus
    proto.read_event(1)
    sim.noise(b"\x55\xaa\x00")
    assert wait_until(lambda: master._port.in_waiting == 3, 2)
    proto.read_event(1)
    assert master.stats.garbage_bytes == 3


def test_writes_reach_the_devices(bus):
    sim, master, proto = bus
    proto.write_keypad(3, KeypadState(0, "idle", 4, False, "", "空闲"))
    proto.write_screen(101, ScreenState("欢迎光临", "社会保障"))
    assert sim.keypad(3).display.waiting == 4
    assert sim.screen(101).lines == ("欢迎光临", "社会保障")
    with pytest.raises(ModbusException):   # a keypad has no screen block: illegal data address
        proto.write_screen(3, ScreenState("x"))


def test_unplugged_port_is_reported_and_reopened(bus):
    sim, master, proto = bus
    proto.read_event(1)
    sim.unplug()
    with pytest.raises(PortDown):
        for _ in range(3):
            proto.read_event(1)
    assert master.stats.port_errors == 1 and not master.is_open
    with pytest.raises(PortDown):
        proto.read_event(1)                      # still gone: cannot open sim://
    sim.replug()
    assert proto.read_event(1).seq == 0
    assert master.stats.reopens == 1


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def make_poller(proto, units, clock, **kw):
    slots = [DeviceSlot(u, u, "keypad") for u in units]
    poller = BusPoller(proto, slots, name="test", clock=clock, offline_after=2, offline_retry_s=5, **kw)
    seen, back = [], []

    def acted(slot, ev):                   # a handler that acts on every key and acknowledges it
        seen.append((slot.unit, ev.seq, ev.code, ev.arg))
        slot.acked_seq = ev.seq
        poller.set_state(slot, KeypadState(slot.acked_seq, "serving", 0, False, "", ""))

    poller.on_event = acted
    poller.on_back = lambda slot: (back.append(slot.unit),
                                   poller.set_state(slot, KeypadState(slot.acked_seq, "idle", 0, False, "", "")))
    return poller, slots, seen, back


def test_a_silent_address_is_backed_off_and_does_not_hold_up_the_others(bus):
    sim, master, proto = bus
    clock = Clock()
    poller, slots, seen, back = make_poller(proto, [1, 2, 3, 9], clock)  # nothing answers at 9
    for _ in range(20):
        poller.cycle()
        clock.t += 0.5
    dead = slots[3]
    assert dead.online is False
    # 2 misses to be declared offline, then one probe every 5 s of the 10 s that passed
    assert dead.polls <= 2 + 2
    assert all(s.polls >= 20 for s in slots[:3]) and back == [1, 2, 3]
    assert master.stats.timeouts == dead.polls


def test_many_dead_addresses_cost_at_most_one_probe_a_cycle(bus):
    sim, master, proto = bus
    clock = Clock()
    poller, slots, *_ = make_poller(proto, [1, *range(20, 30)], clock)
    for _ in range(3):
        poller.cycle()
    assert all(s.online is False for s in slots[1:])
    clock.t += 10                                   # every dead one is due for a probe
    before = master.stats.timeouts
    poller.cycle()
    assert master.stats.timeouts - before == 1
    assert slots[0].polls == 4


def test_events_are_acted_on_once_and_lost_ones_counted(bus):
    sim, master, proto = bus
    clock = Clock()
    poller, slots, seen, back = make_poller(proto, [1, 2], clock)
    kp = sim.keypad(1)
    poller.cycle()
    kp.press("CALL")
    poller.cycle()
    poller.cycle()
    kp.press("PAUSE", 2)
    kp.press("RESUME")                     # two presses between polls: one is lost
    poller.cycle()
    assert seen == [(1, 1, 1, 0), (1, 3, 6, 0)]
    assert slots[0].lost_events == 1


def test_a_device_back_from_offline_gets_its_state_before_its_keys(bus):
    sim, master, proto = bus
    clock = Clock()
    poller, slots, seen, back = make_poller(proto, [1, 2], clock)
    kp = sim.keypad(2)
    poller.cycle()
    kp.silent = True
    poller.cycle()
    poller.cycle()
    assert slots[1].online is False
    kp.press("CALL")                       # pressed while nobody heard it
    kp.silent = False
    clock.t += 6
    poller.cycle()
    assert back == [1, 2, 2] and seen == []  # full state again, the stale key counted, not acted on
    assert slots[1].lost_events == 1 and slots[1].unheard == 1
    assert kp.display.ack_seq == 0 and kp.pending and kp.beeps == 0  # ... and not acknowledged either
    kp.power_cycle()                         # a restart: sequence 0 and a blank display
    poller.cycle()
    assert back[-1] == 2 and kp.display.state == "idle"


def test_bus_service_reopens_a_port_that_disappears(demo_config, clock, db_path):
    cfg, name = on_sim_bus(demo_config, timeout_ms=50, offline_retry_s=0.5)
    sim = start_sim(cfg, "floor1", name)
    q = HallQueue(db_path, cfg, clock)
    svc = BusService(q, cfg, "floor1", min_cycle_s=0.005)
    svc.start()
    try:
        kp = sim.keypad(7)
        assert wait_until(lambda: kp.writes > 0, 10)
        sim.unplug()
        q.issue("E")                        # the kiosk goes on while the bus is down
        assert wait_until(lambda: svc.error != "", 5)
        written = kp.writes
        sim.replug()
        assert wait_until(lambda: kp.writes > written and kp.display.waiting == 1, 10)
        assert svc.protocol.master.stats.reopens == 1
        kp.press("CALL")
        assert kp.wait_acked(5)
        assert wait_until(lambda: kp.display.ticket == "E001")
        assert svc.status()["port_up"]
    finally:
        svc.stop()
        stop_sim(name)
        q.close()


def test_bus_service_counts_bad_replies_and_goes_on(demo_config, clock, db_path):
    cfg, name = on_sim_bus(demo_config, timeout_ms=50)
    sim = start_sim(cfg, "floor1", name)
    q = HallQueue(db_path, cfg, clock)
    svc = BusService(q, cfg, "floor1", min_cycle_s=0.005)
    svc.start()
    try:
        kp = sim.keypad(8)
        assert wait_until(lambda: kp.writes > 0, 10)
        q.issue("F")
        kp.fail_next("bad_crc", 2)
        kp.fail_next("garbage")
        sim.keypad(9).fail_next("no_answer")
        kp.press("CALL")
        assert kp.wait_acked(5)
        assert wait_until(lambda: kp.display.ticket == "F001")
        stats = svc.protocol.master.stats
        assert stats.bad_crc >= 2 and stats.garbage_bytes >= 4 and stats.timeouts >= 1
        assert svc.poller.slot(9, "keypad").online       # one miss is not offline
    finally:
        svc.stop()
        stop_sim(name)
        q.close()


def test_a_device_of_the_wrong_kind_is_flagged_and_not_written(bus):
    sim, master, proto = bus
    poller = BusPoller(proto, [DeviceSlot(1, 1, "screen"), DeviceSlot(101, 1, "screen")], name="test")
    poller.on_back = lambda slot: poller.set_state(slot, ScreenState("欢迎光临"))
    poller.cycle()
    wrong, right = poller.slots
    assert wrong.kind_mismatch and wrong.written is None and sim.keypad(1).writes == 0
    assert not right.kind_mismatch and sim.screen(101).lines[0] == "欢迎光临"
    poller.cycle()
    assert master.stats.exceptions == 0


def _ack_lost_then_offline(sim, proto, clock):
    """Window 1's CALL is acted on, then the keypad goes silent before the acknowledgement
    is written, and stays away until it is marked offline."""
    kp = sim.keypad(1)
    poller, slots, seen, back = make_poller(proto, [1], clock)
    poller.cycle()                                   # first contact: acknowledged 0, state written
    acted = poller.on_event

    def act_then_lose_the_line(slot, ev):
        kp.silent = True                             # the line goes before the write
        acted(slot, ev)
    poller.on_event = act_then_lose_the_line
    kp.press("CALL")
    poller.cycle()
    poller.cycle()
    assert slots[0].online is False and slots[0].acked_seq == 1 and kp.display.ack_seq == 0
    poller.on_event = acted
    return kp, poller, slots, seen


def test_an_acknowledgement_that_never_arrived_is_written_when_the_device_is_back(bus):
    sim, master, proto = bus
    clock = Clock()
    kp, poller, slots, seen = _ack_lost_then_offline(sim, proto, clock)
    kp.silent = False
    clock.t += 6
    poller.cycle()
    # the device holds an older acknowledgement but not a blank block: our record stands
    assert kp.display.ack_seq == 1 and kp.beeps == 1 and not kp.pending
    assert seen == [(1, 1, 1, 0)] and slots[0].unheard == 0


def test_a_restart_while_away_is_told_from_a_lost_write_by_the_blank_block(bus):
    sim, master, proto = bus
    clock = Clock()
    kp, poller, slots, seen = _ack_lost_then_offline(sim, proto, clock)
    kp.power_cycle()                                 # restarts while away: sequence 0, blank block
    kp.press("RECALL")                               # sequence 1 again, unheard
    kp.silent = False
    clock.t += 6
    poller.cycle()
    assert seen == [(1, 1, 1, 0)]                    # the RECALL is not taken for the old CALL
    assert slots[0].acked_seq == 0 and slots[0].unheard == 1
    assert kp.display.ack_seq == 0 and kp.pending and kp.beeps == 0
    kp.press("RECALL")                               # pressed again: acted on and acknowledged
    poller.cycle()
    assert seen[-1] == (1, 2, 2, 0) and kp.display.ack_seq == 2 and kp.beeps == 1
