"""Subcommand modules. Each has ``register(subparsers)`` which adds its parser and
sets ``func(ctx, args) -> int`` as the parser default.

COMMANDS is the table of top-level commands: name, module, and the one-line help of
``jiaohao --help``. A command's module is imported only when that command runs (or
when the whole parser is built, for tests and documentation), so ``jiaohao queue …``
does not pay for Qt, numpy or the report writers. The help here must equal the one
the module registers (tests/test_cli_startup.py checks). A module may register several
commands (one line each, same module).
"""
from __future__ import annotations

from importlib import import_module

COMMANDS: list[tuple[str, str, str]] = [
    ("config", "config_cmd", "hall configuration"),
    ("queue", "queue_cmd", "issue and call tickets from the command line"),
    ("serve", "serve_cmd", "run the headless controller (window buses, voice, LED boards, hall API)"),
    ("appointments", "appointments_cmd", "import booked appointments for kiosk check-in"),
    ("bookings", "bookings_cmd", "appointments booked online or at a window: slots, suspensions (爽约)"),
    ("guide", "guide_cmd", "the service guide (办事指南): search, check, import"),
    ("kiosk", "kiosk_cmd", "touchscreen ticket kiosk (full screen, locked)"),
    ("pin", "pin_cmd", "the kiosk's technician and green-channel PINs"),
    ("devices", "devices_cmd", "device tokens of the hall API: add, list, revoke"),
    ("staff", "staff_cmd", "staff accounts of the hall API (工号, password, role)"),
    ("caller", "caller_cmd", "software caller: the keypad of a window as a panel on its PC"),
    ("screen", "screen_cmd", "hall TV screen: calls, windows, waiting counts (full screen)"),
    ("diag", "diag_cmd", "diagnostics: find, test and fix devices"),
    ("demo", "demo_cmd", "run a whole hall on simulated devices (kiosk, hall screen, callers, voice)"),
    ("report", "report_cmd", "daily and monthly figures: tickets, waiting, handling, ratings (好差评)"),
    ("ratings", "ratings_cmd", "好差评: GB/T 39046 export, 差评 follow-ups, indicators, provincial push"),
    ("ship", "ship_cmd", "ship this hall's records to the city's PostgreSQL ([city] database)"),
    ("city", "ship_cmd", "the city database: create or upgrade its schema, list its halls"),
    ("backup", "backup_cmd", "back up the queue database now (online: the hall keeps working)"),
    ("restore", "backup_cmd", "replace the queue database by a backup (the current one is kept aside)"),
    ("version", "version_cmd", "this program's version and the database's (versions, migrations)"),
    ("migrate", "version_cmd", "upgrade the queue database to this version now (take a backup first)"),
]

# ``jiaohao --help`` shows each command's Chinese name first (the table's help after it)
COMMAND_ZH = {
    "config": "大厅配置", "queue": "取号叫号", "serve": "运行控制器", "appointments": "导入预约",
    "bookings": "预约号源", "guide": "办事指南", "kiosk": "取号机", "pin": "取号机密码", "devices": "设备令牌",
    "staff": "人员账号", "caller": "软件呼叫器", "screen": "大厅电视屏", "diag": "设备诊断", "demo": "演示",
    "report": "统计报表", "ratings": "好差评", "ship": "上报市级", "city": "市级数据库", "backup": "备份",
    "restore": "恢复备份", "version": "版本", "migrate": "升级数据库",
}


def _load(module: str):
    full = f"{__name__}.{module}"
    try:
        return import_module(full)
    except ModuleNotFoundError as e:
        if e.name == full:  # not written yet: that subcommand is simply absent
            return None
        raise


def register_all(subparsers, only: str | None = None) -> None:
    """Add every command; with ``only``, import just that command's module and add the
    others as light entries (name and help) that are enough for ``jiaohao --help``."""
    done: set[str] = set()
    for name, module, help_ in COMMANDS:
        if (only is None or name == only) and module not in done:
            done.add(module)
            loaded = _load(module)
            if loaded is not None:
                loaded.register(subparsers)
    for name, module, help_ in COMMANDS:
        if name not in subparsers.choices and (only is not None and module not in done):
            subparsers.add_parser(name, help=help_, add_help=False)
    for action in subparsers._choices_actions:  # the lines of `jiaohao --help`
        zh = COMMAND_ZH.get(action.dest)
        if zh and action.help and not action.help.startswith(zh):
            action.help = f"{zh}：{action.help}"
