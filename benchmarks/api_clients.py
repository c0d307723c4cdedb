"""The clients of benchmarks/api_bench.py, each run in a process of its own: the load
(kiosks issue, callers call-next and finish over httpx, on an open-loop schedule), the
screens (the same code, no operations: the hall snapshot every 2 s and an event stream
each) and the probe (window PCs on machines of their own: blocking keep-alive
connections, nothing else in the process). Each puts its samples on ``out``."""
from __future__ import annotations

import asyncio
import os
import random
import time

from server.server_timing import duration_ms


def own_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime



# -- load: kiosks, callers, screens ---------------------------------------------------

def load_main(url, tokens, rate, seconds, start_evt, out) -> None:
    import httpx

    from hall.sse import EventStream


    async def main():
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
        kiosks = [httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=5,
                                    limits=limits) for t in tokens["kiosks"]]
        callers = {int(n): httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=5,
                                             limits=limits) for n, t in tokens["callers"].items()}
        screens_http = [httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=5)
                        for t in tokens["screens"]]
        samples = {"issue": [], "call": [], "finish": [], "hall": []}  # (t0, seconds, retried)
        calls = []  # (ticket id, t0)
        failures = {"issue": 0, "call": 0, "finish": 0, "hall": 0}
        codes = tokens["services"]
        rng = random.Random(11)
        serving: dict[int, bool] = {n: False for n in callers}
        busy: set[int] = set()

        async def op(kind, client, method, path, body=None):
            key = f"{kind}-{time.monotonic_ns()}-{rng.random()}"
            t0 = time.monotonic()
            tries = 0
            while time.monotonic() - t0 < 30:
                tries += 1
                backoff = min(1.0, 0.05 * 2 ** tries) * rng.uniform(0.8, 1.2)  # as a kiosk or caller does
                try:
                    r = await client.request(method, path, json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    await asyncio.sleep(backoff)
                    continue
                if r.status_code >= 500:
                    await asyncio.sleep(backoff)
                    continue
                dt = time.monotonic() - t0
                samples[kind].append((t0, dt, tries > 1))
                return r
            failures[kind] += 1
            return None

        async def caller_step(n):
            busy.add(n)
            try:
                c = callers[n]
                if serving[n]:
                    r = await op("finish", c, "POST", f"/api/v1/windows/{n}/finish")
                    if r is not None:
                        serving[n] = False
                else:
                    t0 = time.monotonic()
                    r = await op("call", c, "POST", f"/api/v1/windows/{n}/call")
                    if r is not None and r.status_code == 200:
                        serving[n] = True
                        calls.append((r.json()["id"], t0))
            finally:
                busy.discard(n)

        async def screen(i, client):
            while not done.is_set():
                await op("hall", client, "GET", "/api/v1/hall")
                await asyncio.sleep(2.0 + i * 0.1)

        done = asyncio.Event()
        screen_streams = []
        screen_ids = [[] for _ in tokens["screens"]]
        async with asyncio.timeout(seconds + 60):
            r = await (screens_http or kiosks)[0].get("/api/v1/hall")
            after = r.json()["last_event_id"]
            for i, t in enumerate(tokens["screens"]):
                screen_streams.append(EventStream(url, t, after, lambda b, i=i: screen_ids[i].extend(e["id"] for e in b),
                                                  None).start())
            start_evt.wait()
            screen_tasks = [asyncio.ensure_future(screen(i, c)) for i, c in enumerate(screens_http)]
            tasks = []
            t_start = time.monotonic()
            k = 0
            order = list(callers)
            rng.shuffle(order)
            ci = 0
            if rate <= 0:  # the screens' process: no operations
                await asyncio.sleep(seconds)
            while rate > 0 and time.monotonic() - t_start < seconds:
                due = t_start + k / rate
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if k % 3 == 0:
                    kc = kiosks[k // 3 % len(kiosks)]
                    tasks.append(asyncio.ensure_future(op("issue", kc, "POST", "/api/v1/tickets",
                                                          {"service": rng.choice(codes)})))
                else:
                    for _ in range(len(order)):  # the next caller not waiting for an answer
                        n = order[ci % len(order)]
                        ci += 1
                        if n not in busy:
                            tasks.append(asyncio.ensure_future(caller_step(n)))
                            break
                k += 1
            await asyncio.gather(*tasks)
            done.set()
            await asyncio.gather(*screen_tasks)
        for c in [*kiosks, *callers.values(), *screens_http]:
            await c.aclose()
        return samples, calls, failures, t_start, screen_streams, screen_ids, after

    samples, calls, failures, t_start, screen_streams, screen_ids, after = asyncio.run(main())
    until = httpx.get(url + "/api/v1/health", timeout=5).json()["last_event_id"]
    deadline = time.monotonic() + 15  # the screens catch up
    while time.monotonic() < deadline and not all(s.last_id is not None and s.last_id >= until
                                                  for s in screen_streams):
        time.sleep(0.05)
    for s in screen_streams:
        s.stop()
    out.put({"cpu": own_cpu(), "samples": samples, "calls": calls, "failures": failures, "t_start": t_start, "after": after,
             "until": until,
             "screens": [{"ids": ids, "connects": s.connects} for s, ids in zip(screen_streams, screen_ids)]})


# -- probe: window PCs of their own ----------------------------------------------------

def probe_main(url, callers, rate, seconds, start_evt, out, nice=0) -> None:
    """Window PCs each on a machine of its own: blocking keep-alive connections, call-next
    and finish in turn on the windows in ``callers``, ``rate`` operations a second in all.
    Nothing else runs in this process, so its times are the server's and the network's,
    not a shared load generator's (72 callers, 6 kiosks and 4 screens in one event loop)."""
    import http.client
    if nice:
        os.nice(nice)
    host, port = url.removeprefix("http://").split(":")
    conns = {n: http.client.HTTPConnection(host, int(port), timeout=30) for n in callers}
    serving = {n: False for n in callers}
    samples = {"call": [], "finish": [], "empty": 0}
    order = list(callers)
    start_evt.wait()
    t_start = time.monotonic()
    k = 0
    while time.monotonic() - t_start < seconds:
        wait = t_start + k / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        n = order[k % len(order)]
        k += 1
        kind = "finish" if serving[n] else "call"
        t0 = time.monotonic()
        try:
            conns[n].request("POST", f"/api/v1/windows/{n}/{kind}", headers={
                "Authorization": f"Bearer {callers[n]}", "Idempotency-Key": f"probe-{n}-{k}",
                "Content-Length": "0"})
            r = conns[n].getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            conns[n].close()  # the restart: reconnect on the next turn, not timed
            continue
        dt = time.monotonic() - t0
        if r.status == 200:
            samples[kind].append((t0, dt, duration_ms(r.getheader("Server-Timing"))))
            serving[n] = kind == "call"
        elif r.status == 204:
            samples["empty"] += 1
        else:
            serving[n] = False
    out.put({"cpu": own_cpu(), "samples": samples})
