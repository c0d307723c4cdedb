"""The demo with windows (pytest-qt, offscreen): kiosk, hall screen and callers follow
the simulated day."""
from __future__ import annotations

import threading

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

import jiaohao.demo.arrange as arrange_mod  # noqa: E402
from jiaohao.demo.arrange import SINGLE_TABS_SHARE, Arranger, StyleScale, minimum_size  # noqa: E402
from jiaohao.demo.gui import DemoControl, build_windows, control_font_px  # noqa: E402
from jiaohao.demo.layout import Frame, Rect, plan  # noqa: E402
from tests.demo_helpers import hall  # noqa: E402,F401 - fixture


def test_windows_follow_the_simulated_day(hall, qtbot):  # hall first: torn down after the widgets
    windows = build_windows(hall, [1, 12])
    for w in windows.values():
        qtbot.addWidget(w)
        w.show()
    control = DemoControl(hall, lambda: None)
    qtbot.addWidget(control)
    stop = threading.Event()
    worker = threading.Thread(target=hall.run, args=(stop,), daemon=True)
    worker.start()
    try:
        qtbot.waitUntil(lambda: hall.status().calls >= 3, timeout=60000)
        if "screen" in windows:
            screen = windows["screen"]
            qtbot.waitUntil(lambda: screen.state.highlight is not None or len(screen.state.recent) > 0,
                            timeout=10000)
        qtbot.waitUntil(lambda: control.devices.ticket.path is not None, timeout=20000)
        control.refresh()
        assert "已取号" in control.status.text()
        assert control.devices.windows.rowCount() == len([w for w in hall.config.windows if w.keypad])
        assert control.devices.log.toPlainText().count("\n") >= 3
        assert not control.devices.ticket.pixmap().isNull()
        control.set_english(True)
        assert "issued" in control.status.text() and "received" in control.devices.log.toPlainText()
        assert control.devices.windows.horizontalHeaderItem(1).text() == "Keypad shows"
    finally:
        stop.set()
        worker.join(timeout=20)
    for w in [*windows.values(), control]:  # stop their polling before the hall's database closes
        if hasattr(w, "allow_close"):
            w.allow_close = True
        if hasattr(w, "shutdown"):
            w.shutdown()
        for timer in w.findChildren(QTimer):
            timer.stop()
        w.close()
    missing = [n for n in hall.notes if "not in this build" in n]
    assert ("kiosk" in windows) or any("kiosk" in n for n in missing)
    assert ("screen" in windows) or any("hall screen" in n for n in missing)
    assert ("caller-12" in windows) or any("software caller" in n for n in missing)


def _stand_ins(qtbot) -> dict[str, QWidget]:
    """Plain widgets with the demo windows' minimum sizes (the layout only needs those)."""
    sizes = {"screen": (640, 360), "kiosk": (369, 770), "caller-1": (646, 563), "caller-12": (646, 563),
             "control": (330, 370)}
    out = {}
    for name, (w, h) in sizes.items():
        widget = QWidget()
        widget.setMinimumSize(w, h)
        qtbot.addWidget(widget)
        out[name] = widget
    return out


def test_a_window_the_user_moved_or_closed_stays_so(qtbot, monkeypatch):
    windows = _stand_ins(qtbot)
    arranger = Arranger(windows, area=Rect(0, 0, 1920, 1080))
    assert arranger.compute().mode == "tiled"
    arranger.apply()
    for w in windows.values():
        w.show()
    arranger.remember()
    placed = {n: w.geometry() for n, w in windows.items()}
    assert placed["kiosk"].x() > placed["screen"].right()
    windows["caller-1"].move(300, 200)      # the user moves a caller
    windows["caller-12"].close()            # and closes another
    moved = windows["caller-1"].geometry()
    assert arranger.untouched() == ["screen", "kiosk", "control"]
    # the window manager's frames become known: the one correction pass re-fits the
    # windows still where the demo put them, and only those
    monkeypatch.setattr(arrange_mod, "frame_of", lambda w: Frame(top=30, left=2, right=2, bottom=2))
    arranger.correct_for_frames()
    assert windows["caller-1"].geometry() == moved
    assert not windows["caller-12"].isVisible()
    assert windows["screen"].geometry().y() >= 30
    assert windows["kiosk"].geometry().height() == 1080 - 32
    arranger.correct_for_frames()           # nothing changed since: nothing moves
    assert windows["caller-1"].geometry() == moved
    arranger.rearrange()                    # on the user's request: the open windows laid out again
    assert windows["caller-1"].geometry() != moved
    assert not windows["caller-12"].isVisible()


def test_small_screens_get_one_window(qtbot):
    windows = _stand_ins(qtbot)
    arranger = Arranger(windows, area=Rect(0, 0, 1366, 768))
    assert arranger.compute().mode == "single"
    forced = Arranger(windows, mode="tiled", area=Rect(0, 0, 1366, 768)).compute()
    assert forced.mode == "tiled"


def test_the_control_text_grows_with_the_screen_and_is_not_the_smallest():
    from kiosk.style import STANDARD, scale_for
    tiled = {h: control_font_px(h) for h in (1080, 1440, 2160)}
    assert list(tiled.values()) == sorted(tiled.values()) and tiled[2160] <= 30
    plans = {1080: (1920, 1080), 1440: (2560, 1440), 2160: (3840, 2160)}
    for h, (sw, sh) in plans.items():  # the kiosk's small print in its tiled column is smaller
        p = plan(Rect(0, 0, sw, sh), ["caller-1", "caller-12"],
                 {"kiosk": (369, 770), "caller": (646, 563), "screen": (640, 360), "control": (330, 370)})
        k = p.frames["kiosk"]
        assert round(STANDARD.small * scale_for(k.w, k.h)) < tiled[h], h
    # one window on 1366x768: the hall screen's tab beside it, smallest text 36 units
    tab_w, tab_h = round(1366 * SINGLE_TABS_SHARE), 768 - 30
    unit = min(tab_h / 1080, tab_w / 1920 * 1.15)
    assert control_font_px(768, "single") > 36 * unit


def test_a_callers_fixed_pixel_style_grows_to_its_space(hall, qtbot):
    windows = build_windows(hall, [1])
    for w in windows.values():
        qtbot.addWidget(w)
    caller = windows.get("caller-1")
    if caller is None:
        pytest.skip("no software caller in this build")
    w0, h0 = minimum_size(caller)
    scale = StyleScale(caller)
    scale.apply(1.5)
    assert "font-size: 108px" in caller.styleSheet()  # the ticket number, 72 px at scale 1
    w1, h1 = minimum_size(caller)
    assert w0 < w1 <= 1.5 * w0 and h0 < h1 <= 1.5 * h0  # so a space 1.5 times its minimum holds it
    scale.apply(1.0)
    assert minimum_size(caller) == (w0, h0)
    for w in windows.values():
        if hasattr(w, "shutdown"):
            w.shutdown()
        for timer in w.findChildren(QTimer):
            timer.stop()
