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
            return [CheckResult(device, False, f"没能从大厅服务器读到 (not read from the hall server): {e}",
                                "看上面大厅服务器那一行；在此期间取号机不显示办事指南按钮 (see the hall server's line "
                                "above; the kiosk shows no 办事指南 button meanwhile)")]
        return [CheckResult(device, True, f"从大厅服务器读到 {len(guide)} 项 ({len(guide)} items from the hall server)")]
    from config.guide import guide_folder, hall_problems, read_folder
    folder = guide_folder(ctx.config_path, ctx.config.guide.folder)
    if not folder.exists():
        return [CheckResult(device, True, f"没有（没有文件夹 {folder}），取号机不显示办事指南按钮 "
                                          f"(none, no folder {folder}: the kiosk shows no 办事指南 button)")]
    entries, problems = read_folder(folder)
    problems += hall_problems(entries, ctx.config, folder)
    if problems:
        return [CheckResult(device, False, f"{folder} 里有 {len(problems)} 处问题 ({len(problems)} problem(s)), "
                                          f"第一处 first: {problems[0]}",
                            "运行 `jiaohao guide check`，逐行改正它列出的问题（改好之前 serve 继续用上一份完好的指南） "
                            "(run it and fix each line it prints; serve keeps the last good guide until then)")]
    sample = sum(e.sample for e in entries)
    return [CheckResult(device, True, f"{folder} 里有 {len(entries)} 项" + (f"，其中 {sample} 项是示例文字" if sample else "")
                        + f" ({len(entries)} items" + (f", {sample} of them sample text)" if sample else ")"))]
