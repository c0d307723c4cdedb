"""`jiaohao config check`: validate the hall file and print what it describes."""
from __future__ import annotations

from collections import Counter

from ..cli import emit


def register(sub) -> None:
    p = sub.add_parser("config", help="hall configuration")
    s = p.add_subparsers(dest="config_command", metavar="ACTION")
    s.required = True
    c = s.add_parser("check", help="validate the hall file and print a summary")
    c.add_argument("--json", action="store_true", help="one JSON object on stdout")
    c.set_defaults(func=check)


def check(ctx, args) -> int:
    cfg = ctx.config
    devices = Counter()
    for w in cfg.windows:
        for kind in ("keypad", "evaluator", "screen"):
            if getattr(w, kind):
                devices[kind] += 1
    summary = {
        "file": str(ctx.config_path), "ok": True, "hall": cfg.hall.name,
        "services": len(cfg.services), "windows": len(cfg.windows),
        "departments": len({w.department for w in cfg.windows if w.department}),
        "zones": len({s.zone for s in cfg.services if s.zone}),
        "buses": {name: {"url": b.url, "baud": b.baud} for name, b in cfg.buses.items()},
        "devices": dict(devices), "printer": cfg.printer.url, "voice": cfg.voice.engine,
        "boards": len(cfg.boards), "strategy": cfg.rules.strategy,
    }
    buses = ", ".join(f"{n} ({b.url} @{b.baud})" for n, b in cfg.buses.items()) or "无 (none)"
    text = (f"正常 (OK) {ctx.config_path}\n"
            f"  {cfg.hall.name}：{summary['services']} 个业务，{summary['zones']} 个区；{summary['windows']} 个窗口，"
            f"{summary['departments']} 个部门 ({summary['services']} services in {summary['zones']} zones, "
            f"{summary['windows']} windows of {summary['departments']} departments)\n"
            f"  总线 (buses): {buses}；呼叫键盘 (keypads) {devices['keypad']}，评价器 (evaluators) "
            f"{devices['evaluator']}，窗口屏 (window screens) {devices['screen']}\n"
            f"  打印机 (printer) {cfg.printer.url}（{cfg.printer.paper_mm} mm，{cfg.printer.mode}）；"
            f"语音 (voice) {cfg.voice.engine}；条屏 (LED boards) {len(cfg.boards)}；"
            f"叫号策略 (next-ticket strategy) {cfg.rules.strategy}")
    from kiosk.pins import config_warnings  # the kiosk's PINs (issue 19)
    summary["warnings"] = config_warnings(cfg.kiosk)
    text += "".join(f"\n  警告 (warning): {w}" for w in summary["warnings"])
    emit(args, summary, text)
    return 0
