"""Kiosk check-in of a booking by the booker's ID number (Qt offscreen): an appointment
ticket, and the ID number never on screen, in an event or in a URL."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from drivers.printer import PrinterSimulator  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402
from kiosk import flow as F  # noqa: E402
from kiosk.app import KioskWindow  # noqa: E402
from kiosk.printing import TicketIssuer  # noqa: E402
from tests.booking_helpers import booking_hall, valid_id  # noqa: E402


@pytest.fixture
def kiosk(qtbot, tmp_path):
    name = f"kb-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(name=name)
    register_sim(name, sim)
    base = booking_hall(tmp_path)[1]
    cfg = base.model_copy(update={"printer": base.printer.model_copy(update={"url": f"sim://{name}",
                                                                             "timeout_s": 2.0})})
    clock = FixedClock(datetime(2026, 11, 23, 10, 0))
    q = HallQueue(tmp_path / "hall.sqlite", cfg, clock)
    issuer = TicketIssuer(q, cfg)
    w = KioskWindow(q, cfg, issuer, kiosk_name="kiosk-1", start_timers=False)
    qtbot.addWidget(w)
    w.resize(1080, 1920)
    w.show()
    yield w, q, clock, sim
    w.allow_close = True
    w.shutdown()
    issuer.printer.close()
    q.close()
    unregister_sim(name)


def test_check_in_by_id_number_on_the_keypad(qtbot, kiosk):
    w, q, clock, sim = kiosk
    b = q.book("C", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(7))
    clock.set(datetime(2026, 11, 24, 9, 10))
    qtbot.keyClicks(w, valid_id(7))  # what an ID card reader in keyboard mode types, too
    qtbot.keyClick(w, Qt.Key_Return)
    qtbot.waitUntil(lambda: w.flow.screen == F.DONE, timeout=15000)
    t = q.ticket_by_number("C001")
    assert t.kind == "appointment" and t.appointment == b.code
    assert sim.wait_for_jobs(1)
    with sqlite3.connect(q.path) as c:
        assert valid_id(7) not in repr(c.execute("SELECT * FROM events").fetchall())


def test_unknown_id_number_is_not_shown_back(qtbot, kiosk):
    w, q, clock, sim = kiosk
    qtbot.keyClicks(w, valid_id(8))
    qtbot.keyClick(w, Qt.Key_Return)
    qtbot.waitUntil(lambda: w.flow.screen == F.MESSAGE, timeout=15000)
    from PySide6.QtWidgets import QLabel
    shown = " ".join(lbl.text() for lbl in w.message.findChildren(QLabel))
    assert "未找到" in shown or "No appointment" in shown, shown
    assert valid_id(8) not in shown and valid_id(8)[-6:] not in shown


@pytest.mark.parametrize("what", ["cancelled", "expired"])
def test_cancelled_or_expired_booking_is_said_in_the_halls_words(qtbot, tmp_path, what):
    name = f"kb-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(name=name)
    register_sim(name, sim)
    base = booking_hall(tmp_path, late="expire")[1]
    cfg = base.model_copy(update={"printer": base.printer.model_copy(update={"url": f"sim://{name}"})})
    clock = FixedClock(datetime(2026, 11, 23, 10, 0))
    q = HallQueue(tmp_path / "hall.sqlite", cfg, clock)
    b = q.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(7))
    if what == "cancelled":
        q.cancel_booking(b.code)
        clock.set(datetime(2026, 11, 24, 9, 10))
    else:
        clock.set(datetime(2026, 11, 24, 10, 0))
    issuer = TicketIssuer(q, cfg)
    w = KioskWindow(q, cfg, issuer, kiosk_name="kiosk-1", start_timers=False)
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.keyClicks(w, b.code)
        qtbot.keyClick(w, Qt.Key_Return)
        qtbot.waitUntil(lambda: w.flow.screen == F.MESSAGE, timeout=15000)
        from PySide6.QtWidgets import QLabel
        shown = " ".join(lbl.text() for lbl in w.message.findChildren(QLabel))
        assert ("已取消" if what == "cancelled" else "预约已失效") in shown, shown
        assert "too early" not in shown.lower() and "预约时间前" not in shown
    finally:
        w.allow_close = True
        w.shutdown()
        issuer.printer.close()
        q.close()
        unregister_sim(name)
