"""Managers' dashboards during the API benchmark's load: does keeping 8 live pages open
slow the hall down, and how old are the figures those pages show?

    python benchmarks/manage_bench.py [--rounds 2] [--dashboards 8] [--seconds 8]

Each round runs the load of ``benchmarks/api_bench.py --quick`` twice on a fresh hall
(the large hall, 72 windows, 6 kiosks, 72 callers, 4 screens, 50 phones, 20 operations/s,
no restart; `serve` with its alarm engine): once alone, once with ``--dashboards``
pages polling ``GET /api/v1/manage/live`` each second as /manage does (a manager's
session token, one HTTP client each).

Figures: ticket issue over HTTP p50/p99 with and without the pages; the pages' answer
time; and the **staleness** of what a page shows: sampled every 100 ms on each page, the
time since the oldest event the page does not show yet was committed (0 when it shows
everything). The commits are timed by a reader of the database file polling
``max(events.id)`` every 10 ms, outside `serve`, so the measurement costs serve nothing.
The pages' process runs at nice 10 (``--dashboards-nice``): in a hall they are other
PCs, and on this machine their HTTP clients would otherwise compete with serve.
Target: no measurable difference in issue p99; staleness p99 < 2 s.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import api_bench as ab  # noqa: E402
from api_clients import load_main  # noqa: E402

MANAGER = ("9000", "bench-manager-1")


def dashboards_main(url, token, n, db, stop_flag, out, nice=0) -> None:
    """``n`` pages polling the live view each second; a reader of the database timing commits.
    The pages are other PCs in a hall: at ``nice`` they take less of this machine from serve."""
    import re

    import httpx
    if nice:
        os.nice(nice)
    last_id = re.compile(rb'"last_event_id":(\d+)')
    commits: list[tuple[float, int]] = []  # (monotonic time first seen, max event id)
    shown = [0] * n  # the last_event_id each page shows now
    answers: list[float] = []
    samples: list[float] = []
    lock = threading.Lock()

    def watch_commits():
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        last = -1
        while not stop_flag.is_set():
            top = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
            if top != last:
                with lock:
                    commits.append((time.monotonic(), top))
                last = top
            time.sleep(0.01)
        conn.close()

    def page(i):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=5) as c:
            time.sleep(i / n)  # the pages were not all opened in the same millisecond
            while not stop_flag.is_set():
                t0 = time.monotonic()
                try:
                    r = c.get("/api/v1/manage/live")
                    if r.status_code == 200:
                        shown[i] = int(last_id.search(r.content, 0, 400).group(1))  # no full decode
                        with lock:
                            answers.append((time.monotonic() - t0) * 1000)
                except httpx.HTTPError:
                    pass
                stop_flag.wait(max(0.0, 1.0 - (time.monotonic() - t0)))

    def first_commit_after(event_id: int) -> float | None:
        with lock:
            for t, top in commits:
                if top > event_id:
                    return t
        return None

    def sample():
        while not stop_flag.is_set():
            now = time.monotonic()
            for i in range(n):
                if shown[i]:
                    t = first_commit_after(shown[i])
                    samples.append(now - t if t is not None and t <= now else 0.0)
            stop_flag.wait(0.1)

    threads = [threading.Thread(target=watch_commits, daemon=True)]
    threads += [threading.Thread(target=page, args=(i,), daemon=True) for i in range(n)]
    threads.append(threading.Thread(target=sample, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"answers": answers, "staleness": samples})


def one_run(args, dashboards: int) -> dict:
    tmp = tempfile.mkdtemp(prefix="manage-bench-")
    try:
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
        os.environ["JIAOHAO_NOW"] = ab.NOW
        db = os.path.join(tmp, "hall.sqlite")
        tokens = ab.setup(db, windows=72, kiosks=6, screens=4)
        _add_manager(db)
        serve = ab.Serve(db, ab.free_port(), os.path.join(tmp, "serve.log"))
        serve.start()
        try:
            return _measure(args, db, tokens, serve, dashboards)
        finally:
            serve.kill()
    finally:
        for proc in mp.active_children():
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def _add_manager(db: str) -> None:
    from config import load_hall
    from hall import HallQueue
    from hall.access import Access
    from hall.clock import clock_from_env
    config = load_hall(ab.CONFIG)
    q = HallQueue(db, config, clock_from_env(config.hall.timezone))
    access = Access(q)
    access.add_staff(MANAGER[0], "值班经理", "manager", MANAGER[1])
    access.close()
    q.close()


def _measure(args, db, tokens, serve, dashboards: int) -> dict:
    import httpx
    after = ab.settle(serve.url)
    ctx = mp.get_context("spawn")
    ready, stop_flag, start_evt, dash_stop = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Event()
    phones_out, load_out, dash_out = ctx.Queue(), ctx.Queue(), ctx.Queue()
    phones = ctx.Process(target=ab.phones_main, args=(serve.url, tokens["phones"], args.phones, after, ready,
                                                      stop_flag, phones_out, db, 0), daemon=True)
    phones.start()
    if not ready.wait(120):
        raise SystemExit("the phones did not all connect within 120 s")
    dash = None
    if dashboards:
        token = httpx.post(serve.url + "/api/v1/login", json={"staff": MANAGER[0], "password": MANAGER[1]}).json()["token"]
        dash = ctx.Process(target=dashboards_main, args=(serve.url, token, dashboards, db, dash_stop, dash_out,
                                                         args.dashboards_nice), daemon=True)
        dash.start()
    load = ctx.Process(target=load_main, args=(serve.url, tokens, args.rate, args.seconds, start_evt, load_out),
                       daemon=True)
    load.start()
    time.sleep(2)  # the screens and pages connect
    cpu0 = ab.cpu_of(serve.proc.pid)
    start_evt.set()
    got = load_out.get(timeout=args.seconds + 120)
    serve_cpu = ab.cpu_of(serve.proc.pid) - cpu0
    load.join(30)
    result = {"issue": [dt * 1000 for _, dt, _ in got["samples"]["issue"]],
              "call": [dt * 1000 for _, dt, _ in got["samples"]["call"]], "serve_cpu": serve_cpu,
              "failures": sum(got["failures"].values())}
    if dash is not None:
        dash_stop.set()
        result.update(dash_out.get(timeout=60))
        dash.join(10)
    stop_flag.set()
    phones_out.get(timeout=120)
    phones.join(30)
    serve.stop()
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--dashboards", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=8.0, help="load per run (api_bench --quick: 8)")
    ap.add_argument("--rate", type=float, default=20.0, help="operations a second (api_bench --quick: 20)")
    ap.add_argument("--phones", type=int, default=50, help="event streams (api_bench --quick: 50)")
    ap.add_argument("--dashboards-nice", type=int, default=10,
                    help="niceness of the pages' process (they are other PCs in a hall; 0: compete fully)")
    args = ap.parse_args()
    pct = ab.pct
    runs = {0: [], args.dashboards: []}
    for r in range(args.rounds):
        for n in (0, args.dashboards):  # alternated: the machine's other load shifts over time
            res = one_run(args, n)
            runs[n].append(res)
            print(f"round {r + 1}, {n} dashboards: issue p50 {pct(res['issue'], 50):.1f} p99 "
                  f"{pct(res['issue'], 99):.1f} ms (n={len(res['issue'])}), serve CPU {res['serve_cpu']:.1f} s"
                  + (f", page answer p50 {pct(res['answers'], 50):.1f} p99 {pct(res['answers'], 99):.1f} ms, "
                     f"staleness p50 {pct(res['staleness'], 50):.2f} p99 {pct(res['staleness'], 99):.2f} s"
                     if n else ""), flush=True)
    print()
    for n, rs in runs.items():
        issue = [x for r in rs for x in r["issue"]]
        call = [x for r in rs for x in r["call"]]
        print(f"-- {n} dashboards ({len(rs)} runs): issue p50 {pct(issue, 50):.1f} p99 {pct(issue, 99):.1f} ms; "
              f"call-next p50 {pct(call, 50):.1f} p99 {pct(call, 99):.1f} ms; serve CPU "
              f"{sum(r['serve_cpu'] for r in rs) / len(rs):.1f} s a run; failed operations "
              f"{sum(r['failures'] for r in rs)}")
        if n:
            stale = [x for r in rs for x in r["staleness"]]
            answers = [x for r in rs for x in r["answers"]]
            print(f"   pages: answer p50 {pct(answers, 50):.1f} p99 {pct(answers, 99):.1f} ms (n={len(answers)}); "
                  f"staleness p50 {pct(stale, 50):.2f} p99 {pct(stale, 99):.2f} max {max(stale):.2f} s "
                  f"(target p99 < 2 s: {'yes' if pct(stale, 99) < 2 else 'NO'})")
    print(f"-- machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared with other work)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
