#!/usr/bin/env python3
"""Voice figures: how long from a CALL to the module's first byte, how long the local
engines take to make an announcement, and how long the sample call sounds.

    python benchmarks/voice.py [--calls 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import DEMO_HALL, load_hall  # noqa: E402
from display.announcer import Announcer  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402
from drivers.tts.clips import ClipsEngine  # noqa: E402
from drivers.tts.local import EspeakEngine  # noqa: E402
from drivers.tts.serial_engine import SerialTTSEngine  # noqa: E402
from drivers.tts.simulator import TTSModuleSimulator  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402

CALL = "请A零二三号到五号窗口办理"


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def call_to_module(calls: int) -> None:
    """CALL committed → the synthesize frame decoded by the simulated SYN6288."""
    cfg = load_hall(DEMO_HALL)
    voice = cfg.voice.model_copy(update={"repeat": 1, "chime": False, "max_age_s": 0})
    sim = TTSModuleSimulator("syn6288", seconds_per_char=0.01)
    register_sim("bench", sim)
    with tempfile.TemporaryDirectory() as tmp:
        queue = HallQueue(Path(tmp) / "hall.sqlite", cfg, FixedClock(datetime(2026, 11, 23, 9, 0)))
        queue.login(1, "bench")
        for _ in range(calls):
            queue.issue("A")
        announcer = Announcer(queue, voice, engine=SerialTTSEngine("sim://bench", "syn6288"), poll_s=0.15)
        announcer.start()
        latencies = []
        try:
            for i in range(calls):
                start = time.monotonic()
                queue.call_next(1)
                sim.wait_spoken(i + 1, timeout=10)
                latencies.append(time.monotonic() - start)
                announcer.wait_idle(timeout=10)
        finally:
            announcer.stop()
            queue.close()
            unregister_sim("bench")
    print(f"CALL → frame at the module (poll every 150 ms): {ms(latencies)} over {calls} calls; "
          f"interrupted frames: {len(sim.interrupted)}")


def local_engines(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, engine in (("espeak-ng program", EspeakEngine(output=tmp)),
                             ("clips", ClipsEngine(output=tmp))):
            times = []
            sound = None
            for _ in range(calls):
                start = time.monotonic()
                sound = engine.announcement(CALL, repeat=2, chime=True)
                times.append(time.monotonic() - start)
            print(f"{name}: making chime + call ×2: {ms(times)}; the sound lasts {sound.seconds:.2f} s "
                  f"(call alone {engine.render(CALL).seconds:.2f} s)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=10)
    args = p.parse_args()
    frame = 3 + 2 + len(("[v7][t2]" + CALL).encode("gb2312")) + 1
    print(f"a SYN6288 frame for the sample call: {frame} bytes, {frame * 10 / 9600 * 1000:.0f} ms on the wire at 9600")
    call_to_module(args.calls)
    local_engines(args.calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
