"""The kiosk's PINs for `jiaohao diag check`: set, and not the demo's published ones on real devices."""
from __future__ import annotations

from . import CheckResult


def check(ctx) -> list[CheckResult]:
    from kiosk.pins import DEMO_PINS, ROLE_WORDS, demo_pin_roles

    k = ctx.config.kiosk
    device = "kiosk PINs"
    if not k.technician_pin_hash:
        return [CheckResult(device, False, "no technician PIN is set: the technician menu cannot be opened "
                                           "(tickets are still issued)",
                            "run `jiaohao pin set --role technician`, then restart the kiosk")]
    if k.priority_rule == "pin" and not k.priority_pin_hash:
        return [CheckResult(device, False, "the green channel needs a staff PIN and none is set, so it is off",
                            "run `jiaohao pin set --role green`, then restart the kiosk")]
    green = "green channel behind a staff PIN" if k.priority_rule == "pin" else "green channel open to anyone"
    demo = demo_pin_roles(k)
    if demo:
        words = " and ".join(f"{ROLE_WORDS[r]} {DEMO_PINS[r]}" for r in demo)
        if not ctx.config.printer.url.startswith("sim://"):
            return [CheckResult(device, False, f"the demo hall's published {words} on a real kiosk",
                                "run `jiaohao pin set --role " + " / --role ".join(demo) + "`, then restart the kiosk")]
        return [CheckResult(device, True, f"technician PIN set, {green} (the demo's published {words}: demo only)")]
    return [CheckResult(device, True, f"technician PIN set, {green}")]
