"""`jiaohao diag …`: find, test and fix devices, for technicians who are not programmers."""
from __future__ import annotations

import json
import threading
from importlib import import_module

from ..diag import AREAS, FIX_INDENT, FIX_TAG, CheckResult, line
from .inputs import server_options
from ..context import CommandError

# On a PC that uses a hall server: the database and its backups are the server's; the
# buses, boards, voice and their ports are the controller's unless this PC's own hall
# file (--config) names devices of its own.
SERVER_SIDE = {"jiaohao.diag.database", "jiaohao.diag.backups", "jiaohao.diag.ratings", "jiaohao.diag.city"}
CONTROLLER_SIDE = {"jiaohao.diag.bus", "jiaohao.diag.boards", "jiaohao.diag.voice", "jiaohao.diag.ports"}


def _areas():
    for name in AREAS:
        try:
            yield import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise


def register(sub) -> None:
    p = sub.add_parser("diag", help="diagnostics: find, test and fix devices")
    p.add_argument("--gui", action="store_true", help="open the diagnostics panel")
    p.set_defaults(func=_gui_or_help, _parser=p)
    s = p.add_subparsers(dest="diag_command", metavar="ACTION")
    c = s.add_parser("check", help="check every configured device; exit 0 only if all are healthy")
    c.add_argument("--json", action="store_true", help="one JSON object on stdout")
    server_options(c)
    c.set_defaults(func=check)
    for area in _areas():
        if hasattr(area, "register"):
            area.register(s)


CHECK_TIMEOUT_S = 60.0  # one area's check; a hung device must not hang a cron job


def _check_area(area, ctx, timeout_s: float) -> list[CheckResult]:
    """``area.check(ctx)`` in a daemon thread, so a device that hangs is reported, not waited for."""
    name = area.__name__.rsplit(".", 1)[-1]
    box: dict = {}

    def work():
        try:
            box["results"] = list(area.check(ctx))
        except Exception as e:  # noqa: BLE001 - a broken check is itself a finding
            box["error"] = e

    t = threading.Thread(target=work, name=f"diag-check-{name}", daemon=True)
    t.start()
    t.join(timeout_s)
    if t.is_alive():
        return [CheckResult(name, False, f"{timeout_s:.0f} 秒内没有查完，某个设备或串口卡住了 "
                            f"(the {name} check did not finish in {timeout_s:.0f} s: a device or port hangs)",
                            "拔下再插上该设备的线或转换器，然后再检查一次 "
                            "(unplug and plug in that device's cable or adapter, then check again)")]
    if "error" in box:
        return [CheckResult(name, False, f"检查程序本身出错 (the check itself failed): {box['error']}",
                            "请报告给供应商 (report this to the supplier)")]
    return box["results"]


def run_checks(ctx, timeout_s: float = CHECK_TIMEOUT_S) -> list[CheckResult]:
    results: list[CheckResult] = []
    remote = bool(getattr(ctx, "server", None))
    for area in _areas():
        if remote and (area.__name__ in SERVER_SIDE or area.__name__ in CONTROLLER_SIDE and not ctx.config_given):
            continue
        if hasattr(area, "check"):
            results.extend(_check_area(area, ctx, timeout_s))
    return results


def check(ctx, args) -> int:
    results = run_checks(ctx)
    healthy = all(r.ok for r in results)
    if getattr(args, "json", False):
        print(json.dumps({"ok": healthy, "devices": [r.to_json() for r in results]}, ensure_ascii=False))
    else:
        for r in results:
            print(line(r))
            if not r.ok and r.fix:
                print(f"{FIX_INDENT}{FIX_TAG} {r.fix}")
        bad = sum(not r.ok for r in results)
        print(f"共检查 {len(results)} 项，{bad} 项有问题 ({len(results)} device(s) checked, {bad} with a problem)"
              if bad else f"共检查 {len(results)} 项，全部正常 ({len(results)} device(s) checked, all healthy)")
    return 0 if healthy else 1


def _gui_or_help(ctx, args) -> int:
    if args.gui:
        from .display import need_display
        need_display("the diagnostics panel", screenshot=False)  # Qt would abort the process (status 134)
        try:
            gui = import_module("jiaohao.diag.gui")
        except ModuleNotFoundError:
            raise CommandError("这个版本没有诊断面板 (the diagnostics panel is not available in this build)") from None
        return gui.run(ctx)
    args._parser.print_help()
    return 0
