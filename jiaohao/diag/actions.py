"""Test actions a technician runs from the diagnostics panel: print a test page, say a
text, show a text on a window screen or an LED board, scan a window bus.

Each returns an :class:`ActionResult` in plain words and never raises for a device
fault: the fault is the result. They use the drivers of each area; ``sim://`` devices
get a simulator when none runs in this process (as ``jiaohao serve`` does).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from . import reasons

log = logging.getLogger(__name__)


@dataclass
class ActionResult:
    ok: bool
    text: str
    fix: str = ""
    files: list[str] = field(default_factory=list)

    def line(self) -> str:
        from . import FAIL_TAG, FIX_INDENT, FIX_TAG, OK_TAG
        fix = f"\n{FIX_INDENT}{FIX_TAG} {self.fix}" if self.fix else ""
        return f"{OK_TAG if self.ok else FAIL_TAG} {self.text}{fix}"


def _missing(part: str, e: Exception) -> ActionResult:
    return ActionResult(False, f"这个版本里没有 (not available in this build): {part} ({e})",
                        "安装完整的 jiaohao 软件包 (install the full jiaohao package)")


def print_test_page(config) -> ActionResult:
    """Print the printer's test page (sizes, Chinese text, a QR code)."""
    try:
        from drivers.printer import PrinterError, open_printer
    except ImportError as e:
        return _missing("the printer driver", e)
    from .printer import fix_for
    printer = open_printer(config.printer)
    try:
        printer.print_test_page(config.hall.name)
        files = []
        try:
            from .printer import _sim_png
            png = _sim_png(config.printer.url)
            files = [str(png)] if png else []
        except Exception:  # noqa: BLE001 - only a nicety for simulated printers
            pass
        return ActionResult(True, f"测试页已在 {config.printer.url} 上打印 (test page printed on {config.printer.url})", files=files)
    except PrinterError as e:
        st = getattr(e, "status", None)
        fix = (fix_for(st, config.printer) if st is not None
               else "检查打印机电源和连接线 (check the printer's power and cable)")
        return ActionResult(False, f"测试页未打印 (test page NOT printed): {e}", fix)
    finally:
        printer.close()


def say(config, text: str, output: str | None = None) -> ActionResult:
    """Say ``text`` on the configured voice engine (or into WAV files in ``output``)."""
    try:
        from drivers.tts import TTSError, open_engine
    except ImportError as e:
        return _missing("the voice driver", e)
    from .voice import _fix
    overrides = {"output": output} if output else {}
    try:
        engine = open_engine(config.voice, **overrides)
    except TTSError as e:
        kind = config.voice.engine
        return ActionResult(False, f"语音引擎 {kind} 打不开 (voice engine {kind} cannot open): {e}", _fix(kind))
    try:
        ok, detail = engine.check()
        if not ok:
            return ActionResult(False, f"语音 (voice) {engine.name}: {detail}", _fix(config.voice.engine))
        engine.announce(text, repeat=1, chime=config.voice.chime)
        written = [str(p) for p in getattr(getattr(engine, "output", None), "written", [])]
        return ActionResult(True, f"语音 {engine.name} 已播报 {text!r} (voice {engine.name} said {text!r})", files=written)
    except TTSError as e:
        return ActionResult(False, f"语音 (voice) {engine.name}: {e}", _fix(config.voice.engine))
    finally:
        engine.close()


def list_ports(config) -> ActionResult:
    """The serial ports and USB printers of this computer, matched against the config."""
    from .ports import ports_report, ports_text
    report = ports_report(config)
    missing = [d for d in report["configured"] if not d["url"].startswith(("sim://", "socket://", "tcp://"))
               and not any(f"({d['url']})" in u for p in report["serial_ports"] + report["usb_printers"]
                           for u in p["used_by"])]
    names = ", ".join(d["device"] for d in missing)
    fix = "" if not missing else f"检查这些设备的线缆和转换器 (check the cables and adapters of): {names}"
    return ActionResult(not missing, ports_text(report), fix)


