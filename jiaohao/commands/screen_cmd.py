"""`jiaohao screen`: the hall TV screen (full screen), or a PNG of it for checking a layout."""
from __future__ import annotations

import re

from ..context import CommandError
from ..gc_settle import settle_after_startup
from .display import need_display, offscreen_if_no_display
from .inputs import server_options


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*([0-9]{3,5})\s*[xX×]\s*([0-9]{3,5})\s*", text or "")
    if not m:
        raise CommandError(f"--size {text!r}: 请写成 宽x高，如 1920x1080 (give it as WIDTHxHEIGHT, e.g. 1920x1080)")
    w, h = int(m.group(1)), int(m.group(2))
    if not (640 <= w <= 7680 and 360 <= h <= 4320):
        raise CommandError(f"--size {text}: 要在 640x360 到 7680x4320 之间 (between 640x360 and 7680x4320)")
    return w, h


def parse_windows(text: str) -> set[int]:
    """``"1-24,30"`` → {1, …, 24, 30}."""
    numbers: set[int] = set()
    for part in (text or "").split(","):
        m = re.fullmatch(r"\s*([0-9]{1,4})\s*(?:-\s*([0-9]{1,4})\s*)?", part)
        if not m:
            raise CommandError(f"--windows {text!r}: 请写窗口号和范围，如 1-24,30 (give numbers and ranges, e.g. 1-24,30)")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise CommandError(f"--windows {text!r}: 范围 {lo}-{hi} 要从小写到大，如 {hi}-{lo} "
                               f"(range {lo}-{hi} runs backwards)")
        numbers.update(range(lo, hi + 1))
    return numbers


def register(sub) -> None:
    p = sub.add_parser("screen", help="hall TV screen: calls, windows, waiting counts (full screen)")
    p.add_argument("--windowed", action="store_true", help="in a window instead of full screen")
    p.add_argument("--size", metavar="WxH", help="window size, e.g. 1920x1080 (implies --windowed)")
    p.add_argument("--windows", metavar="LIST",
                   help="only these windows in the window grid, e.g. 1-24,30 (one TV per floor)")
    p.add_argument("--screenshot", metavar="PNG",
                   help="draw the screen once at --size (default 1920x1080) into a PNG and exit")
    server_options(p)
    p.set_defaults(func=screen)


def screen(ctx, args) -> int:
    size = parse_size(args.size) if args.size else None
    windows = parse_windows(args.windows) if args.windows else None
    if windows:
        unknown = sorted(windows - {w.number for w in ctx.config.windows})
        if unknown == sorted(windows):
            raise CommandError(f"--windows {args.windows}: 这些窗口都不在大厅配置里 (none of these windows is in the hall config)")
    if args.screenshot:
        return screenshot(ctx, args.screenshot, size or (1920, 1080), windows)
    need_display("the hall screen")
    from display.screen import run
    if ctx.server:
        ctx.hall.start_heartbeat("screen")  # `diag check` and GET /clients list this screen
    settle_after_startup()  # Qt, the config and the queue live as long as the screen
    return run(ctx, windowed=args.windowed, size=size, windows=windows)


def screenshot(ctx, path: str, size: tuple[int, int], windows: set[int] | None = None) -> int:
    offscreen_if_no_display()
    from PySide6.QtWidgets import QApplication

    from display.screen import HallScreen
    from display.screen_model import ScreenModel

    app = QApplication.instance() or QApplication([])  # noqa: F841 - must exist while drawing
    from display.guide_notice import rotation_for
    widget = HallScreen(ScreenModel(ctx.hall, rotation=rotation_for(ctx)), windows=windows)
    widget.resize(*size)
    widget.refresh()
    if not widget.grab().save(path, "PNG"):
        raise CommandError(f"写不了文件 (cannot write {path})")
    print(f"{path}: {size[0]}x{size[1]}")
    return 0
