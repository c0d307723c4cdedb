"""What fanning one event out to 1,000 open event streams costs the server.

The hall API app (server.app.create_app) under uvicorn in this process, 1,000 SSE streams
from a second process (raw sockets, as in api_bench.py), then ``--events`` events logged
one at a time, ``--gap`` seconds apart. Prints the server's CPU time per event (the
tailer, the fan-out and uvicorn's writes; this process does nothing else meanwhile) and
commit → received by every stream p50/p99.

    python benchmarks/events_fanout.py [--streams 1000] [--events 100] [--gap 0.1]
                                       [--route asgi|streaming] [--loop asyncio|uvloop]

``--route streaming`` serves the same hub through Starlette's StreamingResponse (an async
generator), for comparison with the route as written (server/events.py).
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


from fastapi import Request  # noqa: E402  (a module global: the route's annotation is a string)


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def streaming_route(app, hub) -> None:
    """The same hub behind Starlette's StreamingResponse (for the comparison only)."""
    from starlette.responses import StreamingResponse

    from server.events import KEEPALIVE, RETRY_MS, _Stream

    @app.get("/bench/streaming-events")
    async def streaming(request: Request):
        token = request.headers.get("authorization", "").partition(" ")[2]
        last = request.headers.get("last-event-id")
        s = _Stream(token, "bench")

        async def gen():
            older: list[bytes] = []

            async def collect(data: bytes) -> None:
                older.append(data)
            backlog = await hub.attach(s, int(last) if last else None, collect)
            try:
                yield b"retry: %d\n\n" % RETRY_MS + b"".join(older) + backlog
                while not s.closed:
                    if not s.frames:
                        s.wake.clear()
                        try:
                            async with asyncio.timeout(hub.keepalive_s):
                                await s.wake.wait()
                        except TimeoutError:
                            yield KEEPALIVE
                            continue
                    with hub._lock:
                        chunk = b"".join(s.frames)
                        s.frames.clear()
                    if chunk:
                        yield chunk
            finally:
                hub.detach(s)

        return StreamingResponse(gen(), media_type="text/event-stream")


def phones_proc(host, port, path, token, n, after, ready, stop_flag, out) -> None:
    from api_bench import Phones

    ph = Phones(host, port, token, n, after)
    ph.path = path
    asyncio.run(ph.run(ready, stop_flag))
    out.put({i: tuple(v) for i, v in ph.seen.items()})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--gap", type=float, default=0.1)
    ap.add_argument("--route", choices=["asgi", "streaming"], default="asgi")
    ap.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    ap.add_argument("--profile", action="store_true", help="cProfile the server's thread; print the top")
    args = ap.parse_args()

    import uvicorn

    from config import DEMO_HALL, load_hall
    from hall import HallQueue
    from hall.access import Access
    from server.app import create_app

    tmp = tempfile.mkdtemp(prefix="fanout-")
    queue = HallQueue(Path(tmp) / "hall.sqlite", load_hall(DEMO_HALL))
    access = Access(queue)
    token = access.add_device("phones", "screen")
    app = create_app(queue, queue.config, access=access, config_text=DEMO_HALL.read_text(encoding="utf-8"))
    hub = app.state.event_hub
    path = "/api/v1/events"
    if args.route == "streaming":
        streaming_route(app, hub)
        path = "/bench/streaming-events"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", loop=args.loop, backlog=2048))
    prof = None
    if args.profile:
        import cProfile
        prof = cProfile.Profile()

        def run():
            prof.runcall(server.run, sockets=[sock])
    else:
        def run():
            server.run(sockets=[sock])
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    ctx = mp.get_context("spawn")
    ready, stop_flag, out = ctx.Event(), ctx.Event(), ctx.Queue()
    after = queue.last_event_id()
    p = ctx.Process(target=phones_proc, args=("127.0.0.1", port, path, token, args.streams, after, ready,
                                              stop_flag, out), daemon=True)
    p.start()
    if not ready.wait(120):
        raise SystemExit("the streams did not connect")
    time.sleep(1)
    committed = {}
    c0, t0 = cpu_s(), time.monotonic()
    for k in range(args.events):
        i = queue.log_event("bench", k=k)
        committed[i] = time.monotonic()
        time.sleep(args.gap)
    c1, t1 = cpu_s(), time.monotonic()
    time.sleep(1)
    stop_flag.set()
    seen = out.get(timeout=60)
    p.join(10)
    hub.close_streams()
    server.should_exit = True
    thread.join(10)

    if prof is not None:
        import pstats
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    queue.close()
    shutil.rmtree(tmp, ignore_errors=True)
    lat = sorted((seen[i][1] - t) * 1000 for i, t in committed.items() if i in seen)
    complete = sum(1 for i in committed if i in seen and seen[i][0] == args.streams)
    idle_cpu = (t1 - t0) * 0  # the tailer's polling is inside the figure
    per_event = (c1 - c0 - idle_cpu) / args.events * 1000
    print(f"route {args.route}, loop {args.loop}: {args.streams} streams, {args.events} events {args.gap * 1000:.0f} ms apart")
    print(f"  server CPU per event (fan-out + writes + tailer): {per_event:.1f} ms "
          f"({per_event / args.streams * 1000:.1f} µs a stream)")
    if lat:
        print(f"  commit -> every stream: p50 {lat[len(lat) // 2]:.1f}  p99 {lat[int(len(lat) * 0.99) - 1]:.1f}  "
              f"max {lat[-1]:.1f} ms; events reaching all streams {complete}/{args.events}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
