"""The live event stream, ``GET /api/v1/events`` (Server-Sent Events; docs/api.md).

One tailer thread reads the event log on its own connection (``PRAGMA data_version``
every 25 ms says when anything was committed), encodes each new event to bytes once and
hands the same bytes to every open stream. The last :data:`RING` frames stay in memory,
so a client that reconnects with ``Last-Event-ID`` (or ``?after=N``) is served from
there — a reconnect storm after a restart costs no database read — and from the
database for anything older. The replay and the switch to live happen in one step under
the hub's lock: no event is missed or sent twice at the seam.

The response is :class:`EventStreamResponse`, a small ASGI callable returned from an
ordinary FastAPI route (so the route is in the OpenAPI document). Under uvicorn's
httptools HTTP/1.1 server a stream, once its replay is out, is handed to the writer
thread (server/fanout.py), which writes its chunks to the socket itself: no task switch
a stream, and none of the fan-out's writes on the event loop that answers the API;
elsewhere one task a stream writes through ASGI ``send``.
Fan-outs are paced by the number of open streams (:data:`FANOUT_PACE_S`): a busy
moment puts several events in one write. docs/events.md has the figures.

A stream ends when its client goes, when its credential stops being valid (re-checked
with ``access.principal_for`` whenever a revoking event is logged, and every minute for
expiry), when it falls :data:`MAX_BEHIND` events behind or its writes stall for
:data:`STALL_S` (a slow or vanished client; it reconnects with ``Last-Event-ID`` and
loses nothing), or when the hub stops.
"""
from __future__ import annotations

import asyncio
import bisect
import json
import logging
import sqlite3
import threading
import time

from fastapi import FastAPI, Header, Query, Request
from starlette.responses import Response

from hall.db import connect_readonly
from hall.eventlog import read_events
from hall.models import Event
from server.event_response import KEEPALIVE, RETRY_MS, EventStreamResponse, _Stream  # noqa: F401 - RETRY_MS, _Stream re-exported
from server.fanout import FanoutWriter

log = logging.getLogger(__name__)

PATH = "/api/v1/events"
POLL_S = 0.025  # how often the tailer asks SQLite whether anything was committed
# after a fan-out the tailer waits 100 µs a stream (at most 0.1 s) before the next, so the
# fan-out never takes much more than a tenth of a core whatever the rate of events: a
# write to one stream costs ~11 µs, mostly the kernel's; 1,000 phones at 50 events/s
# written event by event would need more than a core. A hall's own 80 apps: 25 ms.
FANOUT_EVERY_S = 0.1
FANOUT_PACE_S = 100e-6  # a stream
FANOUT_SLICE = 100  # streams written in one turn of the event loop
RING = 8192  # newest frames kept in memory for replays
PAGE = 500  # events read from the database at once
MAX_BEHIND = 2000  # events queued for one stream beyond which it is cut
MAX_BUFFER = 256 << 10  # bytes a client has not taken beyond which it is cut (direct writes; a copy
# a stream: 1,000 stalled phones hold at most 256 MB)
STALL_S = 60.0  # a write blocked this long (the client reads nothing): cut
RECHECK_EVERY_S = 60.0  # credentials of open streams re-checked (sessions expire)
# kinds after which the credentials of open streams are checked again at once
REVOKING_KINDS = frozenset({"device_revoked", "staff_disabled", "staff_password_changed", "session_ended"})


def encode(event: Event) -> bytes:
    """One event as an SSE frame: its id and its JSON on one ``data`` line."""
    return b"id: %d\ndata: %s\n\n" % (event.id, json.dumps(event.to_json(), ensure_ascii=False).encode())


def _error_body(code: str, zh: str, en: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": zh, "message_en": en}},
                      ensure_ascii=False).encode()


