"""The kiosk, the software caller (its login screen included) and the hall screen on a
RemoteHall, against a real hall server on 127.0.0.1 (pytest-qt, offscreen)."""
from __future__ import annotations

import socket
import time
from datetime import datetime

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from hall.errors import Forbidden, NotAuthorized  # noqa: E402
from hall.remote import RemoteHall  # noqa: E402
from kiosk import flow as F  # noqa: E402
from kiosk.app import KioskWindow  # noqa: E402
from kiosk.printing import TicketIssuer  # noqa: E402
from tests.remote_helpers import START, LiveHall, live, sim_printer  # noqa: E402,F401 - fixtures

WAIT_MS = 15000


@pytest.fixture
def printer(sim_printer):
    return sim_printer


@pytest.fixture
def make_kiosk(qtbot, printer):
    made = []

    def make(hall):
        cfg = hall.config.model_copy(update={"printer": hall.config.printer.model_copy(
            update={"url": f"sim://{printer[0]}", "timeout_s": 2.0})})
        issuer = TicketIssuer(hall, cfg)
        w = KioskWindow(hall, cfg, issuer, kiosk_name="kiosk-lan", start_timers=False)
        qtbot.addWidget(w)
        w.resize(1080, 1920)
        w.show()
        made.append((w, issuer))
        return w

    yield make
    for w, issuer in made:
        w.allow_close = True
        w.shutdown()
        issuer.printer.close()


def tap(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.LeftButton)


def test_kiosk_issues_on_the_server_and_prints_here(qtbot, live, make_kiosk, printer):
    w = make_kiosk(live.remote("kiosk"))
    assert w.snapshot.ok and w.snapshot.services["A"].waiting == 0
    live.queue.issue("A")  # another kiosk
    w.refresh()
    assert w.snapshot.services["A"].waiting == 1  # the home figures come from GET /hall
    tap(qtbot, w.home.tile("A"))
    qtbot.waitUntil(lambda: w.flow.screen == F.DONE, timeout=WAIT_MS)
    assert w.done.number.text() == "A002"
    assert w.done.ahead.text() == "前面还有 1 人"
    t = live.queue.ticket_by_number("A002")
    assert (t.status, t.kind) == ("waiting", "normal")
    assert printer[1].wait_for_jobs(1) and b"A002" in printer[1].jobs[0]


def test_kiosk_print_failure_voids_the_ticket_on_the_server(qtbot, live, make_kiosk, printer):
    w = make_kiosk(live.remote("kiosk"))
    printer[1].fail_during_next_job(after_bytes=40)
    tap(qtbot, w.home.tile("E"))
    qtbot.waitUntil(lambda: w.flow.screen == F.MESSAGE, timeout=WAIT_MS)
    assert w.message.text.text() == "出票失败，请到服务台"
    t = live.queue.ticket_by_number("E001")
    assert (t.status, t.cancel_reason) == ("cancelled", "print_failed")
    kinds = [e.kind for e in live.queue.events_after(0)]
    assert "printer" in kinds  # the kiosk's printer notice reached the hall's log


def test_kiosk_check_in_over_the_server(qtbot, live, make_kiosk, printer):
    live.queue.add_appointment("YY2026001", "C", datetime(2026, 11, 23, 9, 15), "张三")
    w = make_kiosk(live.remote("kiosk"))
    qtbot.keyClicks(w, "YY2026001")
    qtbot.keyClick(w, Qt.Key_Return)
    qtbot.waitUntil(lambda: w.flow.screen == F.DONE, timeout=WAIT_MS)
    assert w.done.kind.text() == "预约号"
    assert live.queue.ticket_by_number("C001").appointment == "YY2026001"


def test_kiosk_says_when_the_server_does_not_answer(qtbot, live, make_kiosk, printer):
    hall = live.remote("kiosk", timeout_s=0.5)
    w = make_kiosk(hall)
    live.server.stop()
    t0 = time.monotonic()
    tap(qtbot, w.home.tile("A"))
    qtbot.waitUntil(lambda: w.flow.screen == F.MESSAGE, timeout=WAIT_MS)
    assert time.monotonic() - t0 < 3.0
    assert w.message.text.text() == "暂时无法取号：连接不上叫号服务器，请到服务台"
    assert f"连接不上叫号服务器 ({live.url})" in w.message.detail.text()
    assert not printer[1].jobs
    w.refresh()  # figures: the last ones, marked stale, without waiting again
    assert w.snapshot.ok is False


