"""`jiaohao caller --window N`: the software caller for a window with a PC and no keypad."""
from __future__ import annotations

from ..context import CommandError


def register(sub) -> None:
    p = sub.add_parser("caller", help="software caller: the keypad of a window as a panel on its PC")
    p.add_argument("--window", type=int, required=True, help="window number from the hall config")
    p.add_argument("--staff", default=None, help="log in with this staff number on start")
    p.add_argument("--screenshot", metavar="PNG", default=None, help="save a picture of the panel and exit")
    p.set_defaults(func=caller)


def caller(ctx, args) -> int:
    try:
        ctx.config.window(args.window)
    except KeyError:
        known = ", ".join(str(w.number) for w in ctx.config.windows)
        raise CommandError(f"no window {args.window} in {ctx.config_path} (windows: {known})") from None
    from caller.panel import run
    if args.staff:
        ctx.queue.login(args.window, args.staff)
    return run(ctx.queue, args.window, screenshot=args.screenshot)
