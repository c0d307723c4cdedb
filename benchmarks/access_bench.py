"""What the hall API's credentials and safe retries cost (hall/access.py, hall/idempotency.py).

Prints per-call times of ``Access.principal_for`` (runs on every request) for a device
and a staff session among many devices and sessions, of a staff login (scrypt), of a
refused login of an unknown staff number, of an empty queue transaction (the un-nested
``_tx`` path), and of ``run_once`` around an operation against the operation alone.

    python benchmarks/access_bench.py [--devices 200] [--sessions 2000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import DEMO_HALL, load_hall  # noqa: E402
from hall import HallQueue  # noqa: E402
from hall.access import Access, LoginRefused  # noqa: E402
from hall.idempotency import run_once  # noqa: E402


def per_call_us(fn, n: int, rounds: int = 5) -> tuple[float, float]:
    """(best, median) of ``rounds`` rounds, microseconds per call."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n * 1e6)
    return min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--sessions", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        q = HallQueue(Path(d) / "hall.sqlite", load_hall(DEMO_HALL))
        a = Access(q, login_attempts=10_000)  # no lock-out during the run
        tokens = [a.add_device(f"kiosk-{i}", "kiosk") for i in range(args.devices)]
        a.add_staff("0517", "张三", "staff", "secret-pass-1")
        with q.transaction() as (c, now):  # many sessions, as after months of logins
            c.executemany("INSERT INTO sessions (token_hash, staff, window, created_at, expires_at) "
                          "VALUES (?, '0517', 1, ?, ?)", [(f"{i:064x}", now.timestamp(), now.timestamp() + 3600)
                                                          for i in range(args.sessions)])
        session = a.login("0517", "secret-pass-1", 1)
        device = tokens[len(tokens) // 2]
        rows = [("principal_for(device token)", *per_call_us(lambda: a.principal_for(device), 20_000)),
                ("principal_for(session token)", *per_call_us(lambda: a.principal_for(session.token), 20_000)),
                ("principal_for(unknown token)", *per_call_us(lambda: a.principal_for("jhd_" + "x" * 43), 20_000))]
        rows.append(("login (scrypt)", *per_call_us(lambda: a.login("0517", "secret-pass-1", 1), 10, 3)))

        def refused(staff):
            def attempt():
                try:
                    a.login(staff, "wrong-pass-1", None)
                except LoginRefused:
                    pass
            return attempt
        for _ in range(2):  # alternating, so a busy moment of the machine hits both
            rows.append(("refused login, wrong password", *per_call_us(refused("0517"), 10, 3)))
            rows.append(("refused login, unknown 工号", *per_call_us(refused("9999"), 10, 3)))

        def empty_tx():
            with q._tx():
                pass
        rows.append(("empty queue transaction", *per_call_us(empty_tx, 5000)))
        keys = iter(range(10**9))
        rows.append(("log_event alone", *per_call_us(lambda: q.log_event("bench"), 2000)))
        rows.append(("run_once(log_event)", *per_call_us(
            lambda: run_once(q, "tok", f"k{next(keys)}", "POST", "/api/v1/log", "fp",
                             lambda: (200, {"id": q.log_event("bench")})), 2000)))
        rows.append(("run_once replay", *per_call_us(
            lambda: run_once(q, "tok", "k1", "POST", "/api/v1/log", "fp", lambda: (200, None)), 2000)))
        a.close()
        q.close()
    print(f"{'':<32} {'best µs':>10} {'median µs':>10}")
    for name, best, median in rows:
        print(f"{name:<32} {best:>10.1f} {median:>10.1f}")


if __name__ == "__main__":
    main()
