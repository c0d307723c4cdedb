"""Offline ticket merge: how long the hall server takes to merge what kiosks issued
through a cut (hall/leases.py), in-process on the large hall (72 windows).

A busy morning is issued online first (``--waiting`` tickets spread over the services),
then ``--kiosks`` kiosks each upload ``--tickets`` offline tickets of 10 minutes in one
request, as kiosk/offline.py does on reconnect. Prints the time of each upload, the
tickets merged per second, and checks: no number twice, every offline ticket present.

    python benchmarks/offline_merge.py [--kiosks 4] [--tickets 200] [--waiting 2000]
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import HALLS_DIR, load_hall  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402
from hall.leases import LeaseBook  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=4)
    ap.add_argument("--tickets", type=int, default=200, help="offline tickets per kiosk")
    ap.add_argument("--waiting", type=int, default=2000, help="tickets issued online before")
    args = ap.parse_args()
    cfg = load_hall(HALLS_DIR / "large.toml")
    cfg = cfg.model_copy(update={"kiosk": cfg.kiosk.model_copy(update={"lease_size": args.tickets})})
    codes = [s.code for s in cfg.services if not s.daily_cap]
    clock = FixedClock(datetime(2026, 11, 23, 8, 30))
    with tempfile.TemporaryDirectory() as d:
        q = HallQueue(Path(d) / "hall.sqlite", cfg, clock)
        book = LeaseBook(q)
        t0 = clock().timestamp()
        leases = {f"kiosk-{k}": {l["prefix"]: l for l in book.grant(f"kiosk-{k}", t0)["leases"]}
                  for k in range(args.kiosks)}
        for i in range(args.waiting):
            clock.advance(seconds=1)
            q.issue(codes[i % len(codes)])
        clock.advance(minutes=10)
        times = []
        for k, (name, held) in enumerate(leases.items()):
            batch = []
            for i in range(args.tickets):
                code = codes[(i + k) % len(codes)]
                lease = held[cfg.service(code).ticket_prefix]
                used = sum(1 for t in batch if t["lease"] == lease["id"])
                batch.append({"local_id": f"{name}-{i}", "lease": lease["id"], "seq": lease["first_seq"] + used,
                              "service": code, "kiosk_time": t0 + 60 + i * 600 / args.tickets, "offset_s": 0.0})
            start = time.perf_counter()
            r = book.merge(name, batch)
            times.append(time.perf_counter() - start)
            assert r["merged"] == args.tickets, r["merged"]
        conn = sqlite3.connect(q.path)
        numbers = [n for (n,) in conn.execute("SELECT number FROM tickets")]
        merged = conn.execute("SELECT count(*) FROM lease_tickets").fetchone()[0]
        q.close()
    total = args.kiosks * args.tickets
    print(f"{args.kiosks} kiosks x {args.tickets} offline tickets over {args.waiting} waiting: "
          f"upload {min(times) * 1000:.0f}-{max(times) * 1000:.0f} ms each, "
          f"{total / sum(times):.0f} tickets/s; merged {merged}/{total}; "
          f"duplicate numbers {len(numbers) - len(set(numbers))}")
    return 0 if merged == total and len(numbers) == len(set(numbers)) else 1


if __name__ == "__main__":
    sys.exit(main())
