"""Kiosk benchmark: tap-to-last-printer-byte time and start-up time.

- Tap to last printer byte: a tap on a service tile (QTest mouse click on the real
  KioskWindow) until the printer simulator on its pty has received the ticket's cut
  command (the job's last byte). The path is the real one: flow → issuing thread →
  TicketIssuer (DLE EOT status query, queue transaction, ESC/POS bytes) → pty → simulator.
- Start-up: building and showing the window in a running process (queue, issuer,
  hall figures, first render), and a cold ``jiaohao kiosk --screenshot`` process
  (Python and Qt imports included).

    python benchmarks/kiosk_bench.py [--taps 30] [--size 1080x1920]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from config import DEMO_HALL, load_hall  # noqa: E402
from drivers.printer import PrinterSimulator  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402
from kiosk import flow as F  # noqa: E402
from kiosk.run import application, build, with_printer  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description="kiosk tap-to-print and start-up times")
    ap.add_argument("--taps", type=int, default=30)
    ap.add_argument("--size", default="1080x1920")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    app = application()
    sim = PrinterSimulator(name="kiosk-bench")
    register_sim("kiosk-bench", sim)
    cfg = with_printer(load_hall(DEMO_HALL), "sim://kiosk-bench")
    services = [s.code for s in cfg.services]
    try:
        with tempfile.TemporaryDirectory() as d:
            q = HallQueue(Path(d) / "bench.sqlite", cfg, FixedClock(datetime(2026, 11, 23, 9, 30)))
            t0 = time.perf_counter()
            w = build(q, cfg, kiosk_name="bench", kiosk_mode=False, voice=False, size=size, start_timers=False)
            w.show()
            app.processEvents()
            startup_in_process = time.perf_counter() - t0

            lat = []
            for i in range(args.taps):
                tile = w.home.tile(services[i % len(services)])
                before = len(sim.jobs)
                t = time.perf_counter()
                QTest.mouseClick(tile, Qt.LeftButton)
                while len(sim.jobs) <= before:
                    app.processEvents()
                    time.sleep(0.0005)
                lat.append(time.perf_counter() - t)
                while w.flow.screen != F.DONE:  # let the screen catch up before the next tap
                    app.processEvents()
                    time.sleep(0.001)
                QTest.mouseClick(w.done.ok, Qt.LeftButton)
            w.shutdown()
            w.issuer.printer.close()
            q.close()
            issued = len(sim.jobs)
    finally:
        unregister_sim("kiosk-bench")

    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "JIAOHAO_DB": str(Path(d) / "cold.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:30:00",
               "QT_QPA_PLATFORM": "offscreen"}
        env.pop("JIAOHAO_CONFIG", None)
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "jiaohao", "kiosk", "--screenshot", str(Path(d) / "k.png"),
                            "--size", args.size, "--printer", "sim://cold"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
        cold = time.perf_counter() - t
        if p.returncode != 0:
            print(p.stderr, file=sys.stderr)

    ms = [v * 1000 for v in lat]
    print(f"kiosk benchmark ({args.size}, demo hall, printer simulator on a pty)")
    print(f"  tap -> last printer byte, {len(ms)} taps, {issued} jobs printed: "
          f"p50 {statistics.median(ms):.1f} ms, p95 {pct(ms, 95):.1f} ms, max {max(ms):.1f} ms")
    print(f"  start-up in process (window built, figures read, first render): {startup_in_process * 1000:.0f} ms")
    print(f"  cold start to first screen (jiaohao kiosk --screenshot, imports included): {cold:.2f} s")
    return 0 if issued == args.taps else 1


if __name__ == "__main__":
    sys.exit(main())
