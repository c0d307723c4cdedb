"""`jiaohao kiosk`: the touchscreen ticket kiosk (full screen; --windowed for development)."""
from __future__ import annotations

from ..context import CommandError
from ..gc_settle import settle_after_startup
from .display import need_display, offscreen_if_no_display
from .inputs import server_options
from .screen_cmd import parse_size


def register(sub) -> None:
    p = sub.add_parser("kiosk", help="touchscreen ticket kiosk (full screen, locked)",
                       description="Run the ticket kiosk. Full screen and locked by default: a technician "
                                   "leaves it with Ctrl+Alt+Shift+T (or five quick taps on the clock) and "
                                   "the technician PIN (set with `jiaohao pin set --role technician`).")
    p.add_argument("--windowed", action="store_true", help="in a normal window, not locked (development)")
    p.add_argument("--size", metavar="WxH", help="window size, e.g. 1080x1920 (implies --windowed)")
    p.add_argument("--printer", metavar="URL", help="printer URL instead of [printer] url (e.g. sim://test)")
    p.add_argument("--name", metavar="NAME", help="this kiosk's name in the event log (default: host name)")
    p.add_argument("--no-voice", action="store_true", help="no spoken prompts in elderly mode")
    p.add_argument("--screenshot", metavar="PNG", help="draw the start screen at --size into a PNG and exit")
    server_options(p)
    p.set_defaults(func=kiosk)


def kiosk(ctx, args) -> int:
    size = parse_size(args.size) if args.size else None
    if args.screenshot:
        offscreen_if_no_display()
    else:
        need_display("the kiosk")
    from kiosk.run import build, run, with_printer

    config = with_printer(ctx.config, args.printer)  # the kiosk prints on its own printer
    # on the LAN: the hall server; else a damaged database is refused at start, in words
    queue = ctx.hall if ctx.server else ctx.open_queue(quick_check=True)
    if ctx.server and not args.screenshot:
        queue.start_heartbeat("kiosk")  # `diag check` and GET /clients list this kiosk
    if args.screenshot:
        w = build(queue, config, kiosk_name=args.name, kiosk_mode=False, voice=False,
                  size=size or (1080, 1920), start_timers=False, guide=ctx.guide_source())
        try:
            w.show()
            w.refresh()
            if not w.grab().save(args.screenshot, "PNG"):
                raise CommandError(f"写不了文件 (cannot write {args.screenshot})")
        finally:
            w.shutdown()
            w.issuer.printer.close()
        print(f"{args.screenshot}: {w.width()}x{w.height()}")
        return 0
    from kiosk.run import with_offline_issue
    hall = with_offline_issue(queue)  # on the LAN: tickets go on printing through a network cut
    settle_after_startup()  # Qt, the config and the queue live as long as the kiosk
    try:
        return run(hall, config, windowed=args.windowed or size is not None, size=size,
                   kiosk_name=args.name, voice=not args.no_voice, guide=ctx.guide_source())
    finally:
        if hall is not queue:
            hall.close()
