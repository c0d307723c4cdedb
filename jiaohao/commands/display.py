"""Where the Qt windows of a command can appear: on a display, or off-screen for a PNG."""
from __future__ import annotations

import os

from ..context import CommandError


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))


def need_display(what: str, screenshot: bool = True) -> None:
    """Refuse in one line where Qt would abort the process for want of a display."""
    if not has_display():
        raise CommandError(f"这里没有显示器，请在桌面会话中运行 (no display here for {what}: DISPLAY is not set; "
                           "run it in the desktop session"
                           + (", or give --screenshot PNG to draw it into a file)" if screenshot else ")"))


def offscreen_if_no_display() -> None:
    """A screenshot needs no display: draw off-screen when there is none."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
