"""The bus service end to end over a pty: simulated keypads, evaluators and window screens
drive the real master, poller and queue."""
from __future__ import annotations

import pytest

from caller.service import BusService, components
from drivers.windowbus import EventCode
from hall import HallQueue

from tests.windowbus_helpers import on_sim_bus, start_sim, stop_sim, wait_until


@pytest.fixture
def hall(demo_config, clock, db_path):
    cfg, name = on_sim_bus(demo_config, timeout_ms=50, offline_retry_s=0.5)
    sim = start_sim(cfg, "floor1", name)
    q = HallQueue(db_path, cfg, clock)
    svc = BusService(q, cfg, "floor1", min_cycle_s=0.005)
    svc.start()
    # a key pressed before the master first heard a device is not acted on late
    assert wait_until(lambda: all(d.writes for d in sim.devices.values()), 10)
    yield q, sim, svc
    svc.stop()
    stop_sim(name)
    q.close()


def press(keypad, key, arg=0):
    keypad.press(key, arg)
    assert keypad.wait_acked(5), f"{key} was not acknowledged"
    return keypad.display


def test_call_shows_on_keypad_and_screen_and_rating_lands(hall):
    q, sim, svc = hall
    q.login(5, "0501")
    t1 = q.issue("C")
    q.issue("C")
    kp, ev, scr = sim.keypad(5), sim.evaluator(55), sim.screen(105)
    assert wait_until(lambda: kp.display.waiting == 2 and kp.display.state == "idle")
    assert wait_until(lambda: scr.lines[0] == "欢迎光临")
    assert scr.lines[1] == "不动产登记"

    shown = press(kp, "CALL")
    assert shown.ticket == t1.number == "C001"
    assert shown.state == "serving" and shown.waiting == 1 and shown.ack_seq == kp.seq
    assert q.window_state(5).current.number == "C001"
    assert wait_until(lambda: scr.lines == ("请C001号到5号窗口", "不动产登记"))
    assert scr.state.flash_s > 0

    press(kp, "FINISH")
    assert wait_until(lambda: ev.display.prompt and ev.display.ticket == "C001")
    assert ev.display.message == "请评价"
    ev.rate(5)
    assert ev.wait_acked(5)
    assert wait_until(lambda: not ev.display.prompt)
    rated = [e for e in q.events_after(0) if e.kind == "rated"]
    assert [(e.number, e.data["score"]) for e in rated] == [("C001", 5)]
    assert wait_until(lambda: scr.lines[0] == "欢迎光临")


def test_waiting_counts_follow_tickets_issued_elsewhere(hall):
    q, sim, svc = hall
    kp1, kp12, kp4 = sim.keypad(1), sim.keypad(12), sim.keypad(4)
    for _ in range(3):
        q.issue("A")
    q.issue("C")
    # window 1 serves A and B; window 12 serves A, B, D, E, F; window 4 serves C
    assert wait_until(lambda: (kp1.display.waiting, kp12.display.waiting, kp4.display.waiting) == (3, 3, 1))


@pytest.mark.parametrize("key,arg,check", [
    ("PAUSE", 2, lambda q, kp, scr: q.window_state(3).pause_reason == "lunch"
     and kp.display.state == "paused" and scr.lines[0] == "暂停服务 午休"),
    ("LOGOUT", 0, lambda q, kp, scr: q.window_state(3).state == "closed" and kp.display.message == "已退出"),
    ("SKIP", 0, lambda q, kp, scr: q.ticket_by_number("B001").status == "skipped"),
    ("TRANSFER", 4, lambda q, kp, scr: q.ticket_by_number("B001").target_window == 4
     and kp.display.message == "已转4号窗"),
    ("RECALL", 0, lambda q, kp, scr: [e.kind for e in q.events_after(0)][-1] == "recalled"),
    ("CALL_TICKET", 2, lambda q, kp, scr: q.window_state(3).current.number == "B002"),
])
def test_keys_become_queue_operations(hall, key, arg, check):
    q, sim, svc = hall
    q.login(3, "0301")
    q.issue("B")
    q.issue("B")
    kp, scr = sim.keypad(3), sim.screen(103)
    press(kp, "CALL")
    assert q.window_state(3).current.number == "B001"
    press(kp, key, arg)
    assert wait_until(lambda: check(q, kp, scr)), kp.display


