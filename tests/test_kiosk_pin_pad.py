"""The kiosk's PIN pad and technician menu through the real widgets (pytest-qt,
offscreen): key clicks and taps on the PIN pad, lock-outs timed by an injected wall
clock, the menu's timeout by an injected monotonic clock; nothing sleeps."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from kiosk import flow as F  # noqa: E402
from kiosk.pins import hash_pin  # noqa: E402

from . import test_kiosk_ui as ui  # noqa: E402
from .test_kiosk_pins import Clock  # noqa: E402
from .test_kiosk_ui import tap, tickets, wait_screen  # noqa: E402

printer = ui.printer  # the printer simulator fixture

TECH, GREEN = hash_pin("9753"), hash_pin("8642")


class Monotonic(Clock):
    pass


@pytest.fixture
def make_kiosk(qtbot, demo_config, printer, clock, tmp_path):
    factory = ui.KioskFactory(qtbot, demo_config, printer[0], clock, tmp_path / "hall.sqlite")

    def make(lockout_path=None, wall=None, mono=None, **kiosk):
        kiosk = {"technician_pin_hash": TECH, "priority_pin_hash": GREEN, **kiosk}
        return factory(kiosk_mode=True, window={"lockout_path": lockout_path, "wall_clock": wall or Clock(),
                                                 "monotonic": mono or Monotonic(0.0)}, **kiosk)

    yield make
    factory.close()


def technician_keys(qtbot, w) -> None:
    qtbot.keyClick(w, Qt.Key_T, Qt.ControlModifier | Qt.AltModifier | Qt.ShiftModifier)


def type_pin(qtbot, w, pin: str) -> None:
    """A PIN typed on a keyboard, then Enter (the issue's brute force)."""
    qtbot.keyClicks(w, pin)
    qtbot.keyClick(w, Qt.Key_Return)


def tap_pin(qtbot, w, pin: str) -> None:
    """A PIN tapped on the on-screen PIN pad, then OK."""
    for digit in pin:
        tap(qtbot, w.pin.keypad.buttons[digit])
    tap(qtbot, w.pin.ok)


def test_three_wrong_pins_lock_the_pad_in_words_and_it_reopens_by_itself(qtbot, make_kiosk):
    wall = Clock()
    w, q = make_kiosk(wall=wall)
    technician_keys(qtbot, w)
    assert w.flow.screen == F.TECH_PIN and w.stack.currentWidget() is w.pin
    type_pin(qtbot, w, "1111")
    assert w.pin.error.text() == "密码错误，请重试\n再错 2 次将锁定密码键盘"
    tap_pin(qtbot, w, "2222")
    assert w.pin.error.text().endswith("再错 1 次将锁定密码键盘")
    type_pin(qtbot, w, "3333")
    assert w.pin.error.text() == "密码错误次数过多，密码键盘已锁定。\n请 30 秒后再试"
    assert w.pin.locked and not w.pin.keypad.isEnabled() and not w.pin.ok.isEnabled()
    type_pin(qtbot, w, "9753")  # the right PIN, but the pad is locked: not even checked
    tap(qtbot, w.pin.keypad.buttons["9"])
    assert w.flow.screen == F.TECH_PIN and not w.flow.unlocked and w.pin.value == ""
    wall.t += 12
    w._tick()
    assert w.pin.error.text().endswith("请 18 秒后再试")
    wall.t += 18
    w._tick()
    assert not w.pin.locked and w.pin.keypad.isEnabled() and w.pin.error.text() == ""
    tap_pin(qtbot, w, "9753")
    assert w.flow.screen == F.TECH_MENU and w.stack.currentWidget() is w.tech


def test_the_issues_keyboard_brute_force_stops_after_three_tries(qtbot, make_kiosk):
    """It opened the menu at attempt 2,581 in 0.7 s; now each further try is refused unread."""
    w, q = make_kiosk(technician_pin_hash=hash_pin("0042"))
    technician_keys(qtbot, w)
    for n in range(100):
        type_pin(qtbot, w, f"{n:04d}")
    assert w.flow.screen == F.TECH_PIN and not w.flow.unlocked
    assert w.flow.guard.locked_for("technician") == 30  # one lock-out: only 3 PINs were checked
    assert "请 30 秒后再试" in w.pin.error.text()


def test_a_second_lock_out_is_longer_and_shown_in_minutes(qtbot, make_kiosk):
    wall = Clock()
    w, q = make_kiosk(wall=wall)
    technician_keys(qtbot, w)
    for pin in ("1111", "2222", "3333"):
        type_pin(qtbot, w, pin)
    wall.t += 30
    w._tick()  # the kiosk's 250 ms ticker
    for pin in ("1111", "2222", "3333"):
        type_pin(qtbot, w, pin)
    assert w.pin.error.text().endswith("请 1 分钟后再试")
    wall.t += 59
    w._tick()
    assert w.pin.error.text().endswith("请 1 秒后再试")


def test_a_lock_out_is_still_there_after_the_kiosk_restarts(qtbot, make_kiosk, tmp_path):
    path, wall = tmp_path / "lockout.json", Clock()
    w, q = make_kiosk(lockout_path=path, wall=wall)
    technician_keys(qtbot, w)
    for pin in ("1111", "2222", "3333"):
        type_pin(qtbot, w, pin)
    w.allow_close = True
    w.close()
    wall.t += 5
    again, _ = make_kiosk(lockout_path=path, wall=wall)
    technician_keys(qtbot, again)
    assert again.pin.locked and again.pin.error.text().endswith("请 25 秒后再试")


def test_the_green_channel_pad_locks_on_its_own(qtbot, make_kiosk, printer):
    wall = Clock()
    w, q = make_kiosk(wall=wall)
    tap(qtbot, w.home.green_btn)
    assert w.flow.screen == F.PRIORITY_PIN
    for pin in ("1111", "2222", "3333"):
        tap_pin(qtbot, w, pin)
    assert w.pin.locked and "请 30 秒后再试" in w.pin.error.text()
    tap(qtbot, w.pin.cancel)
    technician_keys(qtbot, w)  # the technician's pad is not locked by staff mistakes
    assert w.flow.screen == F.TECH_PIN and not w.pin.locked
    tap(qtbot, w.pin.cancel)
    wall.t += 30
    tap(qtbot, w.home.green_btn)
    tap_pin(qtbot, w, "8642")
    assert w.flow.priority and w.flow.screen == F.HOME
    tap(qtbot, w.home.tile("D"))
    wait_screen(qtbot, w, F.DONE)
    assert tickets(q) == [("D001", "D", "priority", "waiting")]


def test_without_a_technician_pin_the_kiosk_says_so_and_still_issues(qtbot, make_kiosk, printer):
    w, q = make_kiosk(technician_pin_hash="")
    technician_keys(qtbot, w)
    assert w.flow.screen == F.MESSAGE and w.stack.currentWidget() is w.message
    assert w.message.text.text() == "未设置技术人员密码，无法打开维护菜单"
    assert "jiaohao pin set --role technician" in w.message.detail.text()
    type_pin(qtbot, w, "2580")  # the old documented default opens nothing
    assert not w.flow.unlocked
    tap(qtbot, w.message.ok)
    for _ in range(5):  # five taps on the clock: the same answer
        tap(qtbot, w.home.time)
    assert w.flow.screen == F.MESSAGE and w.message.text.text() == "未设置技术人员密码，无法打开维护菜单"
    tap(qtbot, w.message.ok)
    tap(qtbot, w.home.tile("A"))
    wait_screen(qtbot, w, F.DONE)
    assert tickets(q) == [("A001", "A", "normal", "waiting")]
    w.close()
    assert w.isVisible()  # and the kiosk stays locked


def test_green_channel_without_a_staff_pin_is_off_and_says_so(qtbot, make_kiosk):
    w, q = make_kiosk(priority_pin_hash="")
    tap(qtbot, w.home.green_btn)
    assert w.flow.screen == F.MESSAGE and not w.flow.priority
    assert w.message.text.text() == "本机暂不提供绿色通道，请到服务台咨询"
    assert "jiaohao pin set --role green" in w.message.detail.text()


def test_the_technician_menu_closes_after_its_time_untouched(qtbot, make_kiosk):
    mono = Monotonic(1000.0)
    w, q = make_kiosk(mono=mono, technician_menu_seconds=120)
    technician_keys(qtbot, w)
    type_pin(qtbot, w, "9753")
    assert w.flow.screen == F.TECH_MENU
    assert "120 秒无操作将自动关闭" in w.tech.info.text()
    mono.t += 100
    w._tick()
    assert w.flow.screen == F.TECH_MENU
    qtbot.mouseClick(w.tech.info, Qt.LeftButton)  # a touch restarts its time
    mono.t += 119
    w._tick()
    assert w.flow.screen == F.TECH_MENU
    mono.t += 1
    w._tick()
    assert w.flow.screen == F.HOME and w.stack.currentWidget() is w.home and not w.flow.unlocked
    exited = []
    w.on_exit = lambda: exited.append(True)
    w.technician_exit()  # the menu's exit no longer works once it has closed
    assert exited == [] and w.isVisible()
