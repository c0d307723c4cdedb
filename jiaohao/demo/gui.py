"""The demo's windows: the kiosk, the hall screen, software callers and the demo's
control window (figures and the simulated devices made visible), laid out on the
screen by :mod:`.arrange` — tiled, or one window with tabs. The simulated day runs in
a worker thread; the windows follow the queue as they do in a real hall.
"""
from __future__ import annotations

import logging
import threading
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .arrange import Arranger, save_desktop, show_single, show_tiled
from .devices import optional
from .panel import DevicesPanel
from .watch import DeviceWatch

log = logging.getLogger(__name__)


def control_font_px(avail_height: int, mode: str = "tiled") -> int:
    """The control window's text size, so that it is never the smallest text on screen.

    Tiled: 1/72 of the screen's height, 14-30 px; the kiosk's small print beside it is
    28 px × its scale (11 px in a 432 px column on 1920×1080, 15 px on 2560×1440).
    One window: the hall screen's tab is beside it, whose smallest text is 36 px × its
    unit (about 17 px on 1366×768), so 1/40 of the height, at least 18 px."""
    if mode == "single":
        return max(18, min(30, round(avail_height / 40)))
    return max(14, min(30, round(avail_height / 72)))


class DemoControl(QWidget):
    """The demo's own window: the simulated clock and figures, the devices made visible
    (:class:`.panel.DevicesPanel`), the missing parts, a language switch, Quit."""

    def __init__(self, hall, on_quit, font_px: int = 16, on_arrange=None):
        super().__init__()
        self.hall = hall
        self.on_quit = on_quit
        self.english = False
        self.setObjectName("control")
        self.setWindowTitle("叫号演示 jiaohao demo")
        lay = QVBoxLayout(self)
        self.title = QLabel(objectName="title", wordWrap=True)
        self.status = QLabel("…", objectName="status", wordWrap=True)
        self.devices = DevicesPanel(font_px)
        self.watch = DeviceWatch(hall)
        self.notes = QLabel(objectName="notes", wordWrap=True)
        self.notes.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.api = QLabel(objectName="api", wordWrap=True, openExternalLinks=True)
        self.api.setVisible(bool(getattr(hall, "api_url", None)))
        self.language = QPushButton()
        self.language.clicked.connect(lambda: self.set_english(not self.english))
        self.arrange = QPushButton()
        self.arrange.setVisible(on_arrange is not None)
        if on_arrange is not None:
            self.arrange.clicked.connect(on_arrange)
        self.quit_button = QPushButton()
        self.quit_button.clicked.connect(on_quit)
        buttons = QHBoxLayout()
        for b in (self.language, self.arrange):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        lay.addWidget(self.title)
        lay.addWidget(self.status)
        lay.addWidget(self.devices, 1)
        lay.addWidget(self.api)
        lay.addWidget(self.notes)
        lay.addLayout(buttons)
        self.set_font_px(font_px)
        self.set_english(False)
        self.resize(680, 600)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(500)

    def set_font_px(self, px: int) -> None:
        self.font_px = px
        self.devices.set_font_px(px)
        self.setStyleSheet(f"QWidget#control QLabel, QWidget#control QPushButton {{ font-size: {px}px; }}"
                           f" QLabel#title {{ font-size: {round(px * 1.25)}px; font-weight: bold; }}"
                           f" QLabel#status {{ font-size: {round(px * 1.1)}px; }}"
                           f" QLabel#notes {{ color: #7A4B00; }}")

    def set_english(self, english: bool) -> None:
        self.english = english
        h = self.hall
        name = (h.config.hall.name_en or h.config.hall.name) if english else h.config.hall.name
        self.title.setText(f"{name} — {'demo' if english else '演示'} ×{h.options.speed:g}")
        self.language.setText("中文" if english else "English")
        self.arrange.setText("Arrange windows" if english else "重新排列窗口")
        self.quit_button.setText("End the demo" if english else "结束演示")
        self.notes.setText("<br>".join(f"• {escape(n)}" for n in h.notes))
        self.notes.setVisible(bool(h.notes))  # nothing said: every part is running
        url = getattr(h, "api_url", None)
        if url:
            lines = [f"{'Hall API (this computer)' if english else '大厅接口 Hall API'}: "
                     f"<a href='{url}/api/v1/docs'>{url}/api/v1</a>"]
            pages = " · ".join(f"<a href='{link}'>{en if english else zh}</a>" for zh, en, link in h.pages()[:-1])
            login = getattr(h, "manager_login", None)
            if login:  # one more line only: the control window must still fit beside the others
                pages += f" ({login[0]} / {login[1]})"
            self.api.setText("<br>".join([*lines, pages]))
        self.devices.set_english(english)
        self.refresh()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        """Closing the demo window ends the demo (the other windows close with it)."""
        super().closeEvent(event)
        self.on_quit()

    def refresh(self) -> None:
        try:
            s = self.hall.status()
            view = self.watch.poll()
        except Exception as e:  # noqa: BLE001 - the database may be busy for a moment
            log.debug("status: %s", e)
            return
        if self.english:
            done = "  — day over" if self.hall.finished else ""
            self.status.setText(
                f"{s.clock}{done} · issued {s.issued} · waiting {s.waiting} · served {s.served}"
                f" · calls {s.calls} · windows serving {s.serving}, paused {s.paused}")
        else:
            done = "  — 演示日结束" if self.hall.finished else ""
            self.status.setText(
                f"{s.clock}{done} · 已取号 {s.issued} · 等候 {s.waiting} · 已办结 {s.served}"
                f" · 呼叫 {s.calls} · 窗口 办理中 {s.serving}，暂停 {s.paused}")
        self.devices.show_view(view)


