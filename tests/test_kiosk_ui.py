"""The kiosk window driven by taps (pytest-qt, offscreen) with the real TicketIssuer
printing through the printer simulator on a pty (``sim://``)."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from drivers.printer import PrinterSimulator  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402
from hall import HallQueue  # noqa: E402
from kiosk import flow as F  # noqa: E402
from kiosk.app import KioskWindow  # noqa: E402
from kiosk.pins import hash_pin  # noqa: E402
from kiosk.printing import TicketIssuer  # noqa: E402

WAIT_MS = 15000


@pytest.fixture
def printer():
    name = f"kiosk-test-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(name=name)
    register_sim(name, sim)
    yield name, sim
    unregister_sim(name)


def kiosk_config(base, printer_name: str, **kiosk):
    return base.model_copy(update={
        "printer": base.printer.model_copy(update={"url": f"sim://{printer_name}", "timeout_s": 2.0}),
        "kiosk": base.kiosk.model_copy(update=kiosk),
    })


class KioskFactory:
    """Kiosk windows on the demo hall printing to the printer simulator; ``close()`` shuts
    every one down. ``window`` passes further KioskWindow arguments (clocks, lock-out file)."""

    def __init__(self, qtbot, base, printer_name: str, clock, db_path):
        self.qtbot, self.base, self.printer_name = qtbot, base, printer_name
        self.clock, self.db_path = clock, db_path
        self.made = []

    def __call__(self, size=(1080, 1920), kiosk_mode=False, window=None, **kiosk):
        cfg = kiosk_config(self.base, self.printer_name, **kiosk)
        q = HallQueue(self.db_path, cfg, self.clock)
        issuer = TicketIssuer(q, cfg)
        w = KioskWindow(q, cfg, issuer, kiosk_name="kiosk-test", kiosk_mode=kiosk_mode, start_timers=False,
                        **(window or {}))
        self.qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        self.made.append((w, q, issuer))
        return w, q

    def close(self) -> None:
        for w, q, issuer in self.made:
            w.allow_close = True
            w.shutdown()
            issuer.printer.close()
            q.close()


@pytest.fixture
def make_kiosk(qtbot, demo_config, printer, clock, db_path):
    factory = KioskFactory(qtbot, demo_config, printer[0], clock, db_path)
    yield factory
    factory.close()


def tickets(q) -> list[tuple]:
    with sqlite3.connect(q.path) as c:
        return c.execute("SELECT number, service, kind, status FROM tickets ORDER BY id").fetchall()


def tap(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.LeftButton)


def wait_screen(qtbot, w, screen) -> None:
    qtbot.waitUntil(lambda: w.flow.screen == screen, timeout=WAIT_MS)


def test_three_taps_issue_exactly_one_printed_ticket(qtbot, make_kiosk, printer):
    w, q = make_kiosk(confirm=True)
    sim = printer[1]
    tap(qtbot, w.home.tile("A"))  # 1: the service
    assert w.flow.screen == F.CONFIRM
    assert w.stack.currentWidget() is w.confirm
    assert w.confirm.name.text() == "社会保障"
    tap(qtbot, w.confirm.ok)  # 2: confirm
    wait_screen(qtbot, w, F.DONE)
    assert w.done.number.text() == "A001"
    assert w.done.take.text() == "请取票"
    assert w.done.ahead.text() == "前面还有 0 人"
    assert tickets(q) == [("A001", "A", "normal", "waiting")]
    assert sim.wait_for_jobs(1)
    assert len(sim.jobs) == 1 and not sim.lost_jobs
    assert "A001".encode() in sim.jobs[0]
    tap(qtbot, w.done.ok)  # 3: done, back home
    assert w.flow.screen == F.HOME and w.stack.currentWidget() is w.home
    assert len(sim.jobs) == 1 and len(tickets(q)) == 1


def test_double_tap_issues_one_ticket(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    tile = w.home.tile("B")
    tap(qtbot, tile)
    tap(qtbot, tile)
    wait_screen(qtbot, w, F.DONE)
    qtbot.wait(300)  # give a second request every chance to arrive
    assert tickets(q) == [("B001", "B", "normal", "waiting")]
    assert printer[1].wait_for_jobs(1) and len(printer[1].jobs) == 1


def test_double_tap_on_confirm_issues_one_ticket(qtbot, make_kiosk, printer):
    w, q = make_kiosk(confirm=True)
    tap(qtbot, w.home.tile("C"))
    tap(qtbot, w.confirm.ok)
    tap(qtbot, w.confirm.ok)
    wait_screen(qtbot, w, F.DONE)
    qtbot.wait(300)
    assert [t[0] for t in tickets(q)] == ["C001"]
    assert len(printer[1].jobs) == 1


def test_people_ahead_and_waiting_counts(qtbot, make_kiosk):
    w, q = make_kiosk()
    for _ in range(3):
        q.issue("A")
    tile = w.home.tile("A")
    w.refresh()
    assert w.home.tile("A") is tile  # updated in place: a finger on it is not lost to a refresh
    assert "等候 3 人" in tile.figures.text()
    tap(qtbot, w.home.tile("A"))
    wait_screen(qtbot, w, F.DONE)
    assert w.done.number.text() == "A004"
    assert w.done.ahead.text() == "前面还有 3 人"
    tap(qtbot, w.done.ok)
    assert "等候 4 人" in w.home.tile("A").figures.text()


def test_closed_service_is_shown_greyed_and_refuses(qtbot, make_kiosk, clock, printer):
    clock.set(datetime(2026, 11, 23, 12, 30))  # lunch: every demo service is closed
    w, q = make_kiosk()
    tile = w.home.tile("A")
    assert tile.property("available") == "false"
    assert tile.figures.text() == "暂未开始 · 14:00 开始取号"
    tap(qtbot, tile)
    assert w.flow.screen == F.MESSAGE
    assert w.message.text.text() == "该业务现在不能取号"
    assert "14:00 开始取号" in w.message.detail.text()
    assert tickets(q) == [] and printer[1].jobs == []
    tap(qtbot, w.message.ok)
    assert w.flow.screen == F.HOME


def test_service_at_daily_cap_refuses_but_green_channel_may_still_issue(qtbot, make_kiosk, printer):
    w, q = make_kiosk(priority_rule="open")
    for _ in range(60):  # 婚姻登记 H has daily_cap = 60
        q.issue("H")
    w.refresh()
    tile = w.home.tile("H")
    assert tile.property("available") == "false"
    assert tile.figures.text() == "今日号源已取完"
    tap(qtbot, tile)
    assert w.flow.screen == F.MESSAGE
    assert w.message.text.text() == "该业务今日号源已取完"
    assert len(tickets(q)) == 60 and printer[1].jobs == []
    tap(qtbot, w.message.ok)
    tap(qtbot, w.home.green_btn)  # rule "open": no PIN
    assert w.flow.priority and w.home.banner.isVisible()
    assert w.home.tile("H").figures.text() == "优先叫号 · 当前等候 60 人"
    tap(qtbot, w.home.tile("H"))
    wait_screen(qtbot, w, F.DONE)
    assert w.done.number.text() == "H061"
    assert w.done.kind.text() == "绿色通道"
    assert tickets(q)[-1] == ("H061", "H", "priority", "waiting")
    assert printer[1].wait_for_jobs(1)


def test_green_channel_behind_a_staff_pin(qtbot, make_kiosk, printer):
    w, q = make_kiosk(priority_rule="pin", priority_pin_hash=hash_pin("7788"))
    tap(qtbot, w.home.green_btn)
    assert w.flow.screen == F.PRIORITY_PIN
    for k in "1234":
        tap(qtbot, w.pin.keypad.buttons[k])
    assert w.pin.display.text() == "●●●●"
    tap(qtbot, w.pin.ok)
    assert w.flow.screen == F.PRIORITY_PIN and not w.flow.priority
    assert w.pin.error.text().startswith("密码错误，请重试")
    for k in "7788":
        tap(qtbot, w.pin.keypad.buttons[k])
    tap(qtbot, w.pin.ok)
    assert w.flow.screen == F.HOME and w.flow.priority
    tap(qtbot, w.home.tile("D"))
    wait_screen(qtbot, w, F.DONE)
    assert tickets(q) == [("D001", "D", "priority", "waiting")]


def test_paper_out_pauses_issue_then_recovers(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    sim = printer[1]
    sim.set_status("paper_out")
    # The printer ran out between two polls: the tap is refused, nothing is issued.
    tap(qtbot, w.home.tile("A"))
    qtbot.waitUntil(lambda: w.flow.paused and not w.flow.busy, timeout=WAIT_MS)
    assert w.flow.screen == F.HOME
    assert w.home.paused.isVisible() and not w.home.grid_host.isVisible()
    assert w.home.paused_text.text() == "暂停取号，请到服务台"
    assert w.home.paused_secondary.text() == "Ticket issue paused, please go to the service desk"
    assert not w.home.green_btn.isEnabled() and not w.home.checkin_btn.isEnabled()
    # Taps while paused do nothing.
    tap(qtbot, w.home.tile("A"))
    assert w.flow.screen == F.HOME
    assert tickets(q) == [] and sim.jobs == []
    # Paper loaded: the next status poll brings the kiosk back by itself.
    qtbot.waitUntil(lambda: not w.worker.polling, timeout=WAIT_MS)
    sim.set_status("ok")
    w.worker.poll_status()
    qtbot.waitUntil(lambda: not w.flow.paused, timeout=WAIT_MS)
    assert not w.home.paused.isVisible() and w.home.grid_host.isVisible()
    tap(qtbot, w.home.tile("A"))
    wait_screen(qtbot, w, F.DONE)
    assert tickets(q) == [("A001", "A", "normal", "waiting")]
    assert sim.wait_for_jobs(1) and len(sim.jobs) == 1


def test_printer_poll_pauses_and_recovers_on_its_own(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    w.start()  # the real timers: the printer is polled every couple of seconds
    printer[1].set_status("offline")
    qtbot.waitUntil(lambda: w.flow.paused, timeout=WAIT_MS)
    assert w.home.paused.isVisible()
    assert w.home.paused_detail.text()  # the printer's own words for the staff
    printer[1].set_status("ok")
    qtbot.waitUntil(lambda: not w.flow.paused, timeout=WAIT_MS)
    assert w.home.grid_host.isVisible()


def test_paper_running_out_mid_ticket_cancels_it_and_says_so(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    printer[1].fail_during_next_job(after_bytes=40)
    tap(qtbot, w.home.tile("E"))
    wait_screen(qtbot, w, F.MESSAGE)
    assert w.message.text.text() == "出票失败，请到服务台"
    assert tickets(q) == [("E001", "E", "normal", "cancelled")]


def test_elderly_mode_larger_text_fewer_choices_high_contrast(qtbot, make_kiosk):
    w, q = make_kiosk()
    before = w.home.tile("A").name.font().pixelSize()
    assert len(w.home.tiles) == 8 and not w.home.pager.isVisible()
    assert w.home.elderly_btn.text() == "长者模式 大字"
    tap(qtbot, w.home.elderly_btn)
    assert w.flow.elderly
    assert w.home.elderly_btn.text() == "标准模式"
    name = w.home.tile("A").name
    name.ensurePolished()
    assert name.font().pixelSize() > before * 1.3
    assert len(w.home.tiles) == 4 and w.home.pager.isVisible()
    assert w.home.page_label.text() == "第 1/2 页"
    bg = w.grab().toImage().pixelColor(5, w.height() // 2)
    assert bg.lightness() < 30  # black background
    tap(qtbot, w.home.next)
    assert [t.tile.code for t in w.home.tiles] == ["E", "F", "G", "H"]
    tap(qtbot, w.home.tile("G"))
    wait_screen(qtbot, w, F.DONE)
    assert w.done.number.text() == "G001"
    tap(qtbot, w.home.elderly_btn) if w.flow.screen == F.HOME else tap(qtbot, w.done.ok)
    assert w.flow.elderly  # still in elderly mode for the next tap ...
    w.idle_timeout()  # ... until the kiosk is left alone
    assert not w.flow.elderly and len(w.home.tiles) == 8


def test_voice_prompt_on_tap_in_elderly_mode(qtbot, make_kiosk):
    class Engine:
        def __init__(self):
            self.spoken = []

        def speak(self, text):
            self.spoken.append(text)

        def close(self):
            pass

    from kiosk.voice import VoicePrompt
    w, q = make_kiosk()
    engine = Engine()
    w.voice = VoicePrompt(engine)
    tap(qtbot, w.home.tile("A"))
    wait_screen(qtbot, w, F.DONE)
    tap(qtbot, w.done.ok)
    qtbot.wait(100)
    assert engine.spoken == []  # standard mode: silent
    tap(qtbot, w.home.elderly_btn)
    tap(qtbot, w.home.tile("B"))
    wait_screen(qtbot, w, F.DONE)
    qtbot.waitUntil(lambda: any("B001" in s for s in engine.spoken), timeout=WAIT_MS)


def test_english_switch_changes_every_text(qtbot, make_kiosk):
    w, q = make_kiosk()
    assert w.home.hint.text() == "请点击您要办理的业务取号"
    assert w.home.hall.text() == "瑶海区政务服务中心"
    assert w.home.tile("A").name.text() == "社会保障"
    assert w.home.lang_btn.text() == "English"
    tap(qtbot, w.home.lang_btn)
    assert w.home.hint.text() == "Tap the service you need to take a ticket"
    assert w.home.hall.text() == "Yaohai District Government Service Center"
    assert w.home.tile("A").name.text() == "Social Security"
    assert w.home.green_btn.text() == "Green channel"
    assert w.home.lang_btn.text() == "中文"
    tap(qtbot, w.home.tile("A"))
    wait_screen(qtbot, w, F.DONE)
    assert w.done.take.text() == "Please take your ticket"
    assert w.done.ahead.text() == "People ahead of you: 0"
    tap(qtbot, w.done.ok)
    tap(qtbot, w.home.lang_btn)
    assert w.home.hint.text() == "请点击您要办理的业务取号"


def test_appointment_check_in_on_the_keypad(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    q.add_appointment("YY2026001", "C", datetime(2026, 11, 23, 9, 15), "张三")
    tap(qtbot, w.home.checkin_btn)
    assert w.flow.screen == F.CHECKIN
    tap(qtbot, w.checkin.keypad.buttons["toggle"])
    tap(qtbot, w.checkin.keypad.buttons["Y"])
    tap(qtbot, w.checkin.keypad.buttons["Y"])
    tap(qtbot, w.checkin.keypad.buttons["toggle"])
    for k in "2026001":
        tap(qtbot, w.checkin.keypad.buttons[k])
    assert w.checkin.display.text() == "YY2026001"
    tap(qtbot, w.checkin.ok)
    wait_screen(qtbot, w, F.DONE)
    assert w.done.kind.text() == "预约号"
    assert tickets(q) == [("C001", "C", "appointment", "waiting")]
    assert printer[1].wait_for_jobs(1) and len(printer[1].jobs) == 1


def test_barcode_scanner_on_the_home_screen_checks_in(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    q.add_appointment("YY2026002", "F", datetime(2026, 11, 23, 9, 20), "李四")
    qtbot.keyClicks(w, "YY2026002")
    qtbot.keyClick(w, Qt.Key_Return)
    wait_screen(qtbot, w, F.DONE)
    assert tickets(q) == [("F001", "F", "appointment", "waiting")]


def test_scanned_booking_url_on_the_check_in_screen(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    q.add_appointment("YY2026003", "B", datetime(2026, 11, 23, 9, 10), "赵六")
    tap(qtbot, w.home.checkin_btn)
    qtbot.keyClicks(w, "https://zwfw.example.gov.cn/check-in?code=YY2026003")
    qtbot.keyClick(w, Qt.Key_Return)
    wait_screen(qtbot, w, F.DONE)
    assert w.checkin.value == "YY2026003"
    assert tickets(q) == [("B001", "B", "appointment", "waiting")]


def test_check_in_prompt_says_the_id_number_works_too(qtbot, make_kiosk):
    """The check-in accepts a booking code or the booker's ID number (hall/booking_slots
    looks_like_id): the prompt says both, in Chinese and in English."""
    w, q = make_kiosk()
    tap(qtbot, w.home.checkin_btn)
    wait_screen(qtbot, w, F.CHECKIN)
    assert w.checkin.hint.text() == "请输入预约码或身份证号，或将预约二维码对准扫描口"
    tap(qtbot, w.checkin.cancel)
    wait_screen(qtbot, w, F.HOME)
    tap(qtbot, w.home.lang_btn)
    tap(qtbot, w.home.checkin_btn)
    wait_screen(qtbot, w, F.CHECKIN)
    assert "booking code or your ID card number" in w.checkin.hint.text()


@pytest.mark.parametrize("code, slot, text, detail", [
    ("NOPE123", None, "未找到该预约", "NOPE123"),
    ("YY-LATER", datetime(2026, 11, 23, 11, 0), "还未到签到时间", "11:00"),
    ("YY-TOMORROW", datetime(2026, 11, 24, 9, 0), "您的预约不是今天", "2026-11-24"),
])
def test_check_in_refusals_explain_why(qtbot, make_kiosk, printer, code, slot, text, detail):
    w, q = make_kiosk()
    if slot is not None:
        q.add_appointment(code, "A", slot, "王五")
    tap(qtbot, w.home.checkin_btn)
    w.checkin.type_text(code)
    tap(qtbot, w.checkin.ok)
    wait_screen(qtbot, w, F.MESSAGE)
    assert w.message.text.text() == text
    assert detail in w.message.detail.text()
    assert tickets(q) == [] and printer[1].jobs == []


def test_busy_database_gives_a_retry_message_not_a_crash(qtbot, make_kiosk, printer, db_path):
    w, q = make_kiosk()
    q._conn.execute("PRAGMA busy_timeout = 200")  # do not wait the real 15 s in a test
    blocker = sqlite3.connect(str(db_path), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        tap(qtbot, w.home.tile("A"))
        wait_screen(qtbot, w, F.MESSAGE)
        assert w.message.text.text() == "系统繁忙，请稍后再试"
        w.refresh()  # the home figures keep working on their own connection
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    tap(qtbot, w.message.ok)
    tap(qtbot, w.home.tile("A"))
    wait_screen(qtbot, w, F.DONE)
    assert [t[0] for t in tickets(q)] == ["A001"]
    assert printer[1].wait_for_jobs(1) and len(printer[1].jobs) == 1


def test_done_screen_returns_home_by_itself(qtbot, make_kiosk):
    w, q = make_kiosk(done_seconds=2)
    w.start()
    tap(qtbot, w.home.tile("A"))
    wait_screen(qtbot, w, F.DONE)
    assert "秒后返回首页" in w.done.countdown.text()
    wait_screen(qtbot, w, F.HOME)


def test_kiosk_mode_cannot_be_closed_without_the_technician_pin(qtbot, make_kiosk):
    w, q = make_kiosk(kiosk_mode=True, technician_pin_hash=hash_pin("2468"))
    assert w.windowFlags() & Qt.FramelessWindowHint
    exited = []
    w.on_exit = lambda: exited.append(True)
    w.close()
    assert w.isVisible()
    qtbot.keyClick(w, Qt.Key_T, Qt.ControlModifier | Qt.AltModifier | Qt.ShiftModifier)
    assert w.flow.screen == F.TECH_PIN
    qtbot.keyClicks(w, "1111")
    qtbot.keyClick(w, Qt.Key_Return)
    assert w.flow.screen == F.TECH_PIN and w.isVisible()
    qtbot.keyClicks(w, "2468")
    qtbot.keyClick(w, Qt.Key_Return)
    assert w.flow.screen == F.TECH_MENU
    tap(qtbot, w.tech.resume)
    assert w.flow.screen == F.HOME and w.isVisible()
    for _ in range(5):  # five taps on the clock: the touch-only way in
        tap(qtbot, w.home.time)
    assert w.flow.screen == F.TECH_PIN
    w.pin.type_text("2468")
    tap(qtbot, w.pin.ok)
    tap(qtbot, w.tech.quit)
    assert exited == [True] and not w.isVisible()


def test_idle_returns_to_the_start_screen(qtbot, make_kiosk):
    w, q = make_kiosk(idle_seconds=30)
    assert w.idle.interval() == 30_000
    tap(qtbot, w.home.lang_btn)
    tap(qtbot, w.home.checkin_btn)
    w.checkin.type_text("AB12")
    w.idle_timeout()
    assert w.flow.screen == F.HOME and not w.flow.english
    assert w.home.hint.text() == "请点击您要办理的业务取号"
    assert w.checkin.value == ""


def test_landscape_layout_fits_the_screen(qtbot, make_kiosk):
    w, q = make_kiosk(size=(1920, 1080))
    assert w.height() == 1080 and w.width() == 1920
    assert len(w.home.tiles) == 8
    rows = {t.y() for t in w.home.tiles}
    assert len(rows) == 2  # 4 columns


def test_jiaohao_kiosk_screenshot_and_bad_size(tmp_path):
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "k.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00",
           "QT_QPA_PLATFORM": "offscreen"}
    env.pop("JIAOHAO_CONFIG", None)
    out = tmp_path / "kiosk.png"
    p = subprocess.run([sys.executable, "-m", "jiaohao", "kiosk", "--screenshot", str(out), "--size", "1920x1080",
                        "--printer", "sim://cli-shot"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1920, 1080)
    p = subprocess.run([sys.executable, "-m", "jiaohao", "kiosk", "--size", "big"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 2 and "WIDTHxHEIGHT" in p.stderr
