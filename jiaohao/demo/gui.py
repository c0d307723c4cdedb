"""The demo's windows: the kiosk, the hall screen, software callers, and a small demo
control window, each a separate top-level window of one Qt application. The
simulated day runs in a worker thread; the windows follow the queue as they do in a
real hall.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from .devices import optional

log = logging.getLogger(__name__)


class DemoControl(QWidget):
    """The demo's own small window: the simulated clock and figures, the missing parts, Quit."""

    def __init__(self, hall, on_quit):
        super().__init__()
        self.hall = hall
        self.on_quit = on_quit
        self.setWindowTitle("叫号演示 jiaohao demo")
        lay = QVBoxLayout(self)
        self.title = QLabel(f"<b>{hall.config.hall.name}</b> — 演示 demo, ×{hall.options.speed:g}")
        self.status = QLabel("…")
        self.status.setWordWrap(True)
        f = QFont(self.status.font())
        f.setPointSize(f.pointSize() + 2)
        self.status.setFont(f)
        self.out = QLabel(f"打印的票 tickets: {hall.devices.tickets_dir}<br>语音 voice: {hall.devices.voice_dir}")
        self.out.setWordWrap(True)
        self.notes = QLabel("<br>".join(f"• {n}" for n in hall.notes) or "全部部件运行中 every part is running")
        self.notes.setWordWrap(True)
        quit_button = QPushButton("结束演示 End the demo")
        quit_button.clicked.connect(on_quit)
        for w in (self.title, self.status, self.out, self.notes, quit_button):
            lay.addWidget(w)
        self.resize(680, 260)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(500)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        """Closing the demo window ends the demo (the other windows close with it)."""
        super().closeEvent(event)
        self.on_quit()

    def refresh(self) -> None:
        try:
            s = self.hall.status()
        except Exception as e:  # noqa: BLE001 - the database may be busy for a moment
            log.debug("status: %s", e)
            return
        done = "  — 演示日结束 day over" if self.hall.finished else ""
        self.status.setText(
            f"{s.clock}{done}<br>已取号 issued {s.issued} · 等候 waiting {s.waiting} · 已办结 served {s.served}"
            f" · 呼叫 calls {s.calls}<br>窗口 windows: serving {s.serving}, paused {s.paused}")


def _kiosk(hall, notes: list[str]):
    app_mod = optional("kiosk.app")
    if app_mod is None:
        notes.append("kiosk window: not in this build")
        return None
    if hall.issuer is None:
        notes.append("kiosk window: no ticket printer, so no kiosk")
        return None
    w = app_mod.KioskWindow(hall.queue, hall.config, hall.issuer, kiosk_name="kiosk2", kiosk_mode=False)
    w.resize(540, 960)
    w.setWindowTitle(f"取号机 Kiosk — {hall.config.hall.name}")
    return w


def _screen(hall, notes: list[str]):
    screen_mod, model_mod = optional("display.screen"), optional("display.screen_model")
    if screen_mod is None or model_mod is None:
        notes.append("hall screen: not in this build")
        return None
    w = screen_mod.HallScreen(model_mod.ScreenModel(hall.queue))
    w.resize(1280, 720)
    return w


def _callers(hall, windows: list[int], notes: list[str]) -> list:
    panel_mod = optional("caller.panel")
    if panel_mod is None:
        notes.append("software caller: not in this build")
        return []
    cls, model = getattr(panel_mod, "CallerPanel", None), getattr(panel_mod, "CallerModel", None)
    if cls is None or model is None:
        notes.append("software caller: caller.panel has no CallerPanel/CallerModel")
        return []
    out = []
    for n in windows:
        try:
            w = cls(model(hall.queue, n))
            w.resize(800, 520)
        except Exception as e:  # noqa: BLE001 - a caller that cannot open must not stop the demo
            log.exception("caller panel for window %d", n)
            notes.append(f"software caller for window {n}: {e}")
            continue
        w.setWindowTitle(f"{n}号窗口 软件呼叫器 Caller — window {n}")
        out.append(w)
    return out


def build_windows(hall, callers: list[int]) -> dict[str, QWidget]:
    """Every demo window (not shown yet), by name; what is missing is added to ``hall.notes``."""
    notes: list[str] = []
    windows: dict[str, QWidget] = {}
    kiosk = _kiosk(hall, notes)
    if kiosk is not None:
        windows["kiosk"] = kiosk
    screen = _screen(hall, notes)
    if screen is not None:
        windows["screen"] = screen
    for w, n in zip(_callers(hall, callers, notes), callers):
        windows[f"caller-{n}"] = w
    hall.notes.extend(notes)
    return windows


def run_gui(hall, callers: list[int], screenshots: Path | None = None, quit_when_over: bool = False) -> int:
    """Show every window and run the day until it is over or the demo window is closed.

    ``screenshots``: a folder; when the day is over, each window is saved there as
    ``demo-NAME.png`` and the demo ends (for the documentation)."""
    from kiosk.run import application  # the kiosk's QApplication with the CJK font
    app = application()
    stop = threading.Event()
    windows = build_windows(hall, callers)
    control = DemoControl(hall, app.quit)
    windows["control"] = control
    x = 20
    for name in ("screen", "kiosk", *[n for n in windows if n.startswith("caller-")], "control"):
        w = windows.get(name)
        if w is None:
            continue
        w.move(x, 20)
        w.show()
        x += 60
    hall.finished = False

    def simulate():
        try:
            hall.run(stop)
        except Exception:  # noqa: BLE001 - shown in the log, the windows stay up
            log.exception("demo simulation")
        hall.finished = True

    worker = threading.Thread(target=simulate, name="demo-day", daemon=True)
    worker.start()
    watch = QTimer()

    def check_over():
        if hall.finished and (screenshots is not None or quit_when_over):
            watch.stop()
            control.refresh()
            if screenshots is not None:
                save_screenshots(windows, screenshots)
            app.quit()

    watch.timeout.connect(check_over)
    watch.start(300)
    app.aboutToQuit.connect(stop.set)
    try:
        return app.exec()
    finally:
        stop.set()
        worker.join(timeout=10)
        for w in windows.values():
            if hasattr(w, "allow_close"):
                w.allow_close = True
            if hasattr(w, "shutdown"):
                try:
                    w.shutdown()
                except Exception:  # noqa: BLE001
                    log.exception("closing a demo window")
            w.close()


def save_screenshots(windows: dict[str, QWidget], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, w in windows.items():
        path = folder / f"demo-{name}.png"
        if w.grab().save(str(path)):
            saved.append(path)
    return saved
