"""`jiaohao caller --window N`: the software caller for a window with a PC and no keypad."""
from __future__ import annotations

from pathlib import Path

from ..context import CommandError
from ..gc_settle import settle_after_startup
from .display import need_display, offscreen_if_no_display
from .inputs import server_options, window_number


def register(sub) -> None:
    p = sub.add_parser("caller", help="software caller: the keypad of a window as a panel on its PC")
    p.add_argument("--window", type=window_number, required=True, help="window number from the hall config")
    p.add_argument("--staff", default=None, help="log in with this staff number on start")
    p.add_argument("--screenshot", metavar="PNG", default=None, help="save a picture of the panel and exit")
    server_options(p)
    p.set_defaults(func=caller)


def caller(ctx, args) -> int:
    # on a hall server without a caller device token, staff log in with 工号 + 密码 first:
    # the server's hall configuration is read with that login (a copy kept from an earlier
    # one, or a --config, names the window on the login screen)
    login = bool(ctx.server) and ctx.token is None
    if login:
        hall = _login_hall(ctx)
        config = hall.config
    else:
        config = ctx.config
    if config is not None:
        try:
            config.window(args.window)
        except KeyError:
            known = ", ".join(str(w.number) for w in config.windows)
            where = ctx.config_path if ctx.config_given or not ctx.server else ctx.server
            raise CommandError(f"{where} 里没有 {args.window} 号窗口，已有窗口 {known} "
                               f"(no window {args.window} in {where}; windows: {known})") from None
    if args.screenshot:
        offscreen_if_no_display()
    else:
        need_display("the caller panel")
    from caller.panel import run
    if not login:
        hall = ctx.hall
        if args.staff:
            hall.login(args.window, args.staff)
    after = None if ctx.config_given or not login else (lambda: _fetch_config(ctx, hall))
    if ctx.server and not args.screenshot:
        hall.start_heartbeat("caller", args.window)  # beats once someone is logged in (or with a token)
    if not args.screenshot:
        settle_after_startup()  # Qt, the config and the queue live as long as the panel
    code = run(hall, args.window, screenshot=args.screenshot, login=login, after_login=after)
    if args.screenshot and not Path(args.screenshot).is_file():
        raise CommandError(f"写不了文件 (cannot write {args.screenshot})")
    return code


def _login_hall(ctx):
    from hall.clock import clock_from_env
    from hall.remote import RemoteHall

    from ..client_setup import kept_config
    config = ctx.config if ctx.config_given else kept_config(ctx.server)
    hall = RemoteHall(ctx.server, None, config, timeout_s=ctx.timeout_s, clock=clock_from_env(""))
    ctx.__dict__["hall"] = hall  # closed with the command
    return hall


def _fetch_config(ctx, hall) -> None:
    from ..client_setup import keep_copy
    hall.fetch_config()
    keep_copy(ctx.server, hall.config_text)
