"""The hall's event log on a client PC: the event stream (``GET /events``) kept in a buffer.

:class:`EventBuffer` holds every event after the id it started from (the server's last
one at that moment), fed by :class:`hall.sse.EventStream` in a background thread, which
reconnects with ``Last-Event-ID`` when the stream drops: nothing is missed or doubled.
``after(n)`` answers from the buffer without a request; a range older than the buffer is
read with ``GET /events/log``. A server without the stream is polled (``/events/log``
once a second) instead.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque

import httpx

from . import wire
from .errors import HallError, ServerUnreachable
from .models import Event

log = logging.getLogger(__name__)

KEEP_EVENTS = 20_000
RECONNECT_S = (0.2, 0.5, 1.0, 2.0, 2.0)  # waits before each next reconnect, then the last one
POLL_S = 1.0


class EventBuffer:
    """Events of one RemoteHall, newest ``KEEP_EVENTS`` kept; thread-safe."""

    def __init__(self, hall, stream: bool = True):
        self.hall = hall
        self.use_stream = stream
        self._events: deque[Event] = deque()
        self._base: int | None = None  # every event with id > _base is in the buffer (or still coming)
        self._last = 0  # the newest id seen
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sse = None  # hall.sse.EventStream
        self._waited = False  # a reader has waited for the first contact
        self._failures = 0  # failed first contacts
        self.connected = False
        self.down_since = time.monotonic()
        self.state = "connecting"  # hall.sse's CONNECTED, DISCONNECTED, REVOKED …; "polling"
        self.reconnects = 0  # connections of the stream (the first included)

    # -- reading -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hall-events", daemon=True)
        self._thread.start()

    def _ensure_base(self) -> int:
        """The id the buffer starts after. The background thread asks the server for it; a
        reader waits for that once (at most the time-out), later ones are told at once, so a
        GUI that polls us never stalls while the server is away."""
        with self._cond:
            if self._base is None and not self._waited:
                self._waited = True
                self._cond.wait_for(lambda: self._base is not None or self._failures > 0,
                                    self.hall.timeout_s + 0.5)
            if self._base is None:
                raise ServerUnreachable(self.hall.server, "no answer yet")
            return self._base

    def _fetch_base(self) -> None:
        try:
            last = self.hall.health()["last_event_id"]
        except Exception:
            with self._cond:
                self._failures += 1
                self._cond.notify_all()
            raise
        with self._cond:
            if self._base is None:
                self._base = self._last = last
            self._cond.notify_all()

    def last_id(self) -> int:
        """The newest event id known here (no request once the buffer has started)."""
        self._ensure_base()
        with self._cond:
            return self._last

    def after(self, last_id: int, limit: int = 500) -> list[Event]:
        """Events with id > ``last_id``, oldest first."""
        self._ensure_base()
        with self._cond:
            base = self._base
            if last_id >= base:
                newer = []
                for e in reversed(self._events):  # readers are mostly near the end: scan from there
                    if e.id <= last_id:
                        break
                    newer.append(e)
                newer.reverse()
                return newer[:limit]
        return self.hall.log_page(last_id, limit)[0]

    def newest_id(self) -> int | None:
        """The newest event id here, or None before the first contact (never waits)."""
        with self._cond:
            return self._last if self._base is not None else None

    def reconnect(self) -> None:
        """Drop the stream's connection now (it resumes with ``Last-Event-ID``)."""
        sse = self._sse
        if sse is not None:
            sse.reconnect()

    def wait_for(self, event_id: int, timeout_s: float) -> bool:
        """Wait until the event ``event_id`` has arrived (tests, scripts)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._last < event_id:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _add(self, e: Event) -> None:
        with self._cond:
            if e.id <= self._last:
                return  # a replay after a reconnect overlapping what we have
            self._events.append(e)
            self._last = e.id
            while len(self._events) > KEEP_EVENTS:
                self._base = self._events.popleft().id
            self._cond.notify_all()

    # -- the background thread -------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        sse = self._sse
        if sse is not None:
            sse.stop(2.0)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():  # the base first: the stream starts right after it
            try:
                self._fetch_base()
                break
            except (HallError, httpx.HTTPError, ValueError, KeyError, TypeError) as e:
                if failures == 0:
                    log.warning("event log of %s not reachable yet: %s", self.hall.server, e)
                failures += 1
                self._stop.wait(RECONNECT_S[min(failures, len(RECONNECT_S) - 1)])
        if self._stop.is_set():
            return
        if self.use_stream:
            self._start_stream()
        else:
            self._poll()

    def _start_stream(self) -> None:
        from .sse import EventStream
        server = getattr(self.hall.config, "server", None)
        with self._cond:
            after = self._last
        self._sse = EventStream(self.hall.server, self.hall._token, after, self._on_events, self._on_state,
                                keepalive_s=server.keepalive_seconds if server else 15.0,
                                connect_timeout_s=self.hall.timeout_s, transport=self.hall._transport)
        self._sse.start()

    def _on_events(self, batch: list[dict]) -> None:
        for d in batch:
            try:
                self._add(wire.event(d))
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                log.warning("event %r from %s passed over: %s", d, self.hall.server, e)

    def _on_state(self, state: str, reason: str) -> None:
        from .sse import CONNECTED, REVOKED
        if self.connected and state != CONNECTED:
            self.down_since = time.monotonic()
        self.connected = state == CONNECTED
        self.state = state
        if state == CONNECTED:
            self.reconnects += 1
        elif state == REVOKED:
            log.warning("event stream of %s refused this PC's credential: %s", self.hall.server, reason)
        elif reason.startswith(("HTTP 404", "HTTP 405", "HTTP 501")) and not self._stop.is_set():
            log.warning("the hall server at %s has no event stream (%s): polling its event log",
                        self.hall.server, reason)
            self._sse.stop(0)
            self.use_stream = False
            self._thread = threading.Thread(target=self._poll, name="hall-events-poll", daemon=True)
            self._thread.start()

    def _poll(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with self._cond:
                    last = self._last
                events, _ = self.hall.log_page(last, 500)
                self.connected, failures = True, 0
                for e in events:
                    self._add(e)
                if len(events) == 500:
                    continue
            except HallError as e:
                if self.connected or failures == 0:
                    log.warning("event log of %s: %s", self.hall.server, e)
                    self.down_since = time.monotonic()
                self.connected = False
                failures += 1
            self._stop.wait(POLL_S)
