#!/usr/bin/env python3
"""Draw every kiosk screen at 1080x1920 (portrait) and 1920x1080 (landscape) into
docs/screenshots/kiosk-<screen>-<orientation>.png, with the demo hall, a temporary
queue and the printer simulator (the done screen is a ticket really printed).

    python scripts/kiosk_screenshots.py [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import DEMO_HALL, load_hall  # noqa: E402
from drivers.printer import PrinterSimulator  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402
from kiosk import flow as F  # noqa: E402
from kiosk.pins import DEMO_PINS  # noqa: E402
from kiosk.run import application, build, with_printer  # noqa: E402

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


def wait_for(app, cond, timeout=10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError("the kiosk did not reach the expected screen")
        app.processEvents()
        time.sleep(0.01)


def shoot(app, w, path: Path) -> None:
    for _ in range(3):
        app.processEvents()
    w.grab().save(str(path), "PNG")
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def session(app, cfg, tmp: Path, clock: FixedClock, size, name: str, sim):
    q = HallQueue(tmp / f"{name}.sqlite", cfg, clock)
    w = build(q, cfg, kiosk_name="kiosk1", kiosk_mode=False, voice=False, size=size, start_timers=False)
    w.show()
    return w, q


def type_pin(w, pin: str) -> None:
    for digit in pin:
        w.pin.keypad.buttons[digit].click()
    w.pin.ok.click()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = application()
    sim = PrinterSimulator(name="kiosk-shots")
    register_sim("kiosk-shots", sim)
    cfg = with_printer(load_hall(DEMO_HALL), "sim://kiosk-shots")
    cfg = cfg.model_copy(update={"kiosk": cfg.kiosk.model_copy(update={"confirm": True})})
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            for orient, size in SIZES.items():
                def png(screen: str) -> Path:
                    return out / f"kiosk-{screen}-{orient}.png"

                clock = FixedClock(datetime(2026, 11, 23, 9, 40))
                w, q = session(app, cfg, tmp, clock, size, f"main-{orient}", sim)
                for code, n in {"A": 7, "B": 3, "C": 5, "E": 2, "F": 4, "G": 1}.items():
                    for _ in range(n):
                        q.issue(code)
                w.refresh()
                shoot(app, w, png("home"))
                w.tap_tile(next(t for t in w._tiles if t.code == "A"))
                shoot(app, w, png("confirm"))
                w.confirm.ok.click()
                wait_for(app, lambda: w.flow.screen == F.DONE)
                shoot(app, w, png("done"))
                w.done.ok.click()
                w.toggle_elderly()
                shoot(app, w, png("elderly"))
                w.toggle_elderly()
                w.toggle_language()
                shoot(app, w, png("english"))
                w.toggle_language()
                w.home.green_btn.click()  # the demo's green channel asks for the staff PIN
                w.pin.keypad.buttons["1"].click()
                shoot(app, w, png("green-channel-pin"))
                w.pin.clear()
                type_pin(w, DEMO_PINS["green"])
                shoot(app, w, png("green-channel"))
                w.home.green_btn.click()
                w.open_check_in()
                w.checkin.type_text("YY20261123")
                shoot(app, w, png("check-in"))
                w.flow.back()
                sim.set_status("paper_out")
                w.worker.poll_status()
                wait_for(app, lambda: w.flow.paused)
                shoot(app, w, png("paper-out"))
                sim.set_status("ok")
                w.worker.poll_status()
                wait_for(app, lambda: not w.flow.paused)
                w.technician()  # three wrong technician PINs lock the PIN pad
                for pin in ("1111", "2222", "3333"):
                    type_pin(w, pin)
                shoot(app, w, png("pin-locked"))
                w.flow.guard.clear()
                w.flow.back()
                w.technician()
                type_pin(w, DEMO_PINS["technician"])
                shoot(app, w, png("technician-menu"))
                w.shutdown()
                q.close()

                # A hall file without a technician PIN: the technician is told, the menu stays shut.
                no_pin = cfg.model_copy(update={"kiosk": cfg.kiosk.model_copy(update={"technician_pin_hash": ""})})
                w, q = session(app, no_pin, tmp, clock, size, f"nopin-{orient}", sim)
                w.technician()
                shoot(app, w, png("no-technician-pin"))
                w.shutdown()
                q.close()

                # 08:50: 婚姻登记 opens at 09:00; 不动产登记 has used its 120 tickets.
                clock = FixedClock(datetime(2026, 11, 23, 8, 50))
                w, q = session(app, cfg, tmp, clock, size, f"off-{orient}", sim)
                for _ in range(120):
                    q.issue("C")
                w.refresh()
                shoot(app, w, png("unavailable"))
                w.tap_tile(next(t for t in w._tiles if t.code == "H"))
                shoot(app, w, png("unavailable-message"))
                w.shutdown()
                q.close()
    finally:
        unregister_sim("kiosk-shots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
