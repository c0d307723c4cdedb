"""The hall's event log on a client PC: the event stream (``GET /events``) kept in a buffer.

:class:`EventBuffer` holds every event after the id it started from (the server's last
one at that moment), fed by a background thread that reads the stream and reconnects
with ``Last-Event-ID`` when it drops, so nothing is missed or doubled. ``after(n)``
answers from the buffer without a request; a range older than the buffer, or the
buffer before its first connection, is read with ``GET /events/log``. A server without
the stream is polled (``/events/log`` once a second) instead.
"""
from __future__ import annotations

import json
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
        self._response = None
        self.connected = False
        self.reconnects = 0

    # -- reading -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hall-events", daemon=True)
        self._thread.start()

    def _ensure_base(self) -> int:
        with self._cond:
            if self._base is not None:
                return self._base
        last = self.hall.health()["last_event_id"]  # raises ServerUnreachable: said to the caller
        with self._cond:
            if self._base is None:
                self._base = self._last = last
                self._cond.notify_all()
            return self._base

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
                out = []
                for e in self._events:  # (a deque: short scans, the newest few at the end)
                    if e.id > last_id:
                        out.append(e)
                        if len(out) >= limit:
                            break
                return out
        events, _ = self.hall.log_page(last_id, min(limit, base - last_id))
        return [e for e in events if e.id <= base]

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
        r = self._response
        if r is not None:
            try:
                r.close()
            except Exception:  # noqa: BLE001 - closing a stream another thread reads
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._ensure_base()
                if self.use_stream:
                    self._read_stream()
                else:
                    self._poll_once()
                    self._stop.wait(POLL_S)
                    continue
                failures = 0
            except _NoStream:
                log.warning("the hall server at %s has no event stream: polling its event log", self.hall.server)
                self.use_stream = False
                continue
            except (httpx.HTTPError, HallError, ValueError, OSError) as e:
                if self._stop.is_set():
                    break
                if self.connected or failures == 0:
                    log.warning("event stream from %s: %s; reconnecting", self.hall.server,
                                e if str(e) else type(e).__name__)
                failures += 1
            finally:
                self.connected = False
            self.reconnects += 1
            self._stop.wait(RECONNECT_S[min(failures, len(RECONNECT_S) - 1)])

    def _poll_once(self) -> None:
        with self._cond:
            last = self._last
        while True:
            events, _ = self.hall.log_page(last, 500)
            self.connected = True
            for e in events:
                self._add(e)
            if len(events) < 500:
                return
            last = events[-1].id

    def _read_stream(self) -> None:
        with self._cond:
            last = self._last
        headers = dict(self.hall._headers(None))
        headers["Last-Event-ID"] = str(last)
        headers["Accept"] = "text/event-stream"
        timeout = httpx.Timeout(self.hall.timeout_s, read=max(60.0, self.hall.timeout_s))  # keep-alives come every 15 s
        with self.hall._http.stream("GET", "/events", params={"after": last}, headers=headers,
                                    timeout=timeout) as r:
            if r.status_code in (404, 405, 501):
                raise _NoStream()
            if r.status_code >= 400:
                r.read()
                from .remote import refusal
                raise refusal(r)
            self._response = r
            self.connected = True
            data: list[str] = []
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line == "":
                    if data:
                        self._add(wire.event(json.loads("\n".join(data))))
                        data = []
                elif line.startswith("data:"):
                    data.append(line[6:] if line.startswith("data: ") else line[5:])
                # id:, retry: and ": keep-alive" comments: the data carries the id already
        if not self._stop.is_set():
            raise ServerUnreachable(self.hall.server, "the event stream ended")


class _NoStream(Exception):
    pass
