"""`jiaohao serve`: the headless controller. Runs every configured part until SIGTERM."""
from __future__ import annotations

import logging
import signal
import threading
from importlib import import_module

from ..context import CommandError
from ..cpu_priority import share_nice_with_session
from ..gc_settle import FullCollections, settle_after_startup

log = logging.getLogger(__name__)

# "module:function" entries; each function takes the Context and returns a list of
# components (objects with .name, .start() and .stop()) for what the config has.
COMPONENT_FACTORIES: list[str] = [
    "caller.service:components",    # window buses (keypads, evaluators, window screens)
    "display.announcer:components",  # voice
    "display.boards:components",     # LED hall boards
    "jiaohao.commands.backup_cmd:components",  # scheduled backups of the database
    "jiaohao.commands.bookings_cmd:components",  # bookings past their slot become no-shows (爽约)
    "hall.alarm_engine:components",  # the limits checked every few seconds (docs/manage.md)
    "server.runner:components",      # the hall API ([server] listen or --listen)
    "hall.outbox:components",        # webhooks: reminders, the 好差评 push, alarms
    "city.service:components",       # shipping to the city's PostgreSQL ([city] database)
]


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the headless controller (window buses, voice, LED boards, hall API)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (testing)")
    p.add_argument("--listen", metavar="HOST:PORT", default=None,
                   help="serve the hall API here (overrides [server] listen; port 0: any free port)")
    p.set_defaults(func=serve)


def build_components(ctx) -> list:
    parts = []
    for entry in COMPONENT_FACTORIES:
        module, func = entry.split(":")
        try:
            factory = getattr(import_module(module), func)
        except ModuleNotFoundError as e:
            if e.name == module or module.startswith(f"{e.name}."):  # that part is not in this build
                continue
            raise
        parts.extend(factory(ctx))
    return parts


def run_components(parts: list, stop: threading.Event, tick=None, tick_s: float = 30.0, ready=None) -> None:
    """Start ``parts``, call ``ready()``, wait for ``stop``, stop them in reverse order."""
    started = []
    try:
        for part in parts:
            log.info("starting %s", part.name)
            part.start()
            started.append(part)
        if ready:
            ready()
        while not stop.wait(tick_s):
            if tick:
                tick()
    finally:
        for part in reversed(started):
            try:
                part.stop()
            except Exception:  # noqa: BLE001 - one bad part must not keep the others running
                log.exception("stopping %s failed", part.name)


def serve(ctx, args) -> int:
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    share_nice_with_session()  # the unit's Nice= then also counts against the kiosk and screen
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.seconds is not None:
        timer = threading.Timer(args.seconds, stop.set)
        timer.daemon = True  # a serve that failed to start exits at once
        timer.start()
    queue = ctx.open_queue(quick_check=True)  # a damaged database is refused at start, in words
    ctx.listen = args.listen
    try:
        parts = build_components(ctx)
        log.info("jiaohao serve: %s, %d component(s): %s", ctx.config.hall.name, len(parts),
                 ", ".join(p.name for p in parts) or "none")
        full = FullCollections(quiet=_api_quiet)

        def ready() -> None:
            settle_after_startup()
            full.start()

        try:
            run_components(parts, stop, tick=queue.roll_day, ready=ready)
        finally:
            full.stop()
    except Exception as e:
        if args.listen is not None or getattr(ctx.config, "server", None) is not None:
            from server.runner import ListenError
            if isinstance(e, ListenError):
                raise CommandError(str(e)) from None
        raise
    log.info("jiaohao serve: stopped")
    return 0


def _api_quiet() -> bool:
    """No hall API request in flight or just answered (always, when serve listens nowhere:
    nothing then counts requests)."""
    from server.server_timing import activity
    return activity.quiet()
