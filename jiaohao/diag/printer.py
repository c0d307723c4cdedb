"""`jiaohao diag printer [--test]`: the ticket printer's state in plain words, and a test page."""
from __future__ import annotations

import json

from . import CheckResult

LEVEL_WORDS = {
    "ok": "正常 ready",
    "near_end": "纸将用完 paper low",
    "paper_out": "缺纸 out of paper",
    "cover_open": "机盖打开 cover open",
    "offline": "不可用 not available",
}


def fix_for(status, cfg_printer) -> str:
    """The thing to try, for a technician, for this status."""
    url = cfg_printer.url
    if status.level == "near_end":
        return "尽快换一卷新纸 (replace the paper roll soon)"
    if status.level == "paper_out":
        return (f"装一卷新的 {cfg_printer.paper_mm} 毫米热敏纸（光面朝打印头），再合上盖子 "
                f"(load a new {cfg_printer.paper_mm} mm thermal roll, shiny side towards the print head, and close the cover)")
    if status.level == "cover_open":
        return "把打印机上盖压紧，听到咔哒一声 (close the printer cover firmly until it clicks)"
    if status.cause == "no_connection":
        if url.startswith("usb://"):
            return ("检查 USB 线和电源；lsusb 要能列出配置里的 VID:PID；服务用户要有设备权限（udev 规则） "
                    "(check the USB cable and power; `lsusb` must list the VID:PID in the config; "
                    "the service user needs access to the device: udev rule)")
        if url.startswith(("tcp://", "socket://")):
            return ("检查电源和网线；ping 一下打印机；它的自检页上印有 IP 地址 "
                    "(check power and network cable; ping the printer; its self-test page shows its IP address)")
        return "检查电源和连接线，以及配置里的串口是否存在 (check power and cable, and that the port in the config exists)"
    if status.cause == "no_answer":
        return ("连接已打开但打印机不应答：检查是否开机、连接线和波特率（按住 FEED 键开机可打印设置） "
                "(the connection opened but the printer does not answer: check that it is switched on, "
                "the cable, and the baud rate; hold FEED while switching on to print its settings)")
    if status.cause == "garbled":
        return ("配置里的波特率可能与打印机不同；打印自检页查看 "
                "(the baud rate in the config probably differs from the printer's; print its self-test page to see it)")
    if status.cause == "cutter":
        return "打开上盖，取出切刀处卡住的纸，再合上 (open the cover, remove jammed paper from the cutter, close the cover)"
    if status.cause == "overheat":
        return ("等几分钟让打印头冷却；别让打印机晒太阳 "
                "(wait a few minutes for the print head to cool down; keep the printer out of the sun)")
    if status.cause == "fatal":
        return ("关掉打印机再打开；仍然出错请找供应商维修 "
                "(switch the printer off and on; if the error stays, call the supplier for repair)")
    if status.level == "offline":
        return ("看打印机面板指示灯、上盖和纸；关掉再打开 "
                "(check the printer's panel lights, the cover and the paper; switch it off and on)")
    return ""


def _describe(cfg_printer, st) -> list[str]:
    lines = [f"打印机 printer: {cfg_printer.url}  ({cfg_printer.paper_mm} mm, {cfg_printer.mode} mode, "
             f"{cfg_printer.encoding.upper()})",
             f"状态 status: {LEVEL_WORDS[st.level]} — {st.message_zh} / {st.message_en}"]
    if st.raw:
        lines.append(f"DLE EOT answers: {st.raw_text()}")
    if st.detail:
        lines.append(f"detail: {st.detail}")
    fix = fix_for(st, cfg_printer)
    if fix:
        lines.append(f"fix: {fix}")
    return lines


def _sim_png(url: str):
    from drivers.printer import PrinterSimulator
    from drivers.transport import get_sim, sim_name
    name = sim_name(url.split("?")[0])
    sim = get_sim(name) if name else None
    return sim.pngs[-1] if isinstance(sim, PrinterSimulator) and sim.pngs else None


def run(ctx, args) -> int:
    from drivers.printer import PrinterError, open_printer
    cfg_printer = ctx.config.printer
    printer = open_printer(cfg_printer)
    try:
        st = printer.status()
        result = {"url": cfg_printer.url, "status": st.to_json(), "fix": fix_for(st, cfg_printer)}
        lines = _describe(cfg_printer, st)
        code = 0 if st.ok else 1
        if args.test:
            try:
                printer.print_test_page(ctx.config.hall.name)
                png = _sim_png(cfg_printer.url)
                result["test_page"] = {"printed": True, "png": str(png) if png else None}
                lines.append("测试页已打印 test page printed: sizes 1x-4x, Chinese, punctuation, a QR code"
                             + (f" -> {png}" if png else ""))
            except PrinterError as e:
                result["test_page"] = {"printed": False, "error": str(e)}
                lines.append(f"测试页未打印 test page NOT printed: {e}")
                code = 1
    finally:
        printer.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print("\n".join(lines))
    return code


def register(diag_sub) -> None:
    p = diag_sub.add_parser("printer", help="ticket printer: status in plain words; --test prints a test page")
    p.add_argument("--test", action="store_true", help="print a test page (every size, Chinese, a QR code)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=run)


def check(ctx) -> list[CheckResult]:
    from drivers.printer import open_printer
    cfg_printer = ctx.config.printer
    printer = open_printer(cfg_printer)
    try:
        st = printer.status()
    finally:
        printer.close()
    detail = f"{st.message_zh} ({st.message_en})"
    if st.raw:
        detail += f"; DLE EOT {st.raw_text()}"
    if st.detail:
        detail += f"; {st.detail}"
    return [CheckResult(f"printer {cfg_printer.url}", st.ok, detail, fix_for(st, cfg_printer))]
