"""``Server-Timing: app;dur=1.23`` on every answer: how long the server took, in ms.

From the moment the request reached the app (its head read and parsed) to the moment the
answer's head is sent, so a client can tell the server's time from the network's and its
own waiting for a CPU (benchmarks/api_bench.py prints both; a browser's developer tools
show it per request). For an event stream it is the time to its head, not the stream's life.

The same two moments keep :data:`activity`, the process's requests in flight, which `serve`
asks before it runs a full garbage collection (jiaohao/gc_settle.py).
"""
from __future__ import annotations

import threading
import time

HEADER = b"server-timing"


class Activity:
    """Requests in flight (head read, answer's head not yet sent) in this process, every
    listener's, and when the last answer's head went out."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last_done = 0.0
        self._lock = threading.Lock()  # the LAN's and the citizens' listeners run a loop each

    def begin(self) -> None:
        with self._lock:
            self.in_flight += 1

    def end(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self.last_done = time.monotonic()

    def quiet(self, for_s: float = 0.5) -> bool:
        """No request in flight, and none answered in the last ``for_s`` seconds."""
        return self.in_flight == 0 and time.monotonic() - self.last_done >= for_s


activity = Activity()


class ServerTiming:
    """Pure ASGI middleware: adds the header to every HTTP answer."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        activity.begin()
        answered = False

        async def timed_send(message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                activity.end()
                ms = (time.perf_counter() - start) * 1000
                message["headers"] = [*message.get("headers", ()), (HEADER, b"app;dur=%.2f" % ms)]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            if not answered:  # no answer at all (the client went away, or the app failed)
                answered = True
                activity.end()


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