def _open_bus(config, bus: str):
    from drivers.windowbus import BusSimulator, open_protocol
    if bus not in config.buses:
        raise KeyError(bus)
    return open_protocol(config.buses[bus], bus, default_sim=lambda: BusSimulator.for_config(config, bus))


def bus_devices(config, bus: str) -> list[tuple[int, str]]:
    """``(address, "window 5 keypad")`` of every device configured on ``bus``, by address."""
    out = []
    for w in config.windows:
        for role in ("keypad", "evaluator", "screen"):
            ref = getattr(w, role)
            if ref is not None and ref.bus == bus:
                out.append((ref.address, f"window {w.number} {role}"))
    return sorted(out)


def scan_bus(config, bus: str) -> ActionResult:
    """Ask every configured address on ``bus`` what it is: which answer, kind and version."""
    try:
        from drivers.windowbus import WindowBusError
    except ImportError as e:
        return _missing("the window bus driver", e)
    devices = bus_devices(config, bus)
    if not devices:
        return ActionResult(True, f"总线 (bus) {bus}: 配置里没有设备 (no devices configured)")
    try:
        proto = _open_bus(config, bus)
    except Exception as e:  # noqa: BLE001 - opening the port: missing, busy, no permission
        detail, fix = reasons.open_error(config.buses[bus].url, e)
        return ActionResult(False, f"总线 (bus) {bus}: {detail}", fix)
    lines, silent = [], []
    try:
        for address, what in devices:
            try:
                kind, version = proto.identify(address)
                lines.append(f"  {address:>3}  {what:<22} 有应答 answers: {kind.label_zh} ({kind.name.lower()}), "
                             f"protocol {version}")
            except WindowBusError as e:
                silent.append((address, what))
                lines.append(f"  {address:>3}  {what:<22} 没有应答 NO ANSWER ({e})")
        stats = getattr(proto, "stats", None)
    finally:
        proto.close()
    head = (f"窗口总线 bus {bus}: {len(devices)} 个设备中 {len(devices) - len(silent)} 个有应答 "
            f"({len(devices) - len(silent)} of {len(devices)} devices answer)")
    fix = ""
    if silent:
        address, what = silent[0]
        fix = reasons.no_answer(bus, address, what.split()[-1])[1]
    if stats is not None:
        try:
            c = stats.to_json()
            lines.append("  counters: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.items()))
        except Exception:  # noqa: BLE001
            pass
    return ActionResult(not silent, head + "\n" + "\n".join(lines), fix)


def show_on_window_screen(config, bus: str, address: int, line1: str, line2: str = "") -> ActionResult:
    """Write two lines on the window screen at ``address`` of ``bus``."""
    try:
        from drivers.windowbus import ScreenState, WindowBusError
    except ImportError as e:
        return _missing("the window bus driver", e)
    try:
        proto = _open_bus(config, bus)
    except Exception as e:  # noqa: BLE001
        detail, fix = reasons.open_error(config.buses[bus].url, e)
        return ActionResult(False, f"总线 (bus) {bus}: {detail}", fix)
    try:
        proto.write_screen(address, ScreenState(line1=line1, line2=line2, flash_s=3))
        return ActionResult(True, f"总线 {bus} 地址 {address} 的窗口屏已显示 (window screen at address {address} on bus {bus} "
                                  f"shows) {line1!r}")
    except WindowBusError as e:
        detail, fix = reasons.no_answer(bus, address, "window screen")
        return ActionResult(False, f"{detail}: {e}", fix)
    finally:
        proto.close()


def show_on_board(config, index: int, text: str) -> ActionResult:
    """Show ``text`` (lines split on "|") on LED hall board number ``index`` (0-based)."""
    try:
        from drivers.led import BoardSimulator, HallBoard, LedError
    except ImportError as e:
        return _missing("the LED board driver", e)
    board = config.boards[index]
    hb = HallBoard(board, default_sim=lambda: BoardSimulator.for_board(board))
    try:
        hb.show([part.strip() for part in text.split("|")])
        return ActionResult(True, f"{hb.name} 已显示 {text!r} (shows {text!r})")
    except LedError as e:
        from .boards import fix_for
        return ActionResult(False, str(e), fix_for(str(e), board))
    finally:
        hb.close()
