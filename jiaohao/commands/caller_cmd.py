"""`jiaohao caller --window N`: the software caller for a window with a PC and no keypad."""
from __future__ import annotations

from pathlib import Path

from ..context import CommandError
from ..gc_settle import settle_after_startup
from .display import need_display, offscreen_if_no_display
from .inputs import window_number


def register(sub) -> None:
    p = sub.add_parser("caller", help="software caller: the keypad of a window as a panel on its PC")
    p.add_argument("--window", type=window_number, required=True, help="window number from the hall config")
    p.add_argument("--staff", default=None, help="log in with this staff number on start")
    p.add_argument("--screenshot", metavar="PNG", default=None, help="save a picture of the panel and exit")
    p.set_defaults(func=caller)


def caller(ctx, args) -> int:
    try:
        ctx.config.window(args.window)
    except KeyError:
        known = ", ".join(str(w.number) for w in ctx.config.windows)
        raise CommandError(f"no window {args.window} in {ctx.config_path} (windows: {known})") from None
    if args.screenshot:
        offscreen_if_no_display()
    else:
        need_display("the caller panel")
    from caller.panel import run
    if args.staff:
        ctx.queue.login(args.window, args.staff)
    if not args.screenshot:
        settle_after_startup()  # Qt, the config and the queue live as long as the panel
    code = run(ctx.queue, args.window, screenshot=args.screenshot)
    if args.screenshot and not Path(args.screenshot).is_file():
        raise CommandError(f"cannot write {args.screenshot}")
    return code
