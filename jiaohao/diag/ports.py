"""`jiaohao diag ports`: which serial ports and USB printers this computer has, and which
of the hall config's devices they are.

Serial ports come from pyserial's ``list_ports`` (with USB VID:PID and description);
USB printers (interface class 7) from pyusb, or from sysfs when libusb is missing.
:func:`check` reports every configured port that is missing, not permitted or busy;
``sim://`` devices run inside jiaohao and are checked by their own areas.
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import CheckResult
from . import reasons

log = logging.getLogger(__name__)

PRINTER_CLASS = 7


@dataclass
class PortInfo:
    device: str
    vid_pid: str = ""
    description: str = ""
    serial_number: str = ""
    used_by: list[str] = field(default_factory=list)  # config devices using it


@dataclass
class UsbPrinter:
    vid_pid: str
    description: str = ""
    bus_address: str = ""
    used_by: list[str] = field(default_factory=list)


def configured_devices(config) -> list[tuple[str, str]]:
    """``(label, url)`` of every device in the hall config that has its own port or URL."""
    out = [(f"bus {name}", bus.url) for name, bus in config.buses.items()]
    out.append(("printer", config.printer.url))
    if config.voice.url and config.voice.engine in ("syn6288", "xfs5152", "syn6658"):
        out.append((f"voice module {config.voice.engine}", config.voice.url))
    for i, board in enumerate(config.boards, 1):
        out.append((f"LED board {board.name or i}", board.url))
    return out


def list_serial_ports() -> list[PortInfo]:
    from serial.tools import list_ports
    ports = []
    for p in sorted(list_ports.comports(), key=lambda p: p.device):
        vid_pid = f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None and p.pid is not None else ""
        desc = p.description if p.description and p.description != "n/a" else ""
        if p.manufacturer and p.manufacturer not in desc:
            desc = f"{p.manufacturer} {desc}".strip()
        ports.append(PortInfo(p.device, vid_pid, desc, p.serial_number or ""))
    return ports


def _usb_printers_pyusb() -> list[UsbPrinter]:
    import usb.core
    import usb.util
    found = []
    for dev in usb.core.find(find_all=True):
        classes = {dev.bDeviceClass}
        try:
            for cfg in dev:
                classes.update(intf.bInterfaceClass for intf in cfg)
        except (usb.core.USBError, NotImplementedError, ValueError):
            pass
        if PRINTER_CLASS not in classes:
            continue
        desc = ""
        try:
            desc = " ".join(x for x in (usb.util.get_string(dev, dev.iManufacturer) if dev.iManufacturer else "",
                                        usb.util.get_string(dev, dev.iProduct) if dev.iProduct else "") if x)
        except (usb.core.USBError, ValueError, NotImplementedError):
            desc = "（名称读不出：没有权限） (name unreadable: no permission)"
        found.append(UsbPrinter(f"{dev.idVendor:04x}:{dev.idProduct:04x}", desc, f"{dev.bus:03d}/{dev.address:03d}"))
    return found


def _usb_printers_sysfs(root: Path = Path("/sys/bus/usb/devices")) -> list[UsbPrinter]:
    found = []
    if not root.is_dir():
        return found
    for intf in root.glob("*:*"):
        try:
            if int((intf / "bInterfaceClass").read_text(), 16) != PRINTER_CLASS:
                continue
            dev = intf.parent if (intf.parent / "idVendor").exists() else root / intf.name.split(":")[0]
            vid, pid = (dev / "idVendor").read_text().strip(), (dev / "idProduct").read_text().strip()
            desc = " ".join((dev / f).read_text().strip() for f in ("manufacturer", "product") if (dev / f).exists())
            busnum, devnum = (int((dev / f).read_text()) for f in ("busnum", "devnum"))
        except (OSError, ValueError):
            continue
        found.append(UsbPrinter(f"{vid}:{pid}", desc, f"{busnum:03d}/{devnum:03d}"))
    return found


def list_usb_printers() -> tuple[list[UsbPrinter], str]:
    """USB printers, and a note when they could not be listed properly."""
    try:
        return _usb_printers_pyusb(), ""
    except Exception as e:  # noqa: BLE001 - no libusb backend, no permission …
        log.info("pyusb cannot list USB devices: %s", e)
        return _usb_printers_sysfs(), f"pyusb 列不出 USB 设备，改读 sysfs (pyusb could not list USB devices ({e}); read sysfs instead)"


def usb_ids(url: str) -> str | None:
    """``"0416:5011"`` for ``usb://0x0416:0x5011`` (or ``usb://0416:5011``), else None."""
    if not url.startswith("usb://"):
        return None
    parts = url[len("usb://"):].split("/")[0].split(":")
    if len(parts) < 2:
        return None
    try:
        return f"{int(parts[0], 16):04x}:{int(parts[1], 16):04x}"
    except ValueError:
        return None


def _is_path(url: str) -> bool:
    return url.startswith("/") or url.upper().startswith("COM")


def match(config, ports: list[PortInfo], printers: list[UsbPrinter]) -> None:
    """Fill ``used_by`` of each port and printer with the config devices that name it."""
    for label, url in configured_devices(config):
        if _is_path(url):
            real = os.path.realpath(url)
            for p in ports:
                if os.path.realpath(p.device) == real:
                    p.used_by.append(f"{label} ({url})")
        elif url.startswith("hwgrep://"):
            pattern = url[len("hwgrep://"):].split("&")[0].lower()
            for p in ports:
                if pattern in f"{p.device} {p.vid_pid} {p.description}".lower():
                    p.used_by.append(f"{label} ({url})")
        ids = usb_ids(url)
        if ids:
            for pr in printers:
                if pr.vid_pid == ids:
                    pr.used_by.append(f"{label} ({url})")


