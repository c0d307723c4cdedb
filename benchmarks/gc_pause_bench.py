"""Python GC pauses in a serve-like process, with and without the start-up heap frozen.

`jiaohao serve` holds the hall config (pydantic), the queue, the device drivers and the
hall API (FastAPI, uvicorn, httpx) for the whole day. Each run is a fresh process that
imports all of that, then answers issue and call-next requests through the API app
in-process (Starlette's TestClient) and records every collector pause (gc.callbacks).
One run freezes the start-up heap first (jiaohao.gc_settle, as serve does), one does not.
Also prints how long one full collection takes in each.

    python benchmarks/gc_pause_bench.py [--requests 3000]
"""
from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(settle: bool, requests: int) -> dict:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import fastapi  # noqa: F401 - what the hall API holds
    import httpx  # noqa: F401
    import uvicorn  # noqa: F401
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from config import HALLS_DIR, load_hall
    from hall import HallQueue
    from jiaohao.commands import serve_cmd
    from jiaohao.gc_settle import settle_after_startup
    from queue_bench import Clock
    for entry in serve_cmd.COMPONENT_FACTORIES:  # the device parts serve imports
        __import__(entry.split(":")[0])

    cfg = load_hall(HALLS_DIR / "large.toml")
    folder = tempfile.mkdtemp(prefix="jiaohao-gc-bench-")
    q = HallQueue(Path(folder) / "hall.sqlite", cfg, Clock(date.today()))
    app = FastAPI()
    codes = [s.code for s in cfg.services]
    windows = [w.number for w in cfg.windows]

    @app.post("/issue/{i}")
    def issue(i: int) -> dict:
        return {"number": q.issue(codes[i % len(codes)]).number}

    @app.post("/call/{i}")
    def call(i: int) -> dict:
        t = q.call_next(windows[i % len(windows)])
        return {"number": t.number if t else None}

    client = TestClient(app)
    client.post("/issue/0")
    frozen = settle_after_startup() if settle else 0
    gc.collect()
    full = []
    for _ in range(5):
        t = time.perf_counter()
        gc.collect()
        full.append(time.perf_counter() - t)
    pauses: list[tuple[float, int]] = []
    t0 = [0.0]

    def cb(phase, info):
        if phase == "start":
            t0[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - t0[0], info["generation"]))
    gc.callbacks.append(cb)
    worst_req = 0.0
    for i in range(requests):
        t = time.perf_counter()
        r = client.post(f"/issue/{i}" if i % 2 == 0 else f"/call/{i}")
        worst_req = max(worst_req, time.perf_counter() - t)
        assert r.status_code == 200, r.text
    gc.callbacks.remove(cb)
    q.close()
    shutil.rmtree(folder, ignore_errors=True)
    by_gen = {g: [d for d, x in pauses if x == g] for g in (0, 1, 2)}
    return {"settle": settle, "frozen": frozen, "tracked": len(gc.get_objects()),
            "full_ms": sorted(x * 1000 for x in full)[2],
            "pauses": {g: (len(v), max(v, default=0) * 1000) for g, v in by_gen.items()},
            "worst_request_ms": worst_req * 1000}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--child", choices=["settle", "plain"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child == "settle", a.requests)))
        return
    for mode in ("plain", "settle"):
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--requests", str(a.requests)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        label = "start-up heap frozen" if r["settle"] else "not frozen          "
        gens = "  ".join(f"gen{g}: {n} pauses, max {m:5.2f} ms" for g, (n, m) in sorted(r["pauses"].items()))
        print(f"{label}: frozen {r['frozen']:>7,} objects, {r['tracked']:>7,} tracked; one full collection "
              f"{r['full_ms']:5.2f} ms; {a.requests} requests: {gens}; slowest request "
              f"{r['worst_request_ms']:.1f} ms")


if __name__ == "__main__":
    main()
