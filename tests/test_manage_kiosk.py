"""暂停取号 seen on the kiosk: a manager stops issuing a service with a reason; the kiosk's
tile goes off and says the reason, a tap explains it, nothing is printed; restarted, it
issues again."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from hall.manage_ops import ManagerActions  # noqa: E402
from kiosk import flow as F  # noqa: E402
from tests.test_kiosk_ui import make_kiosk, printer, tap, tickets  # noqa: E402,F401


def test_a_stopped_service_shows_the_managers_reason(qtbot, make_kiosk, printer):
    w, q = make_kiosk()
    acts = ManagerActions(q, "0900", "王经理")
    acts.stop_issuing("B", "系统升级，请明天再来")
    w.refresh()
    tile = w.home.tile("B")
    assert tile.property("available") == "false"
    assert tile.figures.text() == "今日暂停取号：系统升级，请明天再来"
    assert w.home.tile("A").property("available") == "true"
    tap(qtbot, tile)
    assert w.flow.screen == F.MESSAGE
    assert "系统升级，请明天再来" in w.message.detail.text()
    assert tickets(q) == [] and printer[1].jobs == []
    tap(qtbot, w.message.ok)
    acts.restart_issuing("B", "升级完成")
    w.refresh()
    assert w.home.tile("B").property("available") == "true"
