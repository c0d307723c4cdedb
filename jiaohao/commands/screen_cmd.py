"""`jiaohao screen`: the hall TV screen (full screen), or a PNG of it for checking a layout."""
from __future__ import annotations

import os
import re

from ..context import CommandError


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{3,5})\s*[xX×]\s*(\d{3,5})\s*", text or "")
    if not m:
        raise CommandError(f"--size {text!r}: give it as WIDTHxHEIGHT, e.g. 1920x1080")
    w, h = int(m.group(1)), int(m.group(2))
    if not (640 <= w <= 7680 and 360 <= h <= 4320):
        raise CommandError(f"--size {text}: between 640x360 and 7680x4320")
    return w, h


def register(sub) -> None:
    p = sub.add_parser("screen", help="hall TV screen: calls, windows, waiting counts (full screen)")
    p.add_argument("--windowed", action="store_true", help="in a window instead of full screen")
    p.add_argument("--size", metavar="WxH", help="window size, e.g. 1920x1080 (implies --windowed)")
    p.add_argument("--screenshot", metavar="PNG",
                   help="draw the screen once at --size (default 1920x1080) into a PNG and exit")
    p.set_defaults(func=screen)


def screen(ctx, args) -> int:
    size = parse_size(args.size) if args.size else None
    if args.screenshot:
        return screenshot(ctx, args.screenshot, size or (1920, 1080))
    from display.screen import run
    return run(ctx, windowed=args.windowed, size=size)


def screenshot(ctx, path: str, size: tuple[int, int]) -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from display.screen import HallScreen
    from display.screen_model import ScreenModel

    app = QApplication.instance() or QApplication([])  # noqa: F841 - must exist while drawing
    widget = HallScreen(ScreenModel(ctx.queue))
    widget.resize(*size)
    widget.refresh()
    if not widget.grab().save(path, "PNG"):
        raise CommandError(f"cannot write {path}")
    print(f"{path}: {size[0]}x{size[1]}")
    return 0
