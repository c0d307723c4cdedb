"""Plain-words reasons and fixes for the problems technicians meet most, shared by the
diagnostics areas: a port that is missing, not permitted or busy, a device that does
not answer at its address, a noisy bus, a printer out of paper.

Each function returns ``(detail, fix)``: what is wrong, in words a technician who is
not a programmer understands, and the first thing to try.
"""
from __future__ import annotations

import errno
import getpass
import os
from pathlib import Path

UDEV_RULE = "deploy/99-jiaohao.rules"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "$USER"


def port_missing(path: str) -> tuple[str, str]:
    return (f"串口 {path} 不存在，那里什么也没插 (port {path} does not exist: nothing plugged in there)",
            "检查连接线和 USB 转串口转换器（指示灯亮吗？），再运行 jiaohao diag ports 看本机有哪些串口，"
            "把正确的写进大厅配置 (check the cable and the USB-serial adapter: is its light on? then run "
            "`jiaohao diag ports` to see which ports this computer has and put the right one in the hall config)")


def permission_denied(path: str, group: str = "dialout") -> tuple[str, str]:
    return (f"没有权限打开 {path}，它属于 {group!r} 组 (no permission to open {path}: it belongs to the group {group!r})",
            f"安装 udev 规则 (install the udev rule): `sudo cp {UDEV_RULE} /etc/udev/rules.d/ && sudo udevadm "
            f"control --reload && sudo udevadm trigger`；或把用户加进该组再重新登录 (or add the user and log in "
            f"again): `sudo usermod -aG {group} {_user()}`")


def port_busy(path: str, holders: list[str] | None = None) -> tuple[str, str]:
    who = f" by {', '.join(holders)}" if holders else " by another program"
    who_zh = f"（{', '.join(holders)}）" if holders else ""
    return (f"串口 {path} 正被另一个程序占用{who_zh} (port {path} is busy: it is held{who})",
            "关掉那个程序（串口终端、厂家工具、第二个 jiaohao serve），或停掉它的服务："
            "`sudo systemctl stop jiaohao-serve` (close the other program: a serial terminal, a vendor tool, "
            "a second `jiaohao serve`, or stop its service)")


WHAT_ZH = {"keypad": "呼叫器", "evaluator": "评价器", "screen": "窗口屏", "window screen": "窗口屏", "device": "设备"}


def no_answer(bus: str, address: int, what: str = "device") -> tuple[str, str]:
    zh = WHAT_ZH.get(what, what)
    return (f"总线 {bus} 地址 {address} 的{zh}没有应答 (no answer at address {address} on bus {bus}: {what})",
            f"检查{zh}是否通电、地址开关/设置是不是 {address}、RS-485 接线（A 接 A，B 接 B，两端各接 120 Ω "
            f"终端电阻）；`jiaohao diag bus {bus} --scan` 显示哪些地址有应答 (check that the {what} is powered, "
            f"that its address switch/setting is {address}, and the RS-485 wiring: A to A, B to B, 120 Ω "
            f"terminator at each end; the scan shows which addresses answer)")


def bad_crc(bus: str, rate: float) -> tuple[str, str]:
    return (f"总线 {bus} 上 {rate:.0%} 的应答是乱码（校验错） ({rate:.0%} of the replies on bus {bus} are "
            "garbled: bad CRC)",
            "检查 RS-485 线 A/B 有没有松动或接反，两端装上 120 Ω 终端电阻，线远离强电，所有设备波特率一致 "
            "(check the RS-485 cable for a loose or swapped A/B wire, fit the 120 Ω terminators at both ends, "
            "keep the cable away from mains wiring, and check that every device uses the same baud rate)")


PRINTER_LEVELS = {
    "paper_out": ("缺纸 (out of paper)", "打开上盖，装一卷新的热敏纸（光面朝打印头），合上盖子 (open the cover, "
                  "put in a new roll of thermal paper, shiny side to the head, close the cover)"),
    "near_end": ("纸将尽 (paper nearly out)", "准备一卷新热敏纸，尽快更换 (have a new roll of thermal paper ready "
                 "and change it soon)"),
    "cover_open": ("上盖打开 (the cover is open)", "把打印机上盖压紧，听到咔哒一声 (close the printer cover until it clicks)"),
    "offline": ("脱机：打印机不应答 (offline: the printer does not answer)",
                "检查打印机电源和连接线，再关掉重开 (check the printer's power and its cable, then switch it off and on again)"),
}


def printer_problem(level: str) -> tuple[str, str]:
    return PRINTER_LEVELS.get(level, (f"打印机报告 (printer reports) {level}", "关掉打印机再打开 (switch the printer off and on again)"))


def holders_of(path: str) -> list[str]:
    """Processes that have ``path`` open ("1234 minicom"), from /proc; empty when unknown."""
    try:
        target = os.path.realpath(path)
    except OSError:
        return []
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        if proc.name == str(os.getpid()):
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.path.realpath(fd) == target:
                    name = (proc / "comm").read_text().strip()
                    out.append(f"{proc.name} {name}")
                    break
        except OSError:
            continue
    return out


def open_error(path: str, exc: BaseException) -> tuple[str, str]:
    """Reason and fix for an error opening serial ``path``."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOENT or "No such file" in text or "could not open port" in text and not os.path.exists(path):
        return port_missing(path)
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return permission_denied(path)
    if code == errno.EBUSY or "exclusively lock" in text or "busy" in text.lower():
        return port_busy(path, holders_of(path))
    return (f"打不开 (cannot open) {path}: {text}", "拔下转换器再插上；还不行就重启电脑 "
            "(unplug and plug in the adapter again; if it persists, restart the computer)")
