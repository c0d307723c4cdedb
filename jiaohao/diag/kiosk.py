"""The kiosk's PINs for `jiaohao diag check`: set, and not the demo's published ones on real devices."""
from __future__ import annotations

from . import CheckResult


def check(ctx) -> list[CheckResult]:
    from kiosk.pins import DEMO_PINS, ROLE_WORDS, ROLE_ZH, demo_pin_roles

    k = ctx.config.kiosk
    device = "kiosk PINs"
    if not k.technician_pin_hash:
        return [CheckResult(device, False, "没有设技术人员密码，技术员菜单打不开（照常取号） (no technician PIN is set: "
                                           "the technician menu cannot be opened; tickets are still issued)",
                            "运行 `jiaohao pin set --role technician`，再重启取号机 (then restart the kiosk)")]
    if k.priority_rule == "pin" and not k.priority_pin_hash:
        return [CheckResult(device, False, "绿色通道需要工作人员密码但还没设，所以关闭了 (the green channel needs "
                                           "a staff PIN and none is set, so it is off)",
                            "运行 `jiaohao pin set --role green`，再重启取号机 (then restart the kiosk)")]
    if k.priority_rule == "pin":
        green, green_zh = "green channel behind a staff PIN", "绿色通道凭工作人员密码"
    else:
        green, green_zh = "green channel open to anyone", "绿色通道人人可用"
    demo = demo_pin_roles(k)
    if demo:
        words = " and ".join(f"{ROLE_WORDS[r]} {DEMO_PINS[r]}" for r in demo)
        words_zh = " 和 ".join(f"{ROLE_ZH[r]} {DEMO_PINS[r]}" for r in demo)
        if not ctx.config.printer.url.startswith("sim://"):
            return [CheckResult(device, False, f"真实取号机上用的是演示大厅公开的{words_zh} "
                                               f"(the demo hall's published {words} on a real kiosk)",
                                "运行 `jiaohao pin set --role " + " / --role ".join(demo) + "`，再重启取号机 "
                                "(then restart the kiosk)")]
        return [CheckResult(device, True, f"技术人员密码已设，{green_zh}；用的是演示公开的{words_zh}，仅限演示 "
                                          f"(technician PIN set, {green}; the demo's published {words}: demo only)")]
    return [CheckResult(device, True, f"技术人员密码已设，{green_zh} (technician PIN set, {green})")]
