"""The service guide for `jiaohao diag check`: its files read and match the hall (on a PC
that uses a hall server: the server hands it out)."""
from __future__ import annotations

from . import CheckResult


def check(ctx) -> list[CheckResult]:
    device = "service guide (办事指南)"
    if ctx.server:
        from hall.errors import HallError
        try:
            _, guide = ctx.hall.guide()
        except HallError as e:
            return [CheckResult(device, False, f"not read from the hall server: {e}",
                                "see the hall server's line above; the kiosk shows no 办事指南 button meanwhile")]
        return [CheckResult(device, True, f"{len(guide)} items from the hall server")]
    from config.guide import guide_folder, hall_problems, read_folder
    folder = guide_folder(ctx.config_path, ctx.config.guide.folder)
    if not folder.exists():
        return [CheckResult(device, True, f"none (no folder {folder}): the kiosk shows no 办事指南 button")]
    entries, problems = read_folder(folder)
    problems += hall_problems(entries, ctx.config, folder)
    if problems:
        return [CheckResult(device, False, f"{len(problems)} problem(s) in {folder}, first: {problems[0]}",
                            "run `jiaohao guide check` and fix each line it prints (serve keeps the last good "
                            "guide until then)")]
    sample = sum(e.sample for e in entries)
    return [CheckResult(device, True, f"{len(entries)} items in {folder}"
                        + (f" ({sample} of them sample text)" if sample else ""))]
