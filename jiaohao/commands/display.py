"""Where the Qt windows of a command can appear: on a display, or off-screen for a PNG."""
from __future__ import annotations

import os

from ..context import CommandError


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))


def need_display(what: str) -> None:
    """Refuse in one line where Qt would abort the process for want of a display."""
    if not has_display():
        raise CommandError(f"no display here for {what} (DISPLAY is not set): run it in the desktop "
                           "session, or give --screenshot PNG to draw it into a file")


def offscreen_if_no_display() -> None:
    """A screenshot needs no display: draw off-screen when there is none."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
