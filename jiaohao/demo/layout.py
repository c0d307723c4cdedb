"""Where the demo's windows go on the screen: pure arithmetic on rectangles, no Qt.

Tiled: the kiosk a portrait column on the right; on the left, the hall screen (16:9)
and the demo's control window side by side on top, the software callers in a row
below. Every size follows the available screen, so the same arrangement fills a
1920×1080 monitor and a 4K one. When a window would get less than its minimum size
(a 1366×768 laptop: the kiosk alone needs 770 px of height), the demo uses one window
instead: the same widgets in tabs beside the control panel (``single``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

GAP = 8  # pixels between two windows' frames

# Rows of software callers under the hall screen: at most this many side by side.
CALLERS_PER_ROW = 3


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def overlaps(self, other: "Rect") -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def inside(self, outer: "Rect") -> bool:
        return self.x >= outer.x and self.y >= outer.y and self.right <= outer.right and self.bottom <= outer.bottom


@dataclass(frozen=True)
class Frame:
    """What the window manager adds around a window's client area (title bar, borders)."""

    top: int = 0
    left: int = 0
    right: int = 0
    bottom: int = 0

    def client(self, outer: Rect) -> Rect:
        return Rect(outer.x + self.left, outer.y + self.top, outer.w - self.left - self.right,
                    outer.h - self.top - self.bottom)

    def outer_size(self, w: int, h: int) -> tuple[int, int]:
        return w + self.left + self.right, h + self.top + self.bottom


@dataclass
class Plan:
    """The result: ``mode`` tiled or single; ``frames`` the outer rectangle of each window
    (tiled) or of the one window (single, under the name ``hall``); ``reason`` why."""

    mode: str
    frames: dict[str, Rect] = field(default_factory=dict)
    reason: str = ""

    def client(self, name: str, frame: Frame) -> Rect:
        return frame.client(self.frames[name])


def tile(avail: Rect, callers: list[str], minimum: dict[str, tuple[int, int]], frame: Frame = Frame(),
         has_kiosk: bool = True, has_screen: bool = True) -> Plan | None:
    """The tiled arrangement on ``avail``, or None when some window would be below its
    ``minimum`` client size (``minimum`` by window name: kiosk, screen, control, caller)."""
    def mins(name: str) -> tuple[int, int]:
        w, h = minimum.get(name, (0, 0))
        return frame.outer_size(w, h)

    x0, y0, W, H = avail.x, avail.y, avail.w, avail.h
    frames: dict[str, Rect] = {}
    left_w = W
    if has_kiosk:
        kmin_w, kmin_h = mins("kiosk")
        kw = max(kmin_w, min(round(H * 0.4), round(W * 0.25)))
        if kmin_h > H:
            return None
        frames["kiosk"] = Rect(x0 + W - kw, y0, kw, H)
        left_w = W - kw - GAP
    cmin_w, cmin_h = mins("caller")
    per_row = max(1, min(CALLERS_PER_ROW, len(callers)))
    rows = (len(callers) + per_row - 1) // per_row if callers else 0
    caller_w = (left_w - (per_row - 1) * GAP) // per_row if callers else 0
    if callers and caller_w < cmin_w:
        return None
    ctl_min_w, ctl_min_h = mins("control")
    smin_w, smin_h = mins("screen") if has_screen else (0, 0)
    callers_h_min = rows * (cmin_h + GAP)
    top_h_max = H - callers_h_min
    if has_screen:
        cw = max(ctl_min_w, round(left_w * 0.28))
        sw = left_w - cw - GAP
        sh = round(sw * 9 / 16)
        if sh > top_h_max:
            sh = top_h_max
            sw = round(sh * 16 / 9)
            cw = left_w - sw - GAP
        if sw < smin_w or sh < smin_h:
            return None
        frames["screen"] = Rect(x0, y0, sw, sh)
        frames["control"] = Rect(x0 + sw + GAP, y0, cw, sh)
        top_h = sh
    else:
        cw = left_w
        top_h = max(ctl_min_h, min(top_h_max, H // 2)) if callers else H
        frames["control"] = Rect(x0, y0, cw, top_h)
    if cw < ctl_min_w or top_h < ctl_min_h:
        return None
    if rows:
        row_h = (H - top_h - GAP - (rows - 1) * GAP) // rows
        if row_h < cmin_h:
            return None
        for i, name in enumerate(callers):
            r, c = divmod(i, per_row)
            frames[name] = Rect(x0 + c * (caller_w + GAP), y0 + top_h + GAP + r * (row_h + GAP), caller_w, row_h)
    return Plan("tiled", frames)


def plan(avail: Rect, callers: list[str], minimum: dict[str, tuple[int, int]], frame: Frame = Frame(),
         mode: str = "auto", has_kiosk: bool = True, has_screen: bool = True) -> Plan:
    """``mode`` auto (tiled when every window fits at least its minimum size, else
    single), tiled or single (forced; a forced tiling on too small a screen overlaps
    nothing but the windows get less than their minimum and Qt keeps them larger)."""
    if mode not in ("auto", "tiled", "single"):
        raise ValueError(f"layout is auto, tiled or single, not {mode!r}")
    if mode != "single":
        p = tile(avail, callers, minimum, frame, has_kiosk, has_screen)
        if p is not None:
            return p
        if mode == "tiled":
            p = tile(avail, callers, {}, frame, has_kiosk, has_screen)
            if p is not None:
                p.reason = "forced: some windows are below their minimum size"
                return p
    reason = "forced" if mode == "single" else \
        f"{avail.w}×{avail.h} is too small to tile every window at its minimum size"
    return Plan("single", {"hall": avail}, reason)
