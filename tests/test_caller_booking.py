"""Booking the citizen's next visit from the software caller (Qt offscreen)."""
from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from caller.panel import CallerModel, CallerPanel
from hall import FixedClock, HallQueue
from tests.booking_helpers import booking_hall, valid_id


@pytest.fixture
def q(tmp_path):
    cfg = booking_hall(tmp_path, capacity=1)[1]
    queue = HallQueue(tmp_path / "hall.sqlite", cfg, FixedClock(datetime(2026, 11, 23, 10, 0)))
    yield queue
    queue.close()


def test_staff_books_the_next_visit_from_the_panel(qtbot, q, tmp_path):
    q.login(1, "0101")  # window 1 serves A (slots) in the demo hall
    q.issue("A")
    q.call_next(1)
    panel = CallerPanel(CallerModel(q, 1), refresh_ms=50)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.book_button is not None
    dialog = panel.open_booking(modal=False)
    qtbot.addWidget(dialog)
    assert dialog.service_box.currentData() == "A" and dialog.day_box.count() == 5
    assert dialog.slot_list.currentItem().text().startswith("09:00-09:30")
    dialog.name.setText("张三")
    dialog.mobile.setText("13800138000")
    dialog.id_number.setText(valid_id(1))
    qtbot.mouseClick(dialog.book_button, Qt.LeftButton)
    b = dialog.booked
    assert b is not None and b.channel == "staff" and b.code in dialog.code.text()
    assert dialog.id_number.text() == ""  # not left on screen
    assert "已满" in dialog.slot_list.item(0).text()  # capacity 1: taken
    dialog.grab().save(str(tmp_path / "caller-book.png"))
    # a second booking for the same person that day is refused in words
    dialog.id_number.setText(valid_id(1))
    dialog.slot_list.setCurrentRow(1)
    qtbot.mouseClick(dialog.book_button, Qt.LeftButton)
    assert "每天只能预约一次" in dialog.error.text()
    panel.timer.stop()


def test_no_booking_button_without_slots(qtbot, demo_config, tmp_path):
    from config.schema import Booking
    cfg = demo_config.model_copy(update={"booking": Booking()})  # (the demo hall has slots)
    queue = HallQueue(tmp_path / "plain.sqlite", cfg, FixedClock(datetime(2026, 11, 23, 10, 0)))
    panel = CallerPanel(CallerModel(queue, 5), refresh_ms=50)
    qtbot.addWidget(panel)
    try:
        assert panel.book_button is None
    finally:
        panel.timer.stop()
        queue.close()
