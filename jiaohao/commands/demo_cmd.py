"""`jiaohao demo`: a whole hall on simulated devices, with simulated citizens and staff."""
from __future__ import annotations

import signal
import sqlite3
import sys
import threading
from contextlib import closing
from datetime import date, datetime, time, timedelta
from pathlib import Path

from config import DEMO_HALL, load_hall

from ..context import CommandError
from .display import has_display
from .inputs import number, window_number


WINDOWS_SPEED = 10.0   # a call every few seconds: the windows can be followed
HEADLESS_SPEED = 60.0  # nothing to watch: a whole day in about ten minutes
DEFAULT_LISTEN = "127.0.0.1:0"  # with windows: the hall API on this computer only, any free port


def register(sub) -> None:
    p = sub.add_parser(
        "demo", help="run a whole hall on simulated devices (kiosk, hall screen, callers, voice)",
        description="A simulated day of the hall: citizens take tickets, staff call them, the voice "
                    "and screens follow. Every device is simulated at the byte level.")
    p.add_argument("--headless", action="store_true",
                   help="no windows: a live status line, then a summary (for servers and CI)")
    p.add_argument("--minutes", type=float, metavar="N",
                   help="simulated minutes to run (default: the whole day, until the last citizen is served)")
    p.add_argument("--speed", type=float, default=None, metavar="X",
                   help="how many times faster than real time the day runs "
                        "(default 10 with windows, 60 headless: a whole day in about 10 minutes)")
    p.add_argument("--db", dest="demo_db", metavar="PATH",
                   help="keep the queue in this database (default: a temporary one, removed at the end)")
    p.add_argument("--out", metavar="DIR",
                   help="folder for the printed tickets (PNG) and voice files (WAV); default: a new temporary folder")
    p.add_argument("--seed", type=number("seed", 0, 2**32 - 1, "随机种子"), help="random seed, to repeat a run")
    p.add_argument("--caller", type=window_number, action="append", metavar="N",
                   help="window of a software caller window (repeatable; default: the first and last windows)")
    p.add_argument("--json", action="store_true", help="headless: print the summary as one JSON object")
    p.add_argument("--screenshots", metavar="DIR",
                   help="with windows: when the day (or --minutes) is over, save each window as "
                        "DIR/demo-NAME.png and the whole desktop as DIR/demo-desktop.png, then end "
                        "(for the documentation)")
    p.add_argument("--listen", metavar="HOST:PORT",
                   help="serve the hall API (docs/api.md) here; default with windows: 127.0.0.1 on a free "
                        "port (this computer only); 0.0.0.0:8080 lets phones on the LAN reach it; "
                        "'none': no API. Headless: none unless given")
    p.add_argument("--layout", choices=("auto", "tiled", "single"), default="auto",
                   help="with windows: tiled (each window beside the others, filling the screen), single "
                        "(one window, tabs beside the devices panel) or auto (tiled when every window fits "
                        "at its minimum size, else single; the default)")
    p.set_defaults(func=demo)


def _listen(text: str | None) -> str | None:
    """``--listen``: HOST:PORT checked in words; 'none' (or nothing) serves no API."""
    if text is None or text.strip().lower() == "none":
        return None
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host.strip("[]") or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CommandError(f"--listen 要写成 主机:端口（如 127.0.0.1:8080，局域网用 0.0.0.0:8080）或 none，不是 {text!r} "
                           f"(--listen must be HOST:PORT, 127.0.0.1:8080, or 0.0.0.0:8080 for the LAN, or none)")
    return text.strip()


def next_free_morning(db: Path, opening: tuple[int, int]) -> datetime | None:
    """Where a kept demo database goes on: hall time never goes backwards (docs/queue.md),
    so a second run on a day the database has already seen starts the next morning."""
    if not db.is_file():
        return None
    try:
        with closing(sqlite3.connect(db)) as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'clock_latest'").fetchone()
    except sqlite3.Error:
        return None  # not a queue database: the demo itself says so
    if row is None:
        return None
    last = datetime.fromtimestamp(float(row[0])).date()
    return datetime.combine(last + timedelta(days=1), time(*opening)) if last >= date.today() else None


def demo(ctx, args) -> int:
    from ..demo import DemoError
    from ..demo.report import StatusPrinter, print_summary
    from ..demo.runner import DAY_START, DemoHall, DemoOptions, has_sound_card

    if args.speed is not None and not 0 < args.speed <= 10000:
        raise CommandError("--speed 要在 0 到 10000 之间 (--speed must be between 0 and 10000)")
    if args.minutes is not None and not 0 < args.minutes <= 7 * 24 * 60:  # also refuses nan and inf
        raise CommandError("--minutes 要大于 0，最多一周（10080） (--minutes must be more than 0 and at most a week, 10080)")
    listen = _listen(args.listen)
    headless = args.headless
    if not headless and not has_display():
        print("jiaohao demo: 这里没有显示器，不开窗口运行；要看窗口请在桌面会话中或用 xvfb-run 运行 "
              "(no display here (DISPLAY is not set); running headless. "
              "Use xvfb-run or a desktop session for the windows.)", file=sys.stderr)
        headless = True
    speed = args.speed if args.speed is not None else (HEADLESS_SPEED if headless else WINDOWS_SPEED)
    db = args.demo_db or getattr(args, "db", None)
    # The demo hall unless --config is given: $JIAOHAO_CONFIG on a hall PC names the real
    # hall, whose devices a demo must not take over by accident.
    config_path = Path(args.config) if getattr(args, "config", None) else Path(DEMO_HALL)
    config = ctx.config if config_path == ctx.config_path else load_hall(config_path)
    options = DemoOptions(speed=speed, minutes=args.minutes,
                          out_dir=Path(args.out) if args.out else None,
                          db_path=Path(db) if db else None, seed=args.seed,
                          start=next_free_morning(Path(db), DAY_START) if db else None,
                          sound_card=not headless and has_sound_card(),
                          listen=listen if args.listen is not None or headless else DEFAULT_LISTEN)
    try:
        hall = DemoHall(config, config_path, options)
    except DemoError as e:
        raise CommandError(str(e)) from e
    try:
        hall.start()
        for note in hall.notes:
            print(f"jiaohao demo: {note}", file=sys.stderr)
        if hall.api_url:
            print(f"jiaohao demo: 大厅接口 (hall API) on {hall.api_url}/api/v1 (OpenAPI: {hall.api_url}/api/v1/docs)",
                  file=sys.stderr)
            for zh, en, url in hall.pages():
                print(f"jiaohao demo: {zh} {en}: {url}", file=sys.stderr)
            if hall.manager_login:
                print(f"jiaohao demo: 管理登录 manager login: 工号 {hall.manager_login[0]}, "
                      f"密码 password {hall.manager_login[1]}", file=sys.stderr)
        if headless:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            printer = StatusPrinter(sys.stderr)
            try:
                hall.run(stop, on_status=printer)
            except KeyboardInterrupt:
                stop.set()
            printer.done()
        else:
            from ..demo.gui import run_gui
            callers = args.caller or sorted({hall.config.windows[0].number, hall.config.windows[-1].number})
            run_gui(hall, callers, screenshots=Path(args.screenshots) if args.screenshots else None,
                    quit_when_over=args.minutes is not None, layout=args.layout)
    finally:
        hall.stop()
    summary, outputs = hall.summary(), hall.outputs()
    notes = list(hall.notes)
    hall.close()
    print_summary(summary, outputs, notes, as_json=args.json)
    return 0
