"""Puts the demo's windows on the screen (Qt side of :mod:`.layout`).

Tiled: each window is placed once, when the demo starts; a window the user then moves,
resizes or closes stays so. The only later pass is a correction once the window
manager's frame (title bar, borders) is known, and it skips every window that is no
longer where the demo put it. *Arrange windows* in the control window lays the open
windows out again, on request. Single: one window, the hall screen, kiosk and callers
in tabs beside the control panel.
"""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from .layout import Frame, Plan, Rect, plan

log = logging.getLogger(__name__)

TAB_TITLES = {"screen": "大厅屏 Hall screen", "kiosk": "取号机 Kiosk"}


def _rect(q: QRect) -> Rect:
    return Rect(q.x(), q.y(), q.width(), q.height())


def minimum_size(w: QWidget) -> tuple[int, int]:
    """``w``'s minimum size at its current size: a hidden window is first told its size
    (as showing it would), since some lay themselves out by orientation (the kiosk)."""
    if not w.isVisible():
        QApplication.sendEvent(w, QResizeEvent(w.size(), w.size()))
    hint, fixed = w.minimumSizeHint(), w.minimumSize()
    return max(hint.width(), fixed.width(), 0), max(hint.height(), fixed.height(), 0)


def frame_of(w: QWidget) -> Frame:
    """The window manager's decoration around ``w`` (zero before it is mapped, or with no WM)."""
    f, g = w.frameGeometry(), w.geometry()
    return Frame(top=max(0, g.y() - f.y()), left=max(0, g.x() - f.x()),
                 right=max(0, f.right() - g.right()), bottom=max(0, f.bottom() - g.bottom()))


PX = re.compile(r"(\d+(?:\.\d+)?)px")
MAX_STYLE_SCALE = 2.0
SINGLE_TABS_SHARE = 0.58  # one window: the tabs' share of the width, the rest the control panel


class StyleScale:
    """Scales the pixel sizes in a widget's style sheets (its own and its children's), for
    windows that do not scale with their size themselves (the software caller draws in
    fixed pixels: on a 4K screen it would be a small panel in a large window)."""

    def __init__(self, root: QWidget):
        self.originals = [(w, w.styleSheet()) for w in [root, *root.findChildren(QWidget)] if w.styleSheet()]
        self.factor = 1.0

    def apply(self, factor: float) -> None:
        factor = max(1.0, min(MAX_STYLE_SCALE, factor))
        if abs(factor - self.factor) < 0.05:
            return
        self.factor = factor
        for w, css in self.originals:
            w.setStyleSheet(PX.sub(lambda m: f"{round(float(m.group(1)) * factor)}px", css))


class HallWindow(QWidget):
    """The one-window mode: the demo's windows as tabs, the control panel beside them."""

    def __init__(self, windows: dict[str, QWidget], control: QWidget, on_quit, title: str):
        super().__init__()
        self.on_quit = on_quit
        self.setWindowTitle(title)
        self.tabs = QTabWidget(objectName="tabs")
        for name, w in windows.items():
            area = QScrollArea()  # a widget's minimum size must not push the window off a small screen
            area.setWidgetResizable(True)
            area.setFrameShape(QScrollArea.NoFrame)
            area.setWidget(w)
            label = TAB_TITLES.get(name) or w.windowTitle().split(" — ")[0].split("Caller")[0].strip() or name
            self.tabs.addTab(area, label)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.tabs)
        split.addWidget(control)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.split = split
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().closeEvent(event)
        self.on_quit()