def test_login_resume_and_refusals_show_notes(hall):
    q, sim, svc = hall
    kp = sim.keypad(2)
    assert press(kp, "LOGOUT").state == "closed"
    assert press(kp, "CALL").message == "请先登录"
    assert press(kp, "LOGIN", 1234).state == "idle"
    assert q.window_state(2).staff == "1234"
    assert press(kp, "CALL").message == "无人等候"
    press(kp, "PAUSE", 1)
    assert press(kp, "CALL").message == "请先恢复"
    assert press(kp, "RESUME").state == "idle"
    assert press(kp, "CALL_TICKET", 77).message == "无此号码"


def test_evaluator_keys_other_than_rate_are_refused(hall):
    q, sim, svc = hall
    q.login(6, "0601")
    ev = sim.evaluator(56)
    ev.press(EventCode.CALL)
    assert ev.wait_acked(5)
    assert q.window_state(6).state == "idle"
    assert wait_until(lambda: ev.display.message == "未知按键")


def test_components_build_one_service_per_bus_with_default_simulators(demo_config, db_path, clock):
    cfg, name = on_sim_bus(demo_config)

    class Ctx:
        config = cfg
        queue = HallQueue(db_path, cfg, clock)

    parts = components(Ctx)
    assert [p.name for p in parts] == ["bus:floor1"]
    assert len(parts[0].poller.slots) == 36
    parts[0].start()
    try:
        from drivers.transport import get_sim
        assert wait_until(lambda: get_sim(name) is not None)
        sim = get_sim(name)
        assert sorted(sim.devices) == sorted([*range(1, 13), *range(51, 63), *range(101, 113)])
        assert wait_until(lambda: sim.screen(112).lines[0] == "欢迎光临", 10)
    finally:
        parts[0].stop()
        stop_sim(name)
        Ctx.queue.close()


def test_keypad_with_built_in_evaluator(demo_config, clock, db_path):
    from drivers.windowbus.simulator import KeypadEvaluatorSim
    cfg, name = on_sim_bus(demo_config, timeout_ms=50)
    sim = start_sim(cfg, "floor1", name)
    sim.devices[9] = kp = KeypadEvaluatorSim(9)          # window 9: one device, kind 3
    q = HallQueue(db_path, cfg, clock)
    svc = BusService(q, cfg, "floor1", min_cycle_s=0.005)
    svc.start()
    try:
        assert wait_until(lambda: kp.writes > 0, 10)
        q.issue("G")
        press(kp, "CALL")
        assert kp.display.ticket == "G001" and not kp.display.prompt
        press(kp, "FINISH")
        assert wait_until(lambda: kp.display.prompt)
        kp.rate(4)
        assert kp.wait_acked(5)
        assert wait_until(lambda: not kp.display.prompt and kp.display.message == "谢谢评价")
        assert [(e.number, e.data["score"]) for e in q.events_after(0) if e.kind == "rated"] == [("G001", 4)]
        assert svc.poller.slot(9, "keypad").kind.name == "KEYPAD_EVALUATOR"
    finally:
        svc.stop()
        stop_sim(name)
        q.close()


def test_a_restarted_controller_resumes_from_its_cursor(demo_config, clock, db_path):
    cfg, name = on_sim_bus(demo_config, timeout_ms=50)
    sim = start_sim(cfg, "floor1", name)
    q = HallQueue(db_path, cfg, clock)
    try:
        svc = BusService(q, cfg, "floor1", min_cycle_s=0.005)
        svc.start()
        kp = sim.keypad(1)
        assert wait_until(lambda: kp.writes > 0, 10)
        svc.stop()
        q.issue("A")                                 # while the controller is down
        kp.power_cycle()                             # and the keypad lost its display
        svc = BusService(q, cfg, "floor1", min_cycle_s=0.005)
        svc.start()
        assert wait_until(lambda: kp.display.waiting == 1 and kp.display.state == "idle", 10)
        svc.stop()
        assert q.get_cursor("bus:floor1") == q.last_event_id()
    finally:
        stop_sim(name)
        q.close()


def test_a_failing_operation_is_not_acknowledged_and_asks_to_press_again(hall, monkeypatch):
    q, sim, svc = hall
    kp = sim.keypad(10)

    def broken(*a, **k):
        raise RuntimeError("database is locked")
    monkeypatch.setattr(q, "call_next", broken)
    kp.press("CALL")
    assert wait_until(lambda: kp.display.message == "系统忙 请重按")
    assert kp.pending and kp.beeps == 0          # no beep: nothing happened
    monkeypatch.undo()
    q.issue("G")
    assert press(kp, "CALL").ticket == "G001"      # the bus went on; this press beeps
    assert kp.beeps == 1
    assert [e.kind for e in q.events_after(0)].count("called") == 1
