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
    return (f"port {path} does not exist (nothing plugged in there)",
            "check the cable and the USB-serial adapter (is its light on?), then run "
            "`jiaohao diag ports` to see which ports this computer has and put the right one in the hall config")


def permission_denied(path: str, group: str = "dialout") -> tuple[str, str]:
    return (f"no permission to open {path} (it belongs to the group {group!r})",
            f"install the udev rule: `sudo cp {UDEV_RULE} /etc/udev/rules.d/ && sudo udevadm control --reload "
            f"&& sudo udevadm trigger`, or add the user: `sudo usermod -aG {group} {_user()}` and log in again")


def port_busy(path: str, holders: list[str] | None = None) -> tuple[str, str]:
    who = f" by {', '.join(holders)}" if holders else " by another program"
    return (f"port {path} is busy: it is held{who}",
            "close the other program (a serial terminal, a vendor tool, a second `jiaohao serve`), "
            "or stop its service: `sudo systemctl stop jiaohao-serve`")


def no_answer(bus: str, address: int, what: str = "device") -> tuple[str, str]:
    return (f"no answer at address {address} on bus {bus} ({what})",
            f"check that the {what} is powered, that its address switch/setting is {address}, and the RS-485 "
            "wiring (A to A, B to B, 120 Ω terminator at each end); `jiaohao diag bus "
            f"{bus} --scan` shows which addresses answer")


def bad_crc(bus: str, rate: float) -> tuple[str, str]:
    return (f"{rate:.0%} of the replies on bus {bus} are garbled (bad CRC)",
            "check the RS-485 cable for a loose or swapped A/B wire, fit the 120 Ω terminators at both ends, "
            "keep the cable away from mains wiring, and check that every device uses the same baud rate")


PRINTER_LEVELS = {
    "paper_out": ("out of paper (缺纸)", "open the cover, put in a new roll of thermal paper (shiny side to the head), close the cover"),
    "near_end": ("paper nearly out (纸将尽)", "have a new roll of thermal paper ready and change it soon"),
    "cover_open": ("the cover is open (上盖打开)", "close the printer cover until it clicks"),
    "offline": ("offline: the printer does not answer (脱机)",
                "check the printer's power and its cable, then switch it off and on again"),
}


def printer_problem(level: str) -> tuple[str, str]:
    return PRINTER_LEVELS.get(level, (f"printer reports {level}", "switch the printer off and on again"))


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
    return (f"cannot open {path}: {text}", "unplug and plug in the adapter again; if it persists, restart the computer")