# -- checks ---------------------------------------------------------------------------
def check_serial_path(label: str, path: str) -> CheckResult:
    device = f"{label} {path}"
    if not os.path.exists(path):
        return CheckResult(device, False, *reasons.port_missing(path))
    if not os.access(path, os.R_OK | os.W_OK):
        return CheckResult(device, False, *reasons.permission_denied(path))
    import serial
    try:
        port = serial.Serial(path, exclusive=True, timeout=0)
        port.close()
    except (serial.SerialException, OSError) as e:
        return CheckResult(device, False, *reasons.open_error(path, e))
    holders = reasons.holders_of(path)
    if holders:
        return CheckResult(device, False, *reasons.port_busy(path, holders))
    return CheckResult(device, True, "串口存在，没被占用 (port present and free)")


def check_usb(label: str, url: str, printers: list[UsbPrinter]) -> CheckResult:
    ids = usb_ids(url)
    hits = [p for p in printers if p.vid_pid == ids]
    if not hits:
        return CheckResult(f"{label} {url}", False, f"没有插着 USB 打印机 {ids} (no USB printer {ids} is plugged in)",
                           "检查打印机电源和 USB 线；`jiaohao diag ports` 列出找到的 USB 打印机 "
                           "(check the printer's power and USB cable; it lists the USB printers found)")
    node = Path("/dev/bus/usb") / hits[0].bus_address
    if node.exists() and not os.access(node, os.R_OK | os.W_OK):
        return CheckResult(f"{label} {url}", False, *reasons.permission_denied(str(node), group="lp"))
    return CheckResult(f"{label} {url}", True, f"找到 USB 打印机 USB printer {ids} found ({hits[0].description or 'no name'})")


def check_network(label: str, url: str, timeout: float = 2.0) -> CheckResult:
    hostport = url.split("://", 1)[1].split("/")[0].split("?")[0]
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as e:
        return CheckResult(f"{label} {url}", False, f"网络转换器 {hostport} 没有应答 (the network gateway does not answer: {e})",
                           "检查转换器的电源和网线，以及大厅配置里它的 IP 地址和端口 (check the gateway's power and "
                           "network cable, and its IP address and port in the hall config)")
    return CheckResult(f"{label} {url}", True, f"网络转换器 {hostport} 应答正常 (gateway answers)")


def check(ctx) -> list[CheckResult]:
    """Every configured port: present, permitted, free. ``sim://`` devices are skipped."""
    results = []
    printers: list[UsbPrinter] | None = None
    for label, url in configured_devices(ctx.config):
        if _is_path(url):
            results.append(check_serial_path(label, url))
        elif usb_ids(url):
            if printers is None:
                printers = list_usb_printers()[0]
            results.append(check_usb(label, url, printers))
        elif url.startswith(("socket://", "tcp://")):
            results.append(check_network(label, url))
    return results


# -- the command ------------------------------------------------------------------------
def register(sub) -> None:
    p = sub.add_parser("ports", help="list serial ports and USB printers, matched against the hall config")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=ports_command)


def ports_report(config) -> dict:
    ports = list_serial_ports()
    printers, note = list_usb_printers()
    match(config, ports, printers)
    configured = [{"device": label, "url": url} for label, url in configured_devices(config)]
    return {"serial_ports": [asdict(p) for p in ports], "usb_printers": [asdict(p) for p in printers],
            "configured": configured, "note": note}


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (a CJK character takes two)."""
    import unicodedata
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - cols)


def ports_text(report: dict) -> str:
    lines = ["串口 Serial ports:"]
    for p in report["serial_ports"]:
        ids = p["vid_pid"] or "—"
        used = f"  → {', '.join(p['used_by'])}" if p["used_by"] else ""
        lines.append(f"  {p['device']:<28} {ids:<10} {p['description'] or ''}{used}")
    if not report["serial_ports"]:
        lines.append("  （没有：没插串口或 USB 转串口转换器） (none: no serial port or USB-serial adapter is plugged in)")
    lines.append("USB 打印机 USB printers:")
    for p in report["usb_printers"]:
        used = f"  → {', '.join(p['used_by'])}" if p["used_by"] else ""
        lines.append(f"  {p['vid_pid']:<10} bus/dev {p['bus_address']:<8} {p['description']}{used}")
    if not report["usb_printers"]:
        lines.append("  （没有 none）")
    if report["note"]:
        lines.append(f"  注意 note: {report['note']}")
    lines.append("配置的设备 Devices in the hall config:")
    found = {u for p in report["serial_ports"] + report["usb_printers"] for u in p["used_by"]}
    for d in report["configured"]:
        url = d["url"]
        if url.startswith("sim://"):
            state = "模拟器，在 jiaohao 内运行 (simulator, runs inside jiaohao)"
        elif url.startswith(("socket://", "tcp://", "rfc2217://")):
            state = "网络转换器，见 `jiaohao diag check` (network gateway)"
        elif any(f"({url})" in u for u in found):
            state = "已找到 found"
        else:
            state = "本机上没找到 NOT FOUND on this computer"
        lines.append(f"  {_pad(d['device'], 24)}{_pad(url, 30)}{state}")
    return "\n".join(lines)


def ports_command(ctx, args) -> int:
    from jiaohao.cli import emit
    report = ports_report(ctx.config)
    emit(args, report, ports_text(report))
    return 0
