"""Cost of each hall API route, one request at a time over a real uvicorn on 127.0.0.1
(the 72-window hall, all windows logged in, a fresh database).

Prints p50/p99 per route: issue and call-next with and without an Idempotency-Key, the
hall snapshot, health. This is the server's own cost per request (no load, no event
streams); the loaded figures of issue #12 (50 ops/s, 1,000 streams) are
benchmarks/api_bench.py's.

    python benchmarks/api_routes.py [--n 400]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from config import HALLS_DIR, load_hall  # noqa: E402
from hall import HallQueue  # noqa: E402
from hall.access import Access  # noqa: E402
from server.app import create_app  # noqa: E402
from server.runner import ApiServer  # noqa: E402
from tests.procs import RunningClock  # noqa: E402  (09:00 on a Monday, running)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400, help="requests per write route (default 400)")
    args = ap.parse_args()
    cfg = load_hall(HALLS_DIR / "large.toml")
    with tempfile.TemporaryDirectory() as tmp:
        q = HallQueue(Path(tmp) / "hall.sqlite", cfg, RunningClock())
        access = Access(q)
        kiosk = {"Authorization": "Bearer " + access.add_device("kiosk-1", "kiosk")}
        caller = {"Authorization": "Bearer " + access.add_device("caller-1", "caller")}
        for w in cfg.windows:
            q.login(w.number, f"s{w.number}")
        server = ApiServer(lambda: create_app(q, cfg, access=access, config_text=""), "127.0.0.1", 0)
        server.start()
        codes = [s.code for s in cfg.services]
        windows = [w.number for w in cfg.windows]
        n = args.n
        routes = [
            ("issue", n, lambda h, i: h.post("/tickets", json={"service": codes[i % len(codes)]}, headers=kiosk)),
            ("issue + key", n, lambda h, i: h.post("/tickets", json={"service": codes[i % len(codes)]},
                                                   headers={**kiosk, "Idempotency-Key": f"t{i}"})),
            ("call-next", n, lambda h, i: h.post(f"/windows/{windows[i % len(windows)]}/call", headers=caller)),
            ("call-next + key", n, lambda h, i: h.post(f"/windows/{windows[i % len(windows)]}/call",
                                                       headers={**caller, "Idempotency-Key": f"c{i}"})),
            ("GET /hall", n // 4, lambda h, i: h.get("/hall", headers=caller)),
            ("GET /health", n // 2, lambda h, i: h.get("/health")),
        ]
        print(f"{len(windows)} windows, {len(codes)} services; one request at a time")
        try:
            with httpx.Client(base_url=server.url + "/api/v1", timeout=10) as h:
                for label, count, send in routes:
                    took = []
                    for i in range(count):
                        t0 = time.perf_counter()
                        r = send(h, i)
                        took.append(time.perf_counter() - t0)
                        if r.status_code >= 300:
                            raise SystemExit(f"{label}: {r.status_code} {r.text}")
                    print(f"{label:16s} n={count:4d}  p50 {pct(took, 0.5):6.2f} ms  p99 {pct(took, 0.99):6.2f} ms")
        finally:
            server.stop()
            q.close()


if __name__ == "__main__":
    main()