# -- the software caller ------------------------------------------------------------------
@pytest.fixture
def staff(live):
    live.access.add_staff("0517", "张三", "staff", "secret-pass-1")
    return "0517", "secret-pass-1"


def caller_window(qtbot, hall, window=3):
    from caller.login import CallerWindow
    w = CallerWindow(hall, window, refresh_ms=50)
    qtbot.addWidget(w)
    w.resize(1000, 640)
    w.show()
    return w


def login(qtbot, w, number, password):
    w.login.staff.setText(number)
    w.login.password.setText(password)
    tap(qtbot, w.login.button)


def test_caller_login_screen_then_the_panel_then_logout(qtbot, live, staff):
    hall = live.remote(role=None)  # a window PC with no token of its own: staff log in
    w = caller_window(qtbot, hall)
    assert w.currentWidget() is w.login
    login(qtbot, w, "0517", "wrong-password")
    assert w.currentWidget() is w.login
    assert w.login.error.text() and "Traceback" not in w.login.error.text()
    login(qtbot, w, "0517", "secret-pass-1")
    assert w.currentWidget() is w.panel
    assert live.queue.window_state(3).staff == "0517"  # the login logs the window in too
    live.queue.issue("A")
    tap(qtbot, w.panel.key_buttons["CALL"])
    assert live.queue.window_state(3).current.number == "A001"
    qtbot.waitUntil(lambda: w.panel.ticket.text() == "A001", timeout=WAIT_MS)
    token = hall._token
    live.queue.login(4, "0601")
    with pytest.raises(Forbidden):  # the session acts on its own window only
        hall.call_next(4)
    tap(qtbot, w.panel.key_buttons["LOGOUT"])
    assert w.currentWidget() is w.login
    assert live.queue.window_state(3).state == "closed"
    old = RemoteHall(live.url, token, live.queue.config)
    try:
        with pytest.raises(NotAuthorized):  # logout ended the session
            old.window_state(3)
    finally:
        old.close()


def test_caller_login_lock_out_is_said_with_its_time(qtbot, live, staff):
    hall = live.remote(role=None)
    w = caller_window(qtbot, hall)
    for _ in range(8):
        login(qtbot, w, "0517", "wrong-password")
        if "后再试" in w.login.error.text():
            break
    assert "后再试" in w.login.error.text()
    assert any(unit in w.login.error.text() for unit in ("秒", "分钟"))
    login(qtbot, w, "0517", "secret-pass-1")  # locked: even the right password waits
    assert w.currentWidget() is w.login


def test_caller_says_when_the_server_does_not_answer(qtbot, demo_config):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()
    hall = RemoteHall(url, None, demo_config, timeout_s=0.3)
    try:
        w = caller_window(qtbot, hall)
        login(qtbot, w, "0517", "secret-pass-1")
        assert w.login.error.text().startswith(f"连接不上叫号服务器 ({url})")
    finally:
        hall.close()


def test_caller_device_token_skips_the_login(qtbot, live):
    from caller.panel import CallerModel, CallerPanel
    hall = live.remote("caller", windows=(2,))
    live.queue.login(2, "0517")
    live.queue.issue("B")
    panel = CallerPanel(CallerModel(hall, 2), refresh_ms=50)
    qtbot.addWidget(panel)
    tap(qtbot, panel.key_buttons["CALL"])
    assert panel.ticket.text() == "B001"
    assert live.queue.window_state(2).current.number == "B001"


