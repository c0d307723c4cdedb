"""The demo with windows (pytest-qt, offscreen): kiosk, hall screen and callers follow
the simulated day."""
from __future__ import annotations

import threading

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QTimer  # noqa: E402

from config import DEMO_HALL  # noqa: E402
from jiaohao.demo.gui import DemoControl, build_windows  # noqa: E402
from jiaohao.demo.runner import DemoHall, DemoOptions  # noqa: E402


@pytest.fixture
def hall(demo_config, tmp_path):
    h = DemoHall(demo_config, DEMO_HALL, DemoOptions(speed=120, minutes=12, out_dir=tmp_path / "out", seed=3))
    h.start()
    yield h
    h.stop()
    h.close()


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
        control.refresh()
        assert "issued" in control.status.text()
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
