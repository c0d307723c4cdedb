"""Diagnostics for technicians. One module per device area (database, ports, printer,
voice, bus, boards); each has ``register(diag_subparsers)`` for its own subcommands and
``check(ctx) -> list[CheckResult]`` for ``jiaohao diag check``."""
from __future__ import annotations

import re
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
        return {**asdict(self), "device_zh": device_zh(self.device)}


ROLE_ZH = {"keypad": "呼叫器", "evaluator": "评价器", "screen": "窗口屏"}

# the status in front of every diagnostic line, and the fix under it (equal widths: 11 columns)
OK_TAG, FAIL_TAG = "正常 (OK)  ", "故障 (FAIL)"
FIX_TAG = "处理 (fix):"
FIX_INDENT = " " * 12

# The device names stay English (tests, scripts and the JSON key on them); a technician
# reads this Chinese name in front of them. First match wins.
_DEVICE_ZH = [
    (r"bus \S+ address \d+ \(window (\d+) (\w+)\)", lambda m: f"{m[1]}号窗口屏" if m[2] == "screen" else f"{m[1]}号窗口{ROLE_ZH.get(m[2], m[2])}"),
    (r"bus ", "窗口总线"),
    (r"printer ", "取号打印机"),
    (r"voice module", "语音模块"),
    (r"voice", "语音播报"),
    (r"LED board", "大厅条屏"),
    (r"database sharing", "数据库共享权限"),
    (r"database integrity", "数据库完整性"),
    (r"database rows", "数据库记录"),
    (r"database", "排队数据库"),
    (r"backups", "备份"),
    (r"kiosk PINs", "取号机密码"),
    (r"client PCs", "客户端电脑"),
    (r"hall server", "大厅服务器"),
    (r"token for", "本机令牌"),
    (r"offline tickets", "离线票"),
    (r"city shipping", "上报市级平台"),
    (r"diagnostics", "诊断"),
    (r"kiosk ", "取号机"),
    (r"caller ", "窗口叫号软件"),
    (r"screen ", "大厅电视屏"),
]


def device_zh(device: str) -> str:
    """The Chinese name of a checked device ("1号窗口呼叫器" for "bus floor1 address 1 (window 1
    keypad)"); empty when the name already has Chinese in it or no rule fits."""
    if re.search(r"[\u4e00-\u9fff]", device):
        return ""
    for pattern, zh in _DEVICE_ZH:
        m = re.match(pattern, device)
        if m:
            return zh(m) if callable(zh) else zh
    return ""


def line(r: CheckResult) -> str:
    """One check as `diag check` prints it: status, names, what was found."""
    zh = device_zh(r.device)
    return f"{OK_TAG if r.ok else FAIL_TAG} {zh + ' ' if zh else ''}{r.device}: {r.detail}"
