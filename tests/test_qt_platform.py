"""The Qt apps can open real X11 windows (kiosk and hall screen run on a desktop, not offscreen)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (scripts/setup.sh installs it)")
def test_qt_opens_an_x11_window_under_xvfb():
    code = ("import sys; from PySide6.QtWidgets import QApplication, QLabel; "
            "app = QApplication(sys.argv); w = QLabel('叫号'); w.show(); app.processEvents(); "
            "print(app.platformName())")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    p = subprocess.run(["xvfb-run", "-a", sys.executable, "-c", code], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.stdout.strip().splitlines()[-1:] == ["xcb"], p.stderr[-2000:]
