"""`jiaohao diag …`: find, test and fix devices, for technicians who are not programmers."""
from __future__ import annotations

import json
from importlib import import_module

from ..diag import AREAS, CheckResult


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
    c.set_defaults(func=check)
    for area in _areas():
        if hasattr(area, "register"):
            area.register(s)


def run_checks(ctx) -> list[CheckResult]:
    results: list[CheckResult] = []
    for area in _areas():
        if hasattr(area, "check"):
            try:
                results.extend(area.check(ctx))
            except Exception as e:  # noqa: BLE001 - a broken check is itself a finding
                results.append(CheckResult(area.__name__.rsplit(".", 1)[-1], False,
                                           f"the check itself failed: {e}", "report this to the supplier"))
    return results


def check(ctx, args) -> int:
    results = run_checks(ctx)
    healthy = all(r.ok for r in results)
    if getattr(args, "json", False):
        print(json.dumps({"ok": healthy, "devices": [r.to_json() for r in results]}, ensure_ascii=False))
    else:
        for r in results:
            print(f"{'OK  ' if r.ok else 'FAIL'} {r.device}: {r.detail}")
            if not r.ok and r.fix:
                print(f"     fix: {r.fix}")
        bad = sum(not r.ok for r in results)
        print(f"{len(results)} device(s) checked, {bad} with a problem" if bad else
              f"{len(results)} device(s) checked, all healthy")
    return 0 if healthy else 1


def _gui_or_help(ctx, args) -> int:
    if args.gui:
        try:
            gui = import_module("jiaohao.diag.gui")
        except ModuleNotFoundError:
            print("jiaohao: the diagnostics panel is not available in this build")
            return 2
        return gui.run(ctx)
    args._parser.print_help()
    return 0
