"""One open citizen's page as a Server-Sent Events response (server/web/phone_feed.py
keeps them current): ``retry``, the current status, then each newer one. Under uvicorn's
httptools HTTP/1.1 server the feed writes frames to the connection itself, as the API's
event hub does (server/events.py); elsewhere the response's task sends them."""
from __future__ import annotations

import asyncio
import time

from starlette.responses import Response

from ..event_response import _direct_ok, _wait_disconnect
from .phone_feed import KEEPALIVE_S, PhoneFeed, PhoneStream

MAX_BUFFER = 64 << 10  # bytes a phone has not taken beyond which it is dropped (it reconnects)


def write_direct(s: PhoneStream, data: bytes) -> None:
    """Write a frame to the stream's transport now (on the loop): one ``write()``, no task
    switch. A phone that takes nothing while MAX_BUFFER bytes wait is dropped (it reconnects
    and gets the current status)."""
    t = s.transport
    if t is None or t.is_closing():
        s.closed = True
        s.wake.set()
        return
    t.write(b"%x\r\n%s\r\n" % (len(data), data) if s.chunked else data)
    s.last_write = time.monotonic()
    if t.get_write_buffer_size() > MAX_BUFFER:
        s.closed = True
        t.abort()
        s.wake.set()


class PhoneStreamResponse(Response):
    """One open page's SSE response: ``retry`` and the current status, then each newer one.
    Under uvicorn's httptools server the feed writes frames to the connection itself (as
    server/events.py does); elsewhere this task sends them through ASGI ``send``."""

    media_type = "text/event-stream"

    def __init__(self, feed: PhoneFeed, stream: PhoneStream, first: bytes, keepalive_s: float = KEEPALIVE_S):
        self.feed, self.stream, self.first, self.keepalive_s = feed, stream, first, keepalive_s
        self.status_code = 200
        self.background = None
        self.body = b""
        self.raw_headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
                            (b"x-accel-buffering", b"no")]

    async def __call__(self, scope, receive, send) -> None:
        s, feed = self.stream, self.feed
        cycle = getattr(receive, "__self__", None)

        def gone(_task) -> None:
            s.closed = True
            s.wake.set()
        watcher = asyncio.ensure_future(_wait_disconnect(receive))
        watcher.add_done_callback(gone)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": b"retry: 3000\n\n" + self.first, "more_body": True})
            s.last_write = time.monotonic()
            if _direct_ok(cycle) and not s.closed:
                s.chunked = bool(cycle.chunked_encoding)
                s.transport = cycle.transport
                if s.pending:  # came meanwhile: this is the loop's thread, no frame can pass it
                    frame, s.pending = s.pending, None
                    write_direct(s, frame)
            while not s.closed:
                s.wake.clear()
                if s.pending is None:
                    quiet = time.monotonic() - s.last_write
                    try:
                        await asyncio.wait_for(s.wake.wait(), max(self.keepalive_s - quiet, 0.001))
                    except asyncio.TimeoutError:
                        if s.closed or time.monotonic() - s.last_write < self.keepalive_s:
                            continue
                        if s.transport is not None:
                            write_direct(s, b": keep-alive\n\n")
                        else:
                            await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
                            s.last_write = time.monotonic()
                        continue
                frame, s.pending = s.pending, None
                if frame and not s.closed:
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                    s.last_write = time.monotonic()
            if not watcher.done() and (s.transport is None or not s.transport.is_closing()):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the phone went away mid-write
        finally:
            feed.detach(s)
            watcher.remove_done_callback(gone)
            watcher.cancel()
