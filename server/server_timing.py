"""``Server-Timing: app;dur=1.23`` on every answer: how long the server took, in ms.

From the moment the request reached the app (its head read and parsed) to the moment the
answer's head is sent, so a client can tell the server's time from the network's and its
own waiting for a CPU (benchmarks/api_bench.py prints both; a browser's developer tools
show it per request). For an event stream it is the time to its head, not the stream's life.
"""
from __future__ import annotations

import time

HEADER = b"server-timing"


class ServerTiming:
    """Pure ASGI middleware: adds the header to every HTTP answer."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message["headers"] = [*message.get("headers", ()), (HEADER, b"app;dur=%.2f" % ms)]
            await send(message)

        await self.app(scope, receive, timed_send)


def duration_ms(value: str | None) -> float | None:
    """The ``dur`` of a Server-Timing header value (None when there is none)."""
    for part in (value or "").split(";"):
        name, _, number = part.strip().partition("=")
        if name == "dur":
            try:
                return float(number)
            except ValueError:
                return None
    return None
