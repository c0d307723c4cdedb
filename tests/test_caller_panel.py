"""The software caller: the model without widgets, the panel driven with pytest-qt."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from caller.panel import CallerModel, CallerPanel
from drivers.windowbus import EventCode
from jiaohao.cli import main


def test_model_runs_keys_and_reads_the_window(queue):
    m = CallerModel(queue, 5)
    queue.issue("C")
    assert m.view().waiting == 1 and m.view().ticket == ""
    assert m.press("CALL").ok
    v = m.view()
    assert (v.ticket, v.state_zh, v.service_name, v.waiting) == ("C001", "办理中", "不动产登记", 0)
    assert m.press(EventCode.CALL).note == "无人等候"      # nobody else waits
    assert m.press(EventCode.PAUSE, 3).ok and m.view().state_zh == "暂停 会议"
    assert m.view().title.startswith("5号窗口")


@pytest.fixture
def panel(qtbot, queue):
    queue.login(5, "0501")
    for _ in range(3):
        queue.issue("C")
    p = CallerPanel(CallerModel(queue, 5), refresh_ms=50)
    qtbot.addWidget(p)
    p.show()
    yield p
    p.timer.stop()  # before the queue closes


def test_call_button_calls_and_shows_the_ticket(qtbot, panel, queue):
    assert panel.waiting.text() == "等候 3 人"
    assert not panel.key_buttons["FINISH"].isEnabled()
    with qtbot.waitSignal(panel.pressed) as sig:
        qtbot.mouseClick(panel.key_buttons["CALL"], Qt.LeftButton)
    assert sig.args == ["CALL", 0, True]
    assert panel.ticket.text() == "C001" and panel.waiting.text() == "等候 2 人"
    assert queue.window_state(5).current.number == "C001"
    assert panel.key_buttons["FINISH"].isEnabled()


def test_typed_number_goes_with_the_key(qtbot, panel, queue):
    for label in ("3",):
        qtbot.mouseClick(panel.digit_buttons[label], Qt.LeftButton)
    assert panel.entry == "3"
    qtbot.mouseClick(panel.key_buttons["CALL_TICKET"], Qt.LeftButton)
    assert panel.ticket.text() == "C003" and panel.entry == ""
    qtbot.keyClicks(panel, "4")
    qtbot.mouseClick(panel.key_buttons["TRANSFER"], Qt.LeftButton)
    assert queue.ticket_by_number("C003").target_window == 4
    assert panel.message.text() == "已转4号窗"


def test_pause_resume_and_refusal_notes(qtbot, panel, queue):
    panel.press(EventCode.PAUSE, 2)
    assert panel.state.text() == "暂停 午休"
    assert panel.key_buttons["RESUME"].isEnabled() and not panel.key_buttons["CALL"].isEnabled()
    assert panel.press(EventCode.CALL).note == "请先恢复"
    qtbot.mouseClick(panel.key_buttons["RESUME"], Qt.LeftButton)
    assert queue.window_state(5).state == "idle"
    assert len(panel.key_buttons["PAUSE"].menu().actions()) == 4  # 离岗 午休 会议 暂停服务


def test_tickets_issued_elsewhere_show_up(qtbot, panel, queue):
    queue.issue("C")
    qtbot.waitUntil(lambda: panel.waiting.text() == "等候 4 人", timeout=3000)


def test_caller_command_refuses_an_unknown_window(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("JIAOHAO_DB", str(tmp_path / "h.sqlite"))
    assert main(["caller", "--window", "99"]) == 2
    assert "no window 99" in capsys.readouterr().err


def test_the_panel_redraws_for_its_own_window_and_services_only(queue):
    m = CallerModel(queue, 5)  # window 5 serves C
    assert m.changed() is True  # the first look
    assert m.changed() is False
    queue.issue("A")
    queue.login(1, "0101")
    queue.call_next(1)
    assert m.changed() is False  # another window, other services: nothing here moved
    queue.issue("C")
    assert m.changed() is True and m.view().waiting == 1
    queue.issue("A")
    queue.call_next(1)
    assert m.changed() is False
    queue.transfer(1, to_window=5)
    assert m.changed() is True and m.view().waiting == 2  # a ticket sent to this window