class Arranger:
    """Lays the demo's top-level windows out on the primary screen and remembers where."""

    def __init__(self, windows: dict[str, QWidget], mode: str = "auto", frame: Frame | None = None,
                 area: Rect | None = None):
        """``area``: where to lay out (default: the primary screen's available geometry)."""
        self.windows = windows
        self.area = area
        self.mode = mode
        self.frame = frame or Frame()
        self.placed: dict[str, Rect] = {}
        self.minimum: dict[str, tuple[int, int]] = {}
        self.scales: dict[str, StyleScale] = {}
        self.plan: Plan | None = None
        self.hall_window: HallWindow | None = None

    def available(self) -> Rect:
        if self.area is not None:
            return self.area
        return _rect(QApplication.primaryScreen().availableGeometry())

    def compute(self) -> Plan:
        callers = [n for n in self.windows if n.startswith("caller-")]
        for n in self.windows:  # a window's own minimum, before the demo scaled its style
            if n not in self.minimum:
                self.minimum[n] = minimum_size(self.windows[n])
        mins = {n: m for n, m in self.minimum.items() if not n.startswith("caller-")}
        if callers:
            sizes = [self.minimum[n] for n in callers]
            mins["caller"] = (max(s[0] for s in sizes), max(s[1] for s in sizes))
        self.plan = plan(self.available(), callers, mins, self.frame, self.mode,
                         has_kiosk="kiosk" in self.windows, has_screen="screen" in self.windows)
        return self.plan

    def apply(self, names=None) -> None:
        """Place ``names`` (default every window) where the plan says, client area inside the frame."""
        p = self.plan or self.compute()
        for name in names or list(self.windows):
            rect = p.frames.get(name)
            w = self.windows[name]
            if rect is None:
                continue
            c = self.frame.client(rect)
            if name.startswith("caller-"):  # grown to its space (its style is in fixed pixels)
                mw, mh = self.minimum[name]
                if mw and mh:
                    scale = self.scales.setdefault(name, StyleScale(w))
                    scale.apply(0.95 * min(c.w / mw, c.h / mh))
            w.setGeometry(c.x, c.y, c.w, c.h)
            self.placed[name] = _rect(w.geometry())

    def remember(self, names=None) -> None:
        """Take where the placed windows are now as where the demo put them (after showing:
        the platform or window manager may have nudged them)."""
        for name in names if names is not None else list(self.placed):
            self.placed[name] = _rect(self.windows[name].geometry())

    def untouched(self) -> list[str]:
        """The windows still where the demo put them (not moved, resized or closed by the user)."""
        return [n for n, r in self.placed.items()
                if self.windows[n].isVisible() and _rect(self.windows[n].geometry()) == r]

    def correct_for_frames(self) -> None:
        """Once the window manager has framed the windows, fit the frames on screen; windows
        the user has already moved are left where they are."""
        shown = [w for w in self.windows.values() if w.isVisible()]
        if not shown:
            return
        measured = frame_of(shown[-1])
        if measured == self.frame:
            return
        keep = self.untouched()
        self.frame = measured
        self.compute()
        if self.plan.mode == "tiled":
            self.apply(keep)
            QApplication.processEvents()
            self.remember(keep)

    def rearrange(self) -> None:
        """On the user's request: the open windows laid out again."""
        open_names = [n for n, w in self.windows.items() if w.isVisible()]
        self.compute()
        if self.plan.mode == "tiled":
            self.apply(open_names)
            for n in open_names:
                self.windows[n].raise_()
            QApplication.processEvents()
            self.remember(open_names)

    def report(self) -> dict:
        """Where every window is: for tests and the screenshot script."""
        screen = QApplication.primaryScreen()
        shown = {"hall": self.hall_window} if self.hall_window is not None else self.windows
        return {"screen": list(_rect(screen.geometry()).__dict__.values()),
                "available": list(self.available().__dict__.values()),
                "mode": self.plan.mode if self.plan else None,
                "reason": self.plan.reason if self.plan else "",
                "windows": {n: {"frame": list(_rect(w.frameGeometry()).__dict__.values()),
                                "geometry": list(_rect(w.geometry()).__dict__.values()),
                                "visible": w.isVisible(), "title": w.windowTitle()}
                            for n, w in shown.items()}}


def show_tiled(arranger: Arranger) -> None:
    arranger.apply()
    for w in arranger.windows.values():
        w.show()
    QApplication.processEvents()
    arranger.remember()
    QTimer.singleShot(600, arranger.correct_for_frames)


def show_single(arranger: Arranger, control: QWidget, on_quit, title: str) -> HallWindow:
    others = {n: w for n, w in arranger.windows.items() if n != "control"}
    hall = HallWindow(others, control, on_quit, title)
    arranger.hall_window = hall
    r = arranger.plan.frames["hall"]
    c = arranger.frame.client(r)
    hall.setGeometry(c.x, c.y, c.w, c.h)
    hall.split.setSizes([round(c.w * SINGLE_TABS_SHARE), c.w - round(c.w * SINGLE_TABS_SHARE)])
    hall.show()
    return hall


def save_desktop(folder: Path, name: str, arranger: Arranger) -> Path | None:
    """The whole desktop as ``folder/demo-NAME.png`` and where each window was, ``NAME.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    screen = QApplication.primaryScreen()
    path = folder / f"demo-{name}.png"
    ok = screen.grabWindow(0).save(str(path))
    (folder / f"demo-{name}.json").write_text(json.dumps(arranger.report(), ensure_ascii=False, indent=1))
    return path if ok else None
