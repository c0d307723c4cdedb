"""The response of one event stream (``GET /api/v1/events``): its headers, the replay the
hub hands it, then live chunks, written by the writer thread (server/fanout.py) under
uvicorn's httptools server or by this response's task through ASGI ``send`` elsewhere;
keep-alive comments when quiet; the end of the response, or a cut connection for a
client too slow to take it. The hub that feeds it is :mod:`server.events`."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any

from starlette.responses import Response

from server.fanout import FanoutWriter

log = logging.getLogger("server.events")

RETRY_MS = 2000  # the reconnection time a browser's EventSource is told
KEEPALIVE = b": keep-alive\n\n"


class _Stream:
    """One open stream: frames waiting to be written and how to wake its task."""

    __slots__ = ("token", "name", "frames", "wake", "closed", "cut", "why", "writing_since", "transport",
                 "direct", "chunked", "last_write", "sock", "pending")

    def __init__(self, token: str, name: str) -> None:
        self.token, self.name = token, name
        self.frames: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.closed = False
        self.cut = False  # too slow: its connection is dropped, not ended
        self.why = ""
        self.writing_since = 0.0  # monotonic start of a write still blocked, 0 when none
        self.transport: Any = None  # the server's transport when it can be found (to cut a stalled write)
        self.direct = False  # the writer thread writes its frames to its socket (server/fanout.py)
        self.chunked = True
        self.last_write = 0.0
        self.sock: Any = None  # the writer's duplicate of the connection's socket (its thread only)
        self.pending = b""  # bytes the client has not taken yet (the writer's thread only)


class EventStreamResponse(Response):
    """The SSE response of one stream, written straight to the ASGI ``send``."""

    media_type = "text/event-stream"

    def __init__(self, hub: EventHub, token: str, name: str, after: int | None) -> None:
        self.hub, self.after = hub, after
        self.stream = _Stream(token, name)
        self.status_code = 200
        self.background = None
        self.body = b""
        self.raw_headers = [(b"content-type", b"text/event-stream; charset=utf-8"),
                            (b"cache-control", b"no-cache"),
                            (b"x-accel-buffering", b"no")]

    async def __call__(self, scope, receive, send) -> None:
        hub, s = self.hub, self.stream
        cycle = getattr(receive, "__self__", None)
        s.transport = getattr(cycle, "transport", None)  # uvicorn's, to cut a stalled client

        def gone(_task) -> None:
            s.closed, s.why = True, s.why or "the client went away"
            s.wake.set()

        watcher = asyncio.ensure_future(_wait_disconnect(receive))
        watcher.add_done_callback(gone)
        try:
            await self._write(send, {"type": "http.response.start", "status": 200,
                                     "headers": self.raw_headers})
            await self._write(send, _body(b"retry: %d\n\n" % RETRY_MS))
            backlog = await hub.attach(s, self.after, lambda data: self._write(send, _body(data)))
            if backlog:
                await self._write(send, _body(backlog))
            s.last_write = time.monotonic()
            if (_direct_ok(cycle) and not s.closed and hub._writer is not None
                    and FanoutWriter.can_adopt(s.transport) and hub._writer.adopt(s, s.transport)):
                # from here on (nothing of ours pending) the writer thread writes this
                # stream's chunks; the frames that came meanwhile go first, framed here
                with hub._lock:
                    pending = b"".join(s.frames)
                    s.frames.clear()
                    s.chunked = bool(cycle.chunked_encoding)
                    if pending:
                        s.frames.append(b"%x\r\n%s\r\n" % (len(pending), pending) if s.chunked else pending)
                    s.direct = True
                if pending:
                    hub._writer.poke([s])
            keepalive = hub.keepalive_s
            while not s.closed:
                if s.direct or not s.frames:
                    s.wake.clear()
                    quiet = time.monotonic() - s.last_write
                    try:
                        async with asyncio.timeout(max(keepalive - quiet, 0.001)):
                            await s.wake.wait()
                    except TimeoutError:
                        if s.closed or time.monotonic() - s.last_write < keepalive:
                            continue
                        if s.direct:
                            hub._keepalive_direct(s)
                        else:
                            await self._write(send, _body(KEEPALIVE))
                            s.last_write = time.monotonic()
                        continue
                    if s.closed or s.direct or not s.frames:
                        continue
                with hub._lock:
                    chunk = b"".join(s.frames)
                    s.frames.clear()
                await self._write(send, _body(chunk))
                s.last_write = time.monotonic()
            if s.direct and hub._writer is not None and not await hub._writer.release(s):
                s.cut = True  # what it holds could not be written: the end cannot follow it
            if s.cut and s.transport is not None:
                # a slow client cannot take the end of the response: drop its connection
                s.transport.abort()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(watcher), 1.0)
            elif not watcher.done():
                await self._write(send, {"type": "http.response.body", "body": b"", "more_body": False})
            if s.why != "the client went away":
                log.info("event stream of %s ended: %s", s.name, s.why)
        finally:
            hub.detach(s)
            watcher.remove_done_callback(gone)
            watcher.cancel()

    async def _write(self, send, message) -> None:
        s = self.stream
        s.writing_since = time.monotonic()
        try:
            await send(message)
        finally:
            s.writing_since = 0.0


def _direct_ok(cycle) -> bool:
    """Whether this response runs on uvicorn's httptools HTTP/1.1 cycle, whose transport
    and chunked framing the writer thread (server/fanout.py) knows."""
    return (type(cycle).__module__ == "uvicorn.protocols.http.httptools_impl"
            and getattr(cycle, "transport", None) is not None
            and getattr(cycle, "chunked_encoding", None) is not None
            and not getattr(cycle, "disconnected", True))


def _body(data: bytes) -> dict:
    return {"type": "http.response.body", "body": data, "more_body": True}


async def _wait_disconnect(receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
