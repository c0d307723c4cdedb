"""The demo hall's simulated day as a benchmark: real seconds, the day's figures, and the
keypad press-to-acknowledgement latency of the simulated clerks (real bus code over
pty pairs), with and without the bus simulator's wire-time emulation.

    python benchmarks/demo_day.py [--minutes 60] [--speed 60] [--seed 1]
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import DEMO_HALL, load_hall  # noqa: E402
from jiaohao.demo import runner  # noqa: E402
from jiaohao.demo.runner import DemoHall, DemoOptions  # noqa: E402


def one_run(minutes: float, speed: float, seed: int, wire_time: bool) -> dict:
    runner.WIRE_TIME_MAX_SPEED = speed if wire_time else 0.0
    out = Path(tempfile.mkdtemp(prefix="jiaohao-bench-demo-"))
    hall = DemoHall(load_hall(DEMO_HALL), DEMO_HALL, DemoOptions(speed=speed, minutes=minutes, out_dir=out, seed=seed))
    t0 = time.monotonic()
    hall.start()
    started = time.monotonic() - t0
    t1 = time.monotonic()
    hall.run(threading.Event())
    ran = time.monotonic() - t1
    latencies = []
    for sim in hall.devices.bus_sims.values():
        for dev in sim.devices.values() if hasattr(sim, "devices") else []:
            latencies.extend(getattr(dev, "latencies", []))
    hall.stop()
    s, outputs = hall.summary(), hall.outputs()
    hall.close()
    return {"start_s": started, "run_s": ran, "summary": s, "outputs": outputs, "latencies": latencies}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--speed", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for wire in (True, False):
        r = one_run(args.minutes, args.speed, args.seed, wire)
        s, lat = r["summary"], sorted(r["latencies"])
        print(f"wire time {'on ' if wire else 'off'}: start {r['start_s']:.2f} s, {args.minutes:g} simulated min "
              f"in {r['run_s']:.1f} s at x{args.speed:g}; issued {s.issued}, served {s.served}, calls {s.calls}, "
              f"mean wait {s.mean_wait_min} min; {r['outputs']['ticket_pngs']} PNG, {r['outputs']['voice_wavs']} WAV")
        if lat:
            p90 = lat[int(0.9 * (len(lat) - 1))]
            print(f"  keypad press -> acknowledged: n={len(lat)}, median {statistics.median(lat) * 1000:.0f} ms, "
                  f"p90 {p90 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms "
                  f"(= {statistics.median(lat) * args.speed:.0f} simulated s median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
