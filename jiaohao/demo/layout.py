"""Where the demo's windows go on the screen: pure arithmetic on rectangles, no Qt.

Tiled: the kiosk a portrait column on the right; the hall screen (16:9) top left with
the software callers in a row below it; the demo's control window a full-height
column between them where the screen is wide enough (2560×1440 and up), else beside
the hall screen above the callers (1920×1080). Every size follows the available
screen, so the same arrangement fills a 1920×1080 monitor and a 4K one. When a window
would get less than its minimum size (a 1366×768 laptop: the kiosk alone needs 770 px
of height), the demo uses one window instead: the same widgets in tabs beside the
control panel (``single``).
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


def _kiosk_column(avail: Rect, minimum: dict, frame: Frame, has_kiosk: bool) -> tuple[dict, int] | None:
    """The kiosk as a portrait column on the right: (frames, width left for the rest)."""
    if not has_kiosk:
        return {}, avail.w
    kmin_w, kmin_h = frame.outer_size(*minimum.get("kiosk", (0, 0)))
    if kmin_h > avail.h:
        return None
    kw = max(kmin_w, min(round(avail.h * 0.4), round(avail.w * 0.25)))
    return {"kiosk": Rect(avail.right - kw, avail.y, kw, avail.h)}, avail.w - kw - GAP


def _callers(x: int, y: int, w: int, h: int, callers: list[str], cmin: tuple[int, int]) -> dict | None:
    """Callers in rows of up to CALLERS_PER_ROW filling the box, or None below their minimum."""
    if not callers:
        return {}
    per_row = min(CALLERS_PER_ROW, len(callers))
    rows = (len(callers) + per_row - 1) // per_row
    cw = (w - (per_row - 1) * GAP) // per_row
    ch = (h - (rows - 1) * GAP) // rows
    if cw < cmin[0] or ch < cmin[1]:
        return None
    return {name: Rect(x + (i % per_row) * (cw + GAP), y + (i // per_row) * (ch + GAP), cw, ch)
            for i, name in enumerate(callers)}


def _rows_needed(callers: list[str], cmin_h: int) -> int:
    if not callers:
        return 0
    per_row = min(CALLERS_PER_ROW, len(callers))
    rows = (len(callers) + per_row - 1) // per_row
    return rows * (cmin_h + GAP)


def tile_column(avail: Rect, callers: list[str], minimum: dict[str, tuple[int, int]], frame: Frame = Frame(),
                has_kiosk: bool = True) -> Plan | None:
    """Hall screen over the callers on the left, the control window a full-height column
    in the middle, the kiosk on the right: for large screens (the control window gets
    the height its ticket, window table and log need)."""
    k = _kiosk_column(avail, minimum, frame, has_kiosk)
    if k is None:
        return None
    frames, rest = k
    cmin = frame.outer_size(*minimum.get("caller", (0, 0)))
    ctl_w, ctl_h = frame.outer_size(*minimum.get("control", (0, 0)))
    smin_w, smin_h = frame.outer_size(*minimum.get("screen", (0, 0)))
    per_row = min(CALLERS_PER_ROW, len(callers)) if callers else 1
    left_min = max(smin_w, per_row * cmin[0] + (per_row - 1) * GAP)
    sh = avail.h - _rows_needed(callers, cmin[1])
    sw = min(round(sh * 16 / 9), rest - GAP - max(ctl_w, round(rest * 0.3)))
    sw = max(sw, left_min)
    sh = min(sh, round(sw * 9 / 16))
    cw = rest - sw - GAP
    if cw < max(ctl_w, round(rest * 0.25)) or ctl_h > avail.h or sh < smin_h:
        return None
    row = _callers(avail.x, avail.y + sh + GAP, sw, avail.h - sh - GAP, callers, cmin)
    if row is None:
        return None
    frames.update(row)
    frames["screen"] = Rect(avail.x, avail.y, sw, sh)
    frames["control"] = Rect(avail.x + sw + GAP, avail.y, cw, avail.h)
    return Plan("tiled", frames)


def tile(avail: Rect, callers: list[str], minimum: dict[str, tuple[int, int]], frame: Frame = Frame(),
         has_kiosk: bool = True, has_screen: bool = True) -> Plan | None:
    """The tiled arrangement on ``avail``, or None when some window would be below its
    ``minimum`` client size (``minimum`` by window name: kiosk, screen, control, caller).
    A full-height control column where the screen is wide enough (:func:`tile_column`),
    else the control window beside the hall screen, the callers in a row below both."""
    if has_screen:
        p = tile_column(avail, callers, minimum, frame, has_kiosk)
        if p is not None:
            return p
    k = _kiosk_column(avail, minimum, frame, has_kiosk)
    if k is None:
        return None
    frames, left_w = k
    x0, y0, H = avail.x, avail.y, avail.h
    cmin = frame.outer_size(*minimum.get("caller", (0, 0)))
    ctl_min_w, ctl_min_h = frame.outer_size(*minimum.get("control", (0, 0)))
    smin_w, smin_h = frame.outer_size(*minimum.get("screen", (0, 0)))
    top_h_max = H - _rows_needed(callers, cmin[1])
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
    if callers:
        row = _callers(x0, y0 + top_h + GAP, left_w, H - top_h - GAP, callers, cmin)
        if row is None:
            return None
        frames.update(row)
    return Plan("tiled", frames)


def plan(avail: Rect, callers: list[str], minimum: dict[str, tuple[int, int]], frame: Frame = Frame(),
         mode: str = "auto", has_kiosk: bool = True, has_screen: bool = True) -> Plan:
    """``mode`` auto (tiled when every window fits at least its minimum size, else
    single), tiled or single (forced). A forced tiling on too small a screen plans
    windows below their minimum size; Qt keeps them at their minimum, so they overlap:
    the user asked for it."""
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
