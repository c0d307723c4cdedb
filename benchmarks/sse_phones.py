"""Simulated citizens' phones for benchmarks/api_bench.py: N raw SSE streams in one process.

Each stream keeps every event id it got, in order, and reconnects from the last one with
``Last-Event-ID`` (a browser's EventSource). The phones stand in for other machines, so
their own CPU is kept small: a stream reads into a buffer of its own (asyncio's
``BufferedProtocol``: no new 256 KiB bytes object per read) and records one (time, last
id) pair per read; which stream had which event when is worked out after the run.
"""
from __future__ import annotations

import asyncio
import os
import random
import re
import sqlite3
import time
from array import array
from bisect import bisect_left

ID_RE = re.compile(rb"^id: (\d+)$", re.M)
READ_SIZE = 16 * 1024


class PhoneStream(asyncio.BufferedProtocol):
    """One phone's stream: its ids in order, and per read the time and the last id read."""

    def __init__(self, phones: "Phones", token: str):
        self.phones, self.token = phones, token
        self.ids = array("l")
        self.read_t = array("d")  # when each read with ids in it arrived
        self.read_last = array("l")  # the last id of that read
        self.buf = b""
        self.mem = memoryview(bytearray(READ_SIZE))
        self.header_done = False
        self.transport = None
        self.closed: asyncio.Future | None = None
        self.reconnects = -1

    def connection_made(self, transport):
        self.transport = transport
        self.buf, self.header_done = b"", False
        last = self.ids[-1] if self.ids else self.phones.after
        transport.write(b"GET %s HTTP/1.1\r\nHost: hall\r\nAccept: text/event-stream\r\n"
                        b"Authorization: Bearer %s\r\nLast-Event-ID: %d\r\n\r\n"
                        % (self.phones.path.encode(), self.token.encode(), last))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.mem

    def buffer_updated(self, nbytes: int) -> None:
        now = time.monotonic()
        data = self.mem[:nbytes].tobytes()
        buf = self.buf + data if self.buf else data
        if not self.header_done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if not buf.startswith(b"HTTP/1.1 200"):
                self.transport.close()
                return
            self.header_done = True
            buf = buf[end + 4:]
        cut = buf.rfind(b"\n\n")  # chunk framing lines never hold "id: "; complete frames only
        if cut < 0:
            self.buf = buf
            return
        done, self.buf = buf[:cut], buf[cut + 2:]
        found = ID_RE.findall(done)
        if found:
            self.ids.extend(map(int, found))
            self.read_t.append(now)
            self.read_last.append(self.ids[-1])

    def connection_lost(self, exc):
        if self.closed is not None and not self.closed.done():
            self.closed.set_result(None)

    def got_at(self, event_id: int) -> float | None:
        """When this stream read ``event_id`` (None: it never did). Ids arrive in order."""
        i = bisect_left(self.ids, event_id)
        if i == len(self.ids) or self.ids[i] != event_id:
            return None
        k = bisect_left(self.read_last, event_id)
        return self.read_t[k]


class Phones:
    """``n`` streams to ``host:port`` with one token, from event id ``after`` on."""

    def __init__(self, host: str, port: int, token: str, n: int, after: int):
        self.host, self.port, self.token, self.n, self.after = host, port, token, n, after
        self.path = "/api/v1/events"
        self.streams: list[PhoneStream] = []
        self.stop = False

    async def keep(self, s: PhoneStream, stagger: float) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(stagger)
        while not self.stop:
            s.closed = loop.create_future()
            try:
                await loop.create_connection(lambda: s, self.host, self.port)
                s.reconnects += 1
                await s.closed
            except OSError:
                pass
            if not self.stop:
                await asyncio.sleep(random.uniform(0.5, 2.0))  # a browser's EventSource waits retry: 2 s

    async def run(self, ready, stop_flag) -> None:
        self.streams = [PhoneStream(self, self.token) for _ in range(self.n)]
        tasks = [asyncio.ensure_future(self.keep(s, i * 0.002)) for i, s in enumerate(self.streams)]
        while sum(1 for s in self.streams if s.header_done) < self.n:
            await asyncio.sleep(0.05)
        ready.set()
        while not stop_flag.is_set():
            await asyncio.sleep(0.1)
        self.stop = True
        for s in self.streams:
            if s.transport is not None:
                s.transport.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    def arrivals(self, event_ids: list[int]) -> dict[int, tuple[int, float, float]]:
        """Per event id: (streams that got it, when the last one did, when the first one did)."""
        out = {}
        for e in event_ids:
            times = [t for t in (s.got_at(e) for s in self.streams) if t is not None]
            if times:
                out[e] = (len(times), max(times), min(times))
        return out


def check(streams: list[PhoneStream], expected: array) -> dict:
    """Every stream against the events the database holds: missed, doubled, out of order."""
    exp_set = set(expected)
    missed = doubled = streams_bad = 0
    examples = []
    for s in streams:
        ids = s.ids
        d = len(ids) - len(set(ids))
        m = len(exp_set - set(ids))
        order_ok = all(ids[i] < ids[i + 1] for i in range(len(ids) - 1))
        missed += m
        doubled += d
        if m or d or not order_ok:
            streams_bad += 1
            if not order_ok and len(examples) < 3:
                k = next(i for i in range(len(ids) - 1) if ids[i] >= ids[i + 1])
                examples.append(list(ids[max(0, k - 3):k + 4]))
    return {"missed": missed, "doubled": doubled, "streams_bad": streams_bad, "examples": examples}


def phones_main(url, token, n, after, ready, stop_flag, out, db, nice=0) -> None:
    """The phones' process: run until ``stop_flag``, then put the figures on ``out``."""
    import resource
    if nice:
        os.nice(nice)
    host, port = url.removeprefix("http://").split(":")
    ph = Phones(host, int(port), token, n, after)
    asyncio.run(ph.run(ready, stop_flag))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime  # the run's, before the figures below are worked out
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    expected = array("l", (r[0] for r in conn.execute("SELECT id FROM events WHERE id > ? ORDER BY id", (after,))))
    called = [r[0] for r in conn.execute("SELECT id FROM events WHERE id > ? AND kind = 'called'", (after,))]
    conn.close()
    out.put({"cpu": cpu, "seen": ph.arrivals(called), "expected": len(expected),
             "reconnects": sum(s.reconnects for s in ph.streams), **check(ph.streams, expected)})
