"""Diagnostics for technicians. One module per device area (database, ports, printer,
voice, bus, boards); each has ``register(diag_subparsers)`` for its own subcommands and
``check(ctx) -> list[CheckResult]`` for ``jiaohao diag check``."""
from __future__ import annotations

from dataclasses import asdict, dataclass

AREAS = [
    "jiaohao.diag.server",   # the hall server this PC uses (kiosk, window PC, TV box on a LAN)
    "jiaohao.diag.clients",  # the client PCs of the hall server: connected, since, lag, clock
    "jiaohao.diag.database",  # the queue database: sharing, identity, integrity
    "jiaohao.diag.ports",    # serial ports and USB printers vs the config
    "jiaohao.diag.printer",  # ticket printer: status, test page
    "jiaohao.diag.voice",    # voice engine: say a text
    "jiaohao.diag.bus",      # window buses: scan, watch, budget, window screens
    "jiaohao.diag.boards",   # LED hall boards
    "jiaohao.diag.kiosk",    # kiosk PINs (issue 19)
    "jiaohao.diag.backups",  # age of the last good backup of the database
    "jiaohao.diag.ratings",  # the provincial 好差评 push: credentials, records not taken
    "jiaohao.diag.leases",   # kiosks' clocks, offline tickets not yet sent
    "jiaohao.diag.guide",    # the service guide's files (docs/guide.md)
    "jiaohao.diag.notify",   # 叫号提醒: messages the SMS/WeChat webhook has not taken
    "jiaohao.diag.city",     # shipping to the city's PostgreSQL: behind, last error
]


@dataclass
class CheckResult:
    """One device's health in plain words, and the fix to try when it is not healthy."""

    device: str   # e.g. "printer sim://kiosk1", "bus floor1 address 5 (window 5 keypad)"
    ok: bool
    detail: str   # e.g. "online, paper OK" or "no answer at address 5"
    fix: str = ""  # e.g. "check the RS-485 cable and the address DIP switches"

    def to_json(self) -> dict:
        return asdict(self)
