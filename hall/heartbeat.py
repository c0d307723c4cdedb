"""A client app's heartbeat to the hall server (``POST /api/v1/heartbeat``, docs/network.md).

:class:`Heartbeat` runs beside a :class:`hall.remote.RemoteHall` on a thread of its own:
every ``[client] heartbeat_s`` it says which app this is, the newest event id it has,
its event stream's state and its wall clock. From each answer it measures the PC's
clock offset into a :class:`hall.clock_offset.ClockFilter` (of the last eight measures
the one with the shortest round trip is kept, as NTP's clock filter does) and reports it
in the next beat: the one measure `diag check` flags a PC's clock by. A beat that gets no answer while the event stream still counts as connected makes
the stream reconnect at once: a link that went silent (a cable pulled beyond a switch:
no reset, no close) is noticed within one interval instead of the stream's keep-alive
time-out.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from typing import Callable

import httpx

from .clock_offset import KEEP, ClockFilter, ClockOffset, measure
from .versions import VERSION

log = logging.getLogger(__name__)


class Heartbeat:
    """Beats for ``hall`` (a RemoteHall) as ``app`` ("kiosk", "screen", "caller")."""

    def __init__(self, hall, app: str, window: int | None = None, every_s: float | None = None,
                 progress: Callable[[], int | None] | None = None, wall: Callable[[], float] = time.time):
        self.hall = hall
        self.app, self.window = app, window
        client = getattr(hall.config, "client", None) if hall.config is not None else None
        self.every_s = every_s or getattr(client, "heartbeat_s", 10.0)
        self.progress = progress
        self.instance = uuid.uuid4().hex[:16]
        self.host = socket.gethostname()[:80]
        self._wall = wall  # the PC's system clock, against the server's (not the hall clock)
        self.filter = ClockFilter()
        self.last_answer: dict | None = None
        self.beats = 0  # answered
        self.failures = 0  # in a row
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Heartbeat":
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self.app}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    @property
    def offset(self) -> ClockOffset | None:
        """The PC's clock minus the server's: the best of the last round trips (None before one)."""
        return self.filter.best

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat_once()
            self._stop.wait(self.every_s)

    def body(self) -> dict:
        events = self.hall._events
        last = None
        if self.progress is not None:
            try:
                last = self.progress()
            except Exception:  # noqa: BLE001 - a reader of the app's own state
                last = None
        elif events is not None:
            last = events.newest_id()
        body = {"app": self.app, "instance": self.instance, "host": self.host, "version": VERSION,
                "stream": events.state if events is not None else "", "last_event_id": last}
        if self.window is not None:
            body["window"] = self.window
        if self.offset is not None:
            body["offset_s"], body["uncertainty_s"] = self.offset.offset_s, self.offset.uncertainty_s
        return body

    def beat_once(self) -> bool:
        """One heartbeat now; True when the server answered it."""
        hall = self.hall
        if not hall._token:  # a caller PC before its staff log in: nobody to be yet
            return False
        body = self.body()
        t0 = self._wall()
        body["client_time"] = t0
        try:
            r = hall._http.post("/heartbeat", json=body, headers=hall._headers(None), timeout=hall.timeout_s)
        except (httpx.HTTPError, RuntimeError) as e:  # RuntimeError: the client was closed meanwhile
            return self._failed(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
        t1 = self._wall()
        if r.status_code != 200:
            return self._failed(f"HTTP {r.status_code}")
        try:
            answer = r.json()
            m = measure(t0, float(answer["server_time"]), t1)
        except (ValueError, KeyError, TypeError) as e:
            return self._failed(f"an answer this client does not understand ({e})")
        self.filter.add(m)
        self.last_answer, self.beats, self.failures = answer, self.beats + 1, 0
        return True

    def _failed(self, why: str) -> bool:
        self.failures += 1
        if self.failures == 1:
            log.info("heartbeat to %s not answered: %s", self.hall.server, why)
        events = self.hall._events
        if events is not None and events.connected and not why.startswith("HTTP"):
            events.reconnect()  # the stream may be on a link gone silent: try it afresh
        return False


__all__ = ["KEEP", "Heartbeat"]
