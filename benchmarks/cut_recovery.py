"""Recovery after a network cut: `jiaohao serve` on 127.0.0.1 with its simulated devices,
``--screens`` screen PCs (each a RemoteHall with its heartbeat) behind the fault proxy.

Each round: the proxy refuses every connection for ``--cut`` seconds while calls go on
at the controller (one every ``cut / 10`` s), then heals. Printed per round and overall:
how long after the heal each screen had every call made (min / median / max over the
screens), how many calls the voice missed or said twice, and the screens' reconnects.

    python benchmarks/cut_recovery.py [--rounds 3] [--cut 6] [--screens 10]

Everything runs on this machine (2 cores shared with other work in the figures quoted in
docs/network.md), so the spread is partly the machine's.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_hall  # noqa: E402
from hall import FixedClock  # noqa: E402
from hall.remote import RemoteHall  # noqa: E402
from tests.fault_proxy import FaultProxy  # noqa: E402
from tests.net_helpers import NOW, STANDARD_DEVICES, hall_fixture, post_once  # noqa: E402

WINDOWS = (2, 3, 12, 4, 5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cut", type=float, default=6.0, help="seconds each cut lasts (default 6)")
    ap.add_argument("--screens", type=int, default=10, help="screen PCs behind the proxy (default 10)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hall = hall_fixture(Path(tmp), STANDARD_DEVICES)
        proxy = FaultProxy(hall.port, lifetime_s=args.rounds * (args.cut * 3 + 60) + 60)
        proxy.start()
        screens: list[RemoteHall] = []
        try:
            ctl, kiosk = hall.client("controller-1"), hall.client("kiosk-1")
            for w in WINDOWS:
                post_once(ctl, f"/windows/{w}/login", {"staff": f"{w:02d}01"})
            per_round = 20
            for service, n in (("A", 3 * per_round * args.rounds // 5 + 5), ("C", 2 * per_round * args.rounds // 5 + 5)):
                for _ in range(n):
                    post_once(kiosk, "/tickets", {"service": service})
            cfg = load_hall(hall.config)
            for _ in range(args.screens):
                s = RemoteHall(proxy.url, hall.tokens["screen-1"], cfg, timeout_s=3,
                               clock=FixedClock(datetime.fromisoformat(NOW)))
                s.start_heartbeat("screen", every_s=2.0)
                screens.append(s)
            deadline = time.monotonic() + 20
            while not all(s._events is not None and s._events.connected for s in screens):
                if time.monotonic() > deadline:
                    raise SystemExit("the screens did not connect")
                time.sleep(0.05)
            made: list[str] = []
            all_recovery: list[float] = []
            gap = args.cut / 10
            for r in range(args.rounds):
                t0 = time.monotonic()
                for i in range(per_round):
                    while time.monotonic() < t0 + i * gap:
                        time.sleep(0.01)
                    if i == 5:
                        proxy.refuse(args.cut)
                        heal_at = time.monotonic() + args.cut
                    w = WINDOWS[i % len(WINDOWS)]
                    made.append(post_once(ctl, f"/windows/{w}/call").json()["number"])
                    if i == 14:
                        while time.monotonic() < heal_at:
                            time.sleep(0.01)
                        target = hall.serve.health()["last_event_id"]
                        got: dict[int, float] = {}
                        while len(got) < len(screens) and time.monotonic() < heal_at + 30:
                            for k, s in enumerate(screens):
                                if k not in got and s._events.newest_id() is not None \
                                        and s._events.newest_id() >= target:
                                    got[k] = time.monotonic() - heal_at
                            time.sleep(0.01)
                        rec = sorted(got.values())
                        all_recovery += rec
                        print(f"round {r + 1}: {len(rec)}/{len(screens)} screens had every call after "
                              f"{rec[0]:.2f} / {statistics.median(rec):.2f} / {rec[-1]:.2f} s (min/median/max)")
            time.sleep(2.0)
            spoken = Counter(hall.devices.spoken_numbers())
            missed = [n for n in made if spoken[n] == 0]
            doubled = [n for n, k in spoken.items() if k > 1]
            print(f"{args.rounds} cuts of {args.cut:.0f} s, {len(made)} calls, {len(screens)} screens: recovery "
                  f"{min(all_recovery):.2f} / {statistics.median(all_recovery):.2f} / {max(all_recovery):.2f} s; "
                  f"voice missed {len(missed)}, doubled {len(doubled)}; reconnects per screen "
                  f"{statistics.median(s._events.reconnects for s in screens):.0f}")
        finally:
            for s in screens:
                s.close()
            proxy.stop()
            hall.close()


if __name__ == "__main__":
    main()