class EventHub:
    """Tails the event log once and fans each new event out to every open stream."""

    def __init__(self, queue, access, keepalive_s: float = 15.0) -> None:
        self.queue, self.access, self.keepalive_s = queue, access, keepalive_s
        self.last_id = 0  # the newest event handed to the streams
        self.streams: set[_Stream] = set()
        self.cut = 0  # streams cut for being too slow (a figure for tests and benchmarks)
        self.ring_size, self.max_behind, self.stall_s = RING, MAX_BEHIND, STALL_S
        self.fanout_every_s = FANOUT_EVERY_S
        self.max_buffer = MAX_BUFFER
        self.recheck_every_s = RECHECK_EVERY_S
        self._lock = threading.Lock()  # ring, last_id, streams: tailer thread vs. event loop
        self._ring_ids: list[int] = []
        self._ring: list[bytes] = []
        self._ring_floor = 0  # every event with a greater id is in the ring
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: sqlite3.Connection | None = None
        self._conn_lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._revocations = 0  # revoking events seen: a stream opening meanwhile is re-checked
        self._maintenance: asyncio.Task | None = None
        self._writer: FanoutWriter | None = None
        self._started = False
        self._closing = False  # close_streams() was called: new streams are refused
        # fn(events) called on the tailer thread after each fan-out: filtered feeds that
        # share this tailer (the citizens' status pages, server/web/phone_feed.py); keep it quick
        self.listeners: list = []

    # -- life ---------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._closing = False
        self._stopping.clear()
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None  # set by the first stream
        self._conn = connect_readonly(self.queue.path, check=False)
        with self._conn_lock:
            rows = self._conn.execute("SELECT id FROM events ORDER BY id DESC LIMIT ?",
                                      (self.ring_size,)).fetchall()
        first = rows[-1][0] if rows else 0
        self.last_id = rows[0][0] if rows else 0
        self._ring_floor = max(first - 1, 0) if rows else 0
        self._append(self._read_after(self._ring_floor, self.last_id))
        self._writer = FanoutWriter(self)
        self._thread = threading.Thread(target=self._tail, name="jiaohao-events", daemon=True)
        self._thread.start()
        if self._loop is not None:
            self._maintenance = self._loop.create_task(self._maintain())

    def stop(self) -> None:
        """Stop tailing and end every open stream (clients reconnect with Last-Event-ID)."""
        if not self._started:
            return
        self._started = False
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        self.close_streams("the server is stopping")
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._maintenance is not None:
            self._maintenance.cancel()
            self._maintenance = None
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def streams_by_name(self) -> dict[str, int]:
        """Open streams per credential name (the clients list says which PCs have one)."""
        with self._lock:
            names = [s.name for s in self.streams if not s.closed]
        counts: dict[str, int] = {}
        for n in names:
            counts[n] = counts.get(n, 0) + 1
        return counts

    def close_streams(self, why: str = "the server is stopping") -> None:
        """End every open stream now and refuse new ones (503) until the next start
        (thread-safe). A server shutting down calls this first: uvicorn waits for open
        responses before it ends the app's lifespan, and the clients had better reconnect
        to the next server than to this one."""
        with self._lock:
            self._closing = True
            streams = list(self.streams)
        for s in streams:
            self._close(s, why)

    # -- the tailer (its own thread) --------------------------------------------
    def _tail(self) -> None:
        version = None
        while not self._stopping.is_set():
            wait = POLL_S
            try:
                with self._conn_lock:
                    now = self._conn.execute("PRAGMA data_version").fetchone()[0]
                if now != version:
                    version = now
                    while True:
                        events, _, last = read_events(self._conn, self._conn_lock, self.queue.path,
                                                      self.last_id, PAGE)
                        if last == self.last_id:
                            break
                        self._publish(events, last)  # `last` passes over damaged rows too
                        wait = max(POLL_S, min(self.fanout_every_s, len(self.streams) * FANOUT_PACE_S))
                        if len(events) < PAGE:
                            break
            except sqlite3.Error as e:
                log.warning("event stream: reading the event log failed (%s); trying again", e)
                wait = 1.0
            self._stopping.wait(wait)

    def _publish(self, events: list[Event], last: int) -> None:
        frames = [(e.id, encode(e)) for e in events]
        revoking = any(e.kind in REVOKING_KINDS for e in events)
        wake: list[_Stream] = []
        direct: list[_Stream] = []
        with self._lock:
            self._append(frames)
            self.last_id = last
            if not frames:
                return
            if revoking:
                self._revocations += 1
            chunk = [f for _, f in frames]
            data = b"".join(chunk)
            framed = b"%x\r\n%s\r\n" % (len(data), data)  # one HTTP chunk, shared by every direct stream
            for s in self.streams:
                if s.closed:
                    continue
                if s.direct:
                    s.frames.append(framed if s.chunked else data)
                else:
                    s.frames.extend(chunk)
                if len(s.frames) > self.max_behind:
                    s.closed, s.cut, s.why = True, True, f"more than {self.max_behind} events behind"
                    s.frames.clear()
                    self.cut += 1
                    wake.append(s)
                elif s.direct:
                    direct.append(s)
                else:
                    wake.append(s)
        if direct and self._writer is not None:
            self._writer.poke(direct)
        loop = self._loop
        if loop is not None and (wake or revoking):
            try:
                loop.call_soon_threadsafe(self._wake, wake, revoking)
            except RuntimeError:  # the loop has closed: the server is going away
                pass
        for listener in self.listeners:
            try:
                listener(events)
            except Exception:  # a feed's fault never stops the tailer
                log.exception("event stream: a listener failed")

    def _append(self, frames: list[tuple[int, bytes]]) -> None:
        """Add frames to the ring (the caller holds the lock, or no stream exists yet)."""
        if not frames:
            return
        self._ring_ids.extend(i for i, _ in frames)
        self._ring.extend(f for _, f in frames)
        if len(self._ring) > 2 * self.ring_size:
            drop = len(self._ring) - self.ring_size
            self._ring_floor = self._ring_ids[drop - 1]
            del self._ring_ids[:drop], self._ring[:drop]

    def _wake(self, streams: list[_Stream], revoking: bool, start: int = 0) -> None:
        """Wake the tasks of ``streams[start:start + FANOUT_SLICE]`` (those the writer
        thread does not write), then let the loop answer requests before the next slice.

        Order is safe whatever order the slices of two fan-outs run in (the set of
        streams may change between them): whichever turn reaches a stream first writes
        everything waiting in its deque, in order; a later one finds it empty."""
        end = start + FANOUT_SLICE
        for s in streams[start:end]:
            if s.closed:
                self._cut(s)
            s.wake.set()
        if end < len(streams):
            self._loop.call_soon(self._wake, streams, False, end)
        if revoking:
            asyncio.ensure_future(self._recheck())

    def _keepalive_direct(self, s: _Stream) -> None:
        """A keep-alive comment for a stream the writer thread writes."""
        with self._lock:
            s.frames.append(b"%x\r\n%s\r\n" % (len(KEEPALIVE), KEEPALIVE) if s.chunked else KEEPALIVE)
        if self._writer is not None:
            self._writer.poke([s])
        s.last_write = time.monotonic()

    def _read_after(self, after: int, upto: int) -> list[tuple[int, bytes]]:
        """Frames of the events in (after, upto] from the database (any thread)."""
        out: list[tuple[int, bytes]] = []
        while after < upto:
            with self._conn_lock:
                if self._conn is None:
                    break
                events, _, last = read_events(self._conn, self._conn_lock, self.queue.path, after, PAGE)
            out += [(e.id, encode(e)) for e in events if e.id <= upto]
            if last == after:
                break
            after = last
        return out

    # -- streams (the event loop) ---------------------------------------------
    def _close(self, s: _Stream, why: str) -> None:
        """End a stream politely (any thread): its task writes the end of the response."""
        s.closed, s.why = True, s.why or why
        loop = self._loop
        if loop is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            s.wake.set()
        else:
            try:
                loop.call_soon_threadsafe(s.wake.set)
            except RuntimeError:  # the loop has closed
                pass

    def _cut(self, s: _Stream) -> None:
        """A stream whose write is blocked cannot be ended politely: close its connection
        (the writer thread does this itself for the streams it writes)."""
        if s.writing_since and s.transport is not None and not s.direct:
            s.transport.abort()

    async def _maintain(self) -> None:
        """Every second: cut stalled writes; every minute: re-check credentials (expiry)."""
        last_check = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            try:
                last_check = await self._maintain_once(last_check)
            except Exception:  # never let one bad turn end the checks for good
                log.exception("event stream: maintenance failed")

    async def _maintain_once(self, last_check: float) -> float:
        """Cut stalled writes; re-check credentials when it is time (returns the time of the last check)."""
        now = time.monotonic()
        with self._lock:
            streams = list(self.streams)
        for s in streams:
            if s.writing_since and now - s.writing_since > self.stall_s and not s.closed and not s.direct:
                s.closed, s.cut, s.why = True, True, f"no byte taken for {self.stall_s:.0f} s"
                self.cut += 1
                self._cut(s)
                s.wake.set()
        if now - last_check > self.recheck_every_s:
            last_check = now
            await self._recheck()
        return last_check

    async def _recheck(self, only: _Stream | None = None) -> None:
        """Close the streams whose credential is no longer valid."""
        with self._lock:
            streams = [only] if only is not None else list(self.streams)
        tokens = {s.token for s in streams if not s.closed}
        if not tokens:
            return
        try:
            valid = await asyncio.to_thread(self._valid_tokens, tokens)
        except Exception as e:  # the database is busy or damaged: keep the streams, try again later
            log.warning("event stream: the credentials of open streams could not be checked (%s)", e)
            return
        for s in streams:
            if s.token not in valid and not s.closed:
                log.info("event stream of %s closed: its credential is no longer valid", s.name)
                self._close(s, "revoked")

    def _valid_tokens(self, tokens: set[str]) -> set[str]:
        return {t for t in tokens if self.access.principal_for(t) is not None}

    async def open(self, token: str | None, after: int | None):
        """Authenticate and build the response of one stream (the route's body)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            if self._started and self._maintenance is None:
                self._maintenance = self._loop.create_task(self._maintain())
        principal = await asyncio.to_thread(self.access.principal_for, token) if token else None
        if principal is None:
            return Response(_error_body("unauthorized", "凭证无效、已过期或已吊销",
                                        "the credential is missing, unknown, expired or revoked"),
                            status_code=401, media_type="application/json",
                            headers={"WWW-Authenticate": "Bearer"})
        if not self._started or self._closing:
            return Response(_error_body("unavailable", "服务正在停止，请稍后重连", "the server is stopping; reconnect later"),
                            status_code=503, media_type="application/json", headers={"Retry-After": "1"})
        return EventStreamResponse(self, token, getattr(principal, "name", "?"), after)

    async def attach(self, s: _Stream, after: int | None, write) -> bytes:
        """Register ``s`` for live events and return the frames it missed after ``after``
        that the ring holds. Older ones are read from the database a page at a time and
        handed to ``write`` (async) first, so a client far behind costs a page of memory,
        not its whole backlog."""
        generation = self._revocations
        while True:
            with self._lock:
                if self._closing:
                    s.closed, s.why = True, "the server is stopping"
                    return b""
                if after is None or after >= self.last_id:
                    if after is not None and after > self.last_id:
                        log.warning("event stream of %s asks for the events after %d but the log ends at %d "
                                    "(a database restored from a backup?): it gets the new ones", s.name,
                                    after, self.last_id)
                    self.streams.add(s)
                    backlog = b""
                    break
                if after >= self._ring_floor:
                    i = bisect.bisect_right(self._ring_ids, after)
                    backlog = b"".join(self._ring[i:])
                    self.streams.add(s)
                    break
                floor = self._ring_floor
            frames, last = await asyncio.to_thread(self._read_page, after, floor)
            if frames:
                await write(b"".join(frames))
            if s.closed:
                return b""
            # up to `last` is sent (ids in between are damaged rows or never were); at the
            # ring's floor the next turn joins the ring
            after = floor if last in (after, None) or last >= floor else last
        if self._revocations != generation:
            asyncio.ensure_future(self._recheck(s))
        return backlog

    def _read_page(self, after: int, upto: int) -> tuple[list[bytes], int | None]:
        """One page of frames of the events in (after, upto] from the database, and the
        last id read (any thread)."""
        with self._conn_lock:
            if self._conn is None:
                return [], None
            events, _, last = read_events(self._conn, self._conn_lock, self.queue.path, after, PAGE)
        return [encode(e) for e in events if e.id <= upto], min(last, upto)

    def detach(self, s: _Stream) -> None:
        with self._lock:
            self.streams.discard(s)
            s.frames.clear()
        if s.direct and self._writer is not None:
            self._writer.drop(s)


def install(app: FastAPI, queue, access, keepalive_s: float = 15.0) -> EventHub:
    """Add ``GET /api/v1/events`` to ``app`` and return its hub (the app's lifespan calls
    ``hub.start()`` and ``hub.stop()``)."""
    hub = EventHub(queue, access, keepalive_s)
    app.state.event_hub = hub  # `serve` ends the streams first when it stops (close_streams)

    @app.get(
        PATH, tags=["events"], summary="The live event stream (Server-Sent Events)", status_code=200,
        response_class=EventStreamResponse,
        responses={
            200: {"description": "`text/event-stream`: each event as `id: N` and `data: {json}`; "
                                 "`: keep-alive` comments when quiet",
                  "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            401: {"description": "no, unknown, expired or revoked credential"},
        },
    )
    async def events(
        request: Request,
        after: int | None = Query(None, ge=0, description="replay the events after this id first"),
        last_event_id: str | None = Header(None, alias="Last-Event-ID",
                                           description="set by a reconnecting client; wins over `after`"),
    ):
        """Events after `Last-Event-ID` (or `?after=N`) in order, then the live ones.
        Without either, the events after the moment the stream opened."""
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        start = after
        if last_event_id is not None and last_event_id.strip():
            value = last_event_id.strip()
            if not (value.isascii() and value.isdigit()):
                return Response(_error_body("invalid", "Last-Event-ID 应为事件编号",
                                            "Last-Event-ID must be an event id (a number)"),
                                status_code=400, media_type="application/json")
            start = int(value)
        return await hub.open(token or None, start)

    return hub
