"""What a client PC sees of the hall server (hall/remote.py), on loopback.

Serves a fresh demo hall (the hall API under uvicorn on 127.0.0.1, a thread of this
process) and prints, for a RemoteHall: issue and call-next round trips (p50/p99), the
kiosk's figures (GET /hall) and a window state, the delay from a call on the controller
to the event in the client's buffer (the event stream), and how long a client takes to
say that a server which is not there does not answer.

    python benchmarks/client_bench.py [--ops 300]
"""
from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import DEMO_HALL, load_hall  # noqa: E402
from hall import HallQueue, ScaledClock  # noqa: E402
from hall.access import Access  # noqa: E402
from hall.errors import ServerUnreachable  # noqa: E402
from hall.remote import RemoteHall  # noqa: E402
from server.app import create_app  # noqa: E402
from server.runner import ApiServer  # noqa: E402


def ms(samples: list[float]) -> str:
    s = sorted(samples)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return f"p50 {statistics.median(s) * 1000:6.2f} ms   p99 {p99 * 1000:6.2f} ms   (n={len(s)})"


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=300)
    a = ap.parse_args()
    config = load_hall(DEMO_HALL)
    with tempfile.TemporaryDirectory() as tmp:
        clock = ScaledClock(datetime(2026, 11, 23, 9, 0))  # a Monday morning, running at wall speed
        q = HallQueue(Path(tmp) / "hall.sqlite", config, clock)
        access = Access(q)
        server = ApiServer(lambda: create_app(q, config, access=access,
                                              config_text=DEMO_HALL.read_text(encoding="utf-8")), "127.0.0.1", 0)
        server.start()
        hall = RemoteHall(server.url, access.add_device("bench", "controller"), config, clock=clock)
        try:
            for w in config.windows:
                q.login(w.number, f"s{w.number}")
            codes = [s.code for s in config.services if q.is_open(s.code)]
            hall.issue(codes[0])  # warm the connection
            i = iter(range(10**9))
            print(f"issue          {ms(timed(lambda: hall.issue(codes[next(i) % len(codes)], kiosk='bench'), a.ops))}")
            windows = [w.number for w in config.windows]
            j = iter(range(10**9))
            print(f"call-next      {ms(timed(lambda: hall.call_next(windows[next(j) % len(windows)]), a.ops))}")
            print(f"figures        {ms(timed(hall.snapshot, a.ops // 3))}")
            print(f"window state   {ms(timed(lambda: hall.window_state(windows[0]), a.ops // 3))}")
            buf = hall._buffer()
            hall.last_event_id()
            delays = []
            for k in range(min(100, a.ops)):
                q.issue(codes[k % len(codes)])
                t0 = time.perf_counter()
                q.call_next(windows[k % len(windows)])
                if not buf.wait_for(q.last_event_id(), 5.0):
                    print("event stream: an event did not arrive in 5 s")
                    return 1
                delays.append(time.perf_counter() - t0)
            print(f"call → buffer  {ms(delays)}   (the call's own commit included)")
        finally:
            hall.close()
            server.stop()
            access.close()
            q.close()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()
    for what in ("write", "read", "read again"):
        if what != "read again":
            gone = RemoteHall(url, "t", config, timeout_s=3.0)  # a fresh client: no failure seen yet
        fn = (lambda: gone.issue("A")) if what == "write" else (lambda: gone.window_state(1))
        t0 = time.perf_counter()
        try:
            fn()
        except ServerUnreachable:
            pass
        print(f"nothing listens, {what:<10} said in {(time.perf_counter() - t0) * 1000:7.1f} ms (time-out 3 s)")
        if what != "read":
            gone.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