def _kiosk(hall, notes: list[str]):
    app_mod = optional("kiosk.app")
    if app_mod is None:
        notes.append("取号机窗口：这个版本没有 (kiosk window: not in this build)")
        return None
    if hall.issuer is None:
        notes.append("取号机窗口：没有取号打印机，所以没有取号机 (kiosk window: no ticket printer, so no kiosk)")
        return None
    try:  # the 办事指南 beside the demo's hall file (config/halls/demo/guide)
        guide = hall.ctx.guide_source()
    except Exception as e:  # noqa: BLE001 - the demo runs without it
        notes.append(f"取号机的办事指南没有载入 (kiosk guide: not loaded) ({e})")
        guide = None
    w = app_mod.KioskWindow(hall.queue, hall.config, hall.issuer, kiosk_name="kiosk2", kiosk_mode=False, guide=guide)
    w.resize(540, 960)
    w.setWindowTitle(f"取号机 Kiosk — {hall.config.hall.name}")
    return w


def _screen(hall, notes: list[str]):
    screen_mod, model_mod = optional("display.screen"), optional("display.screen_model")
    if screen_mod is None or model_mod is None:
        notes.append("大厅屏：这个版本没有 (hall screen: not in this build)")
        return None
    w = screen_mod.HallScreen(model_mod.ScreenModel(hall.queue))
    w.resize(1280, 720)
    return w


def _callers(hall, windows: list[int], notes: list[str]) -> list:
    panel_mod = optional("caller.panel")
    if panel_mod is None:
        notes.append("软件呼叫器：这个版本没有 (software caller: not in this build)")
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
            notes.append(f"{n}号窗口的软件呼叫器 (software caller for window {n}): {e}")
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


def run_gui(hall, callers: list[int], screenshots: Path | None = None, quit_when_over: bool = False,
            layout: str = "auto") -> int:
    """Show every window and run the day until it is over or the demo window is closed.

    ``layout``: auto, tiled or single (:mod:`.layout`). ``screenshots``: a folder; when
    the day is over, each window is saved there as ``demo-NAME.png``, the whole desktop
    as ``demo-desktop.png`` (with ``demo-desktop.json``, where each window was) and the
    demo ends (for the documentation)."""
    from kiosk.run import application  # the kiosk's QApplication with the CJK font
    app = application()
    stop = threading.Event()
    windows = build_windows(hall, callers)
    ordered = {n: windows[n] for n in ("screen", "kiosk") if n in windows}
    ordered.update({n: w for n, w in windows.items() if n.startswith("caller-")})
    arranger = Arranger(ordered, layout)
    avail = arranger.available()
    control = DemoControl(hall, app.quit, font_px=control_font_px(avail.h), on_arrange=arranger.rearrange)
    ordered["control"] = control
    p = arranger.compute()
    if p.mode == "single":
        control.set_font_px(control_font_px(avail.h, "single"))
    log.info("demo layout: %s on %dx%d %s; minimum sizes %s", p.mode, avail.w, avail.h, p.reason, arranger.minimum)
    if p.mode == "single":
        control.arrange.hide()
        show_single(arranger, control, app.quit, f"叫号演示 jiaohao demo — {hall.config.hall.name}")
    else:
        show_tiled(arranger)
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
                app.processEvents()
                save_screenshots(ordered, screenshots)
                save_desktop(screenshots, "desktop", arranger)
            app.quit()

    watch.timeout.connect(check_over)
    watch.start(300)
    app.aboutToQuit.connect(stop.set)
    try:
        return app.exec()
    finally:
        stop.set()
        worker.join(timeout=10)
        for w in ordered.values():
            if hasattr(w, "allow_close"):
                w.allow_close = True
            if hasattr(w, "shutdown"):
                try:
                    w.shutdown()
                except Exception:  # noqa: BLE001
                    log.exception("closing a demo window")
            w.close()
        if arranger.hall_window is not None:
            arranger.hall_window.on_quit = lambda: None
            arranger.hall_window.close()


def save_screenshots(windows: dict[str, QWidget], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, w in windows.items():
        path = folder / f"demo-{name}.png"
        if w.grab().save(str(path)):
            saved.append(path)
    return saved