# -- the hall screen ------------------------------------------------------------------------
def test_hall_screen_follows_calls_made_anywhere(qtbot, live):
    from display.screen import HallScreen
    from display.screen_model import ScreenModel
    hall = live.remote("screen")
    model = ScreenModel(hall)
    screen = HallScreen(model)
    qtbot.addWidget(screen)
    screen.resize(1280, 720)
    screen.show()
    live.queue.issue("A")
    live.queue.login(1, "0517")
    live.queue.call_next(1)  # a keypad's call, on the controller

    def shown():
        screen.refresh()
        return model.highlight is not None and model.highlight.number == "A001"
    qtbot.waitUntil(shown, timeout=WAIT_MS)
    assert model.highlight.window == 1
    assert {w.number: w.current for w in model.state().windows}[1] == "A001"
    assert hall.link_trouble() is None
    live.server.stop()
    qtbot.waitUntil(lambda: hall.link_trouble() is not None, timeout=WAIT_MS)
    assert model.state().notice.startswith("连接中断，正在重连")


def test_polling_a_silent_server_never_stalls_the_gui(demo_config):
    from caller.panel import CallerModel
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()
    hall = RemoteHall(url, "t", demo_config, timeout_s=0.5)
    try:
        model = CallerModel(hall, 1)
        t0 = time.monotonic()
        assert model.changed() is True  # the first look waits once, at most the time-out
        assert time.monotonic() - t0 < 1.5
        for _ in range(20):  # then a 300 ms poll answers at once
            t0 = time.monotonic()
            model.changed()
            assert time.monotonic() - t0 < 0.05
        assert model.view().message.startswith(f"连接不上叫号服务器 ({url})")
    finally:
        hall.close()


def test_caller_pc_with_nothing_but_the_address(qtbot, live, staff):
    """No token, no hall file, no kept copy: the login comes first, then the server's
    hall configuration is read with the new session."""
    from caller.login import CallerWindow
    hall = RemoteHall(live.url, None, None)
    try:
        with pytest.raises(NotAuthorized):
            hall.fetch_config()  # before the login the server shows nothing
        w = CallerWindow(hall, 3, refresh_ms=50, after_login=hall.fetch_config)
        qtbot.addWidget(w)
        w.show()
        login(qtbot, w, "0517", "secret-pass-1")
        assert w.currentWidget() is w.panel
        assert [s.code for s in hall.config.services] == [s.code for s in live.queue.config.services]
        assert w.panel.title.text().startswith("3号窗口")
    finally:
        hall.close()


def test_a_session_ended_on_the_server_brings_the_login_back(qtbot, live, staff):
    hall = live.remote(role=None)
    w = caller_window(qtbot, hall)
    login(qtbot, w, "0517", "secret-pass-1")
    assert w.currentWidget() is w.panel
    live.access.disable_staff("0517")  # e.g. the person left: their open logins end at once
    live.queue.issue("A")
    tap(qtbot, w.panel.key_buttons["CALL"])
    assert w.currentWidget() is w.login
    assert w.login.error.text().startswith("登录已失效，请重新登录")
    assert live.queue.window_state(3).current is None  # nothing was called


def test_hall_screen_started_before_its_server(qtbot, live):
    from display.screen_model import ScreenModel
    hall = live.remote("screen", timeout_s=0.5)
    port = live.server.port
    live.server.stop()
    model = ScreenModel(hall)  # starts; says why it shows nothing
    qtbot.waitUntil(lambda: hall.link_trouble() is not None, timeout=WAIT_MS)
    assert model.state().notice.startswith("连接中断，正在重连")
    live.queue.issue("A")
    live.queue.login(1, "0517")
    live.queue.call_next(1)
    live.restart()
    assert live.server.port == port

    def shown():
        model.update()
        return model.highlight is not None and model.highlight.number == "A001"
    qtbot.waitUntil(shown, timeout=WAIT_MS)


def test_a_revoked_screen_says_so(qtbot, live):
    from display.screen_model import ScreenModel
    token = live.access.add_device("tv-1", "screen")
    hall = RemoteHall(live.url, token, live.queue.config)
    try:
        model = ScreenModel(hall)
        qtbot.waitUntil(lambda: hall._events is not None and hall._events.connected, timeout=WAIT_MS)
        live.access.revoke_device("tv-1")  # an open stream of it is closed at once
        qtbot.waitUntil(lambda: hall.link_trouble() is not None, timeout=WAIT_MS)
        assert model.state().notice.startswith("叫号服务器不再接受本机的凭证")
    finally:
        hall.close()
