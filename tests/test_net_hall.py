"""The hall over its network, end to end: `jiaohao serve` (a real process on 127.0.0.1)
with the hall API, its window bus, voice module and LED board simulated byte for byte;
a kiosk, two software callers and the hall screen connected over HTTP.

The clients are the real Qt widgets (offscreen, pytest-qt) in the test process, each on
its own :class:`hall.remote.RemoteHall` with its own device token, as each would run on
its own PC; the kiosk prints to its own printer simulator. A ticket taken at the kiosk
is called from a software caller, spoken by the controller's voice module, shown on the
hall screen, on the LED board, and on the keypad and window screen of that window."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from drivers.windowbus.codec import EventCode  # noqa: E402
from kiosk import flow as F  # noqa: E402
from tests.fault_proxy import FaultProxy  # noqa: E402
from tests.net_clients import (WAIT_MS, close_kiosk, make_kiosk, make_panel, make_screen,  # noqa: E402,F401
                               printer, remote)
from tests.net_helpers import hall, API, db_event_ids, wait_until  # noqa: E402

pytestmark = pytest.mark.slow


def test_a_ticket_from_the_remote_kiosk_is_called_spoken_and_shown_everywhere(hall, remote, printer, qtbot):
    # (qtbot last: its widgets close before the RemoteHalls they poll)
    devices = hall.devices
    kiosk, issuer = make_kiosk(qtbot, remote, printer)
    panels = {n: make_panel(qtbot, remote, n) for n in (1, 2)}
    screen = make_screen(qtbot, remote)
    try:
        for n, panel in panels.items():
            assert panel.press(EventCode.LOGIN, 100 + n).ok, panel.message.text()
            assert panel.state.text() == "空闲"

        # the kiosk: one tap, a ticket, printed here
        qtbot.mouseClick(kiosk.home.tile("A"), Qt.LeftButton)
        qtbot.waitUntil(lambda: kiosk.flow.screen == F.DONE, timeout=WAIT_MS)
        assert kiosk.done.number.text() == "A001"
        assert printer[1].wait_for_jobs(1) and b"A001" in printer[1].jobs[0]
        for panel in panels.values():  # both callers' windows serve A: both see one waiting
            qtbot.waitUntil(lambda panel=panel: panel.waiting.text() == "等候 1 人", timeout=WAIT_MS)
        assert wait_until(lambda: devices.keypad(1).display.waiting == 1, 10)

        # window 1 calls it from its software caller
        assert panels[1].press(EventCode.CALL).ok
        assert panels[1].ticket.text() == "A001"
        assert wait_until(lambda: "A001" in devices.spoken_numbers(), 10), devices.voice.spoken
        assert devices.voice.spoken[-1] == "请A零零一号到一号窗口办理"
        qtbot.waitUntil(lambda: screen.state.highlight is not None
                        and (screen.state.highlight.number, screen.state.highlight.window) == ("A001", 1),
                        timeout=WAIT_MS)
        assert any(w.number == 1 and w.current == "A001" for w in screen.state.windows)
        assert devices.board.wait_for(lambda b: any("A001" in line for line in b.lines), 10), devices.board.lines
        assert wait_until(lambda: devices.keypad(1).display.ticket == "A001", 10), devices.keypad(1).display
        assert wait_until(lambda: devices.window_screen(1).lines[0] == "请A001号到1号窗口", 10)
        qtbot.waitUntil(lambda: panels[2].waiting.text() == "等候 0 人", timeout=WAIT_MS)

        # a second citizen, called at window 2
        qtbot.mouseClick(kiosk.done.ok, Qt.LeftButton)
        qtbot.mouseClick(kiosk.home.tile("A"), Qt.LeftButton)
        qtbot.waitUntil(lambda: kiosk.flow.screen == F.DONE and kiosk.done.number.text() == "A002",
                        timeout=WAIT_MS)
        qtbot.waitUntil(lambda: panels[2].waiting.text() == "等候 1 人", timeout=WAIT_MS)
        assert panels[2].press(EventCode.CALL).ok
        assert panels[2].ticket.text() == "A002"
        assert wait_until(lambda: "A002" in devices.spoken_numbers(), 10), devices.voice.spoken
        qtbot.waitUntil(lambda: [(c.number, c.window) for c in screen.state.recent][:2] == [("A002", 2), ("A001", 1)],
                        timeout=WAIT_MS)
        assert wait_until(lambda: devices.keypad(2).display.ticket == "A002", 10)
        assert devices.keypad(1).display.ticket == "A001"  # window 1 still serves its citizen
        assert devices.board.wait_for(lambda b: any("A002" in line for line in b.lines), 10)

        # nothing twice: one ticket per tap, one call and one announcement per key
        assert len(db_event_ids(hall.db, ("issued",))) == 2
        assert len(db_event_ids(hall.db, ("called",))) == 2
        assert devices.spoken_numbers().count("A001") == 1 and devices.spoken_numbers().count("A002") == 1
        assert len(printer[1].jobs) == 2
    finally:
        close_kiosk(kiosk, issuer)


def test_answers_lost_on_the_way_to_the_kiosk_and_the_caller_act_once(hall, remote, printer, qtbot):
    """A tap and a key press whose answers the network loses (after the server acted):
    the widgets' RemoteHalls retry with the same key; one ticket printed, one call said."""
    proxy = FaultProxy(hall.port, lifetime_s=60)
    proxy.start()
    kiosk, issuer = make_kiosk(qtbot, remote, printer, proxy.url)
    panel = make_panel(qtbot, remote, 1, proxy.url)
    try:
        assert panel.press(EventCode.LOGIN, 101).ok
        proxy.drop_responses(2, match=lambda m, p: m == "POST" and p == f"{API}/tickets")
        qtbot.mouseClick(kiosk.home.tile("A"), Qt.LeftButton)
        qtbot.waitUntil(lambda: kiosk.flow.screen == F.DONE, timeout=WAIT_MS)
        assert kiosk.done.number.text() == "A001"
        assert printer[1].wait_for_jobs(1)
        assert len(proxy.stats.dropped) == 2 and len(db_event_ids(hall.db, ("issued",))) == 1

        qtbot.waitUntil(lambda: panel.waiting.text() == "等候 1 人", timeout=WAIT_MS)
        proxy.drop_responses(1, match=lambda m, p: m == "POST" and p == f"{API}/windows/1/call")
        assert panel.press(EventCode.CALL).ok
        assert panel.ticket.text() == "A001"
        assert len(proxy.stats.dropped) == 3 and len(db_event_ids(hall.db, ("called",))) == 1
        assert wait_until(lambda: "A001" in hall.devices.spoken_numbers(), 10)
        assert wait_until(lambda: hall.devices.keypad(1).display.ticket == "A001", 10)
        assert hall.devices.spoken_numbers() == ["A001"] and len(printer[1].jobs) == 1
    finally:
        close_kiosk(kiosk, issuer)
        proxy.stop()
