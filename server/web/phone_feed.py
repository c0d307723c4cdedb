"""The citizens' live feeds: each open status page gets its ticket's status, the hall page
the figures of every service, pushed as Server-Sent Events.

No second tailer: the feed listens to the API's :class:`server.events.EventHub` (its
``listeners``), keeps only the events a citizen's page cares about (tickets issued,
called, finished …, windows paused or opened) and notes which services they touch. A
worker thread then recomputes the status of the open pages of those services in a few
queries (hall/ticket_status.py) on its own read-only connection, and each page whose
status changed gets one frame: the whole status as JSON, never the event itself (no
staff names, no ticket ids, no other ticket's token). Bursts coalesce: while the worker
computes, new changes pile up into its next turn. A page that reconnects gets the
current status first, so nothing needs replaying.

The worker also sends 叫号提醒 (hall/reminders.py) after each turn.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time

from hall import phone_ratings, reminders, ticket_status
from hall.db import connect_readonly
from hall.snapshot import HallReader


log = logging.getLogger(__name__)

# event kinds that never change what a citizen's page shows; any other event that names a
# service, a window or a ticket makes the pages of those services be recomputed (so kinds
# added later — check-ins, lease merges — are followed without a list to keep up to date)
QUIET_KINDS = frozenset({"refused", "device_added", "device_revoked", "staff_added", "staff_disabled",
                         "staff_enabled", "staff_password_changed", "session_ended", "printer", "voice",
                         "board", "bus", "backup"})
MAX_STREAMS = 5000  # open citizens' streams on one serve; more get 503 and poll
KEEPALIVE_S = 15.0


class PhoneStream:
    """One open page: the newest frame not yet written (older ones are superseded)."""

    __slots__ = ("ticket_id", "service", "pending", "wake", "last", "closed", "transport", "chunked", "last_write",
                 "loop")

    def __init__(self, ticket_id: int | None, service: str | None) -> None:
        self.ticket_id, self.service = ticket_id, service
        self.pending: bytes | None = None
        self.wake = asyncio.Event()
        self.last = b""  # the status last sent (without its event id): unchanged ones are not sent
        self.closed = False
        self.transport = None  # uvicorn's (httptools) transport: frames are written to it straight away
        self.chunked = True
        self.last_write = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop of the server that serves it


class PhoneFeed:
    """Open status and hall pages, and the worker that keeps them current."""

    def __init__(self, hub, queue, config, *, notify_ahead: int | None = None) -> None:
        self.hub, self.queue, self.config = hub, queue, config
        self.by_ticket: dict[int, set[PhoneStream]] = {}
        self.hall_streams: set[PhoneStream] = set()
        self.hall_frame = b""
        self.last_event_id = 0
        self.turns = 0  # recomputations done (a figure for tests and benchmarks)
        self._services_of_window = {w.number: set(w.services) for w in config.windows}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._dirty_services: set[str] = set()
        self._dirty_tickets: set[int] = set()
        self._dirty_all = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._conn = None
        self._figures_reader: HallReader | None = None
        self._local = threading.local()
        self._readers: list = []
        self.reminders = reminders.Reminders(queue, config)

    # -- life -----------------------------------------------------------------------
    def start(self) -> None:
        self._stop = False
        self._conn = connect_readonly(self.queue.path, check=False)
        self.last_event_id = self.hub.last_id
        self.hub.listeners.append(self._on_events)
        self._thread = threading.Thread(target=self._work, name="jiaohao-phones", daemon=True)
        self._thread.start()
        with self._cond:
            self._dirty_all = True  # reminders due while serve was down, the hall page's first figures
            self._cond.notify()

    def stop(self) -> None:
        if self._on_events in self.hub.listeners:
            self.hub.listeners.remove(self._on_events)
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5)
        for s in self._all_streams():
            self._close(s)
        self.close_readers()
        if self._figures_reader is not None:
            self._figures_reader.close()
            self._figures_reader = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def _figures(self) -> HallReader:
        if self._figures_reader is None:
            self._figures_reader = HallReader(self.queue.path, self.config, self.queue.clock)
        return self._figures_reader

    def _all_streams(self) -> list[PhoneStream]:
        with self._lock:
            return [s for group in self.by_ticket.values() for s in group] + list(self.hall_streams)

    def open_count(self) -> int:
        with self._lock:
            return sum(len(g) for g in self.by_ticket.values()) + len(self.hall_streams)

    # -- the hub's tailer thread ---------------------------------------------------------
    def _on_events(self, events) -> None:
        services: set[str] = set()
        tickets: set[int] = set()
        everything = False
        for e in events:
            if e.kind in QUIET_KINDS:
                continue
            if e.kind == "day_closed":
                everything = True
            if e.service:
                services.add(e.service)
            if e.window is not None:
                services |= self._services_of_window.get(e.window, set())
            to = (e.data or {}).get("to_service")
            if to:
                services.add(to)
            if e.ticket_id is not None:
                tickets.add(e.ticket_id)
        with self._cond:
            self.last_event_id = max(self.last_event_id, events[-1].id if events else 0)
            if not (services or tickets or everything):
                return
            self._dirty_services |= services
            self._dirty_tickets |= tickets
            self._dirty_all |= everything
            self._cond.notify()

    # -- the worker ---------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                while not (self._stop or self._dirty_services or self._dirty_tickets or self._dirty_all):
                    self._cond.wait()
                if self._stop:
                    return
                services, tickets, everything = self._dirty_services, self._dirty_tickets, self._dirty_all
                self._dirty_services, self._dirty_tickets, self._dirty_all = set(), set(), False
                event_id = self.last_event_id
                watched = {tid: next(iter(group)).service for tid, group in self.by_ticket.items() if group}
            try:
                self._turn(services, tickets, everything, watched, event_id)
            except Exception:
                log.exception("citizens' pages: recomputing the statuses failed; the next change tries again")
                time.sleep(0.5)

    def _turn(self, services: set[str], tickets: set[int], everything: bool, watched: dict[int, str],
              event_id: int) -> None:
        self.turns += 1
        ids = [tid for tid, svc in watched.items() if everything or svc in services or tid in tickets]
        self.reminders.adopt_bookings(self._conn)
        pending_reminders = self.reminders.pending(self._conn, None if everything else services, tickets)
        hall_pages = bool(self.hall_streams) and (everything or bool(services))
        if not (ids or pending_reminders or hall_pages):
            return  # no open page and no reminder needs the figures: ~1 ms of Python a turn, 10 turns a second at 50 operations
        figures = self._figures.snapshot()
        if ids or pending_reminders:
            rows = ticket_status.rows_by_ids(self._conn, set(ids) | {r["ticket_id"] for r in pending_reminders})
            windows = ticket_status.windows_of(self.config, self._conn)
            rated = phone_ratings.rated_ids(self._conn, [r["id"] for r in rows])
            found = ticket_status.statuses(self._conn, self.config, rows, figures, rated, windows)
            if ids:
                self._send_statuses({tid: found[tid] for tid in ids if tid in found}, event_id)
            if pending_reminders:
                self.reminders.send_due(pending_reminders, found)
        if hall_pages:
            self._send_hall(figures, event_id)

    def _send_statuses(self, found: dict[int, dict], event_id: int) -> None:
        out: list[tuple[PhoneStream, bytes]] = []
        with self._lock:
            for tid, status in found.items():
                body = json.dumps(status, ensure_ascii=False, separators=(",", ":")).encode()
                frame = frame_of(body, event_id)
                for s in self.by_ticket.get(tid, ()):
                    if s.last != body:
                        s.last = body
                        out.append((s, frame))
                    # a service changed by a transfer: the stream follows its ticket
                    s.service = status["service"]
        self._deliver(out)

    def _send_hall(self, figures, event_id: int) -> None:
        body = json.dumps(hall_json(self.config, figures), ensure_ascii=False, separators=(",", ":")).encode()
        frame = frame_of(body, event_id)
        with self._lock:
            if body == self.hall_frame:
                return
            self.hall_frame = body
            streams = list(self.hall_streams)
        self._deliver([(s, frame) for s in streams])

    def _deliver(self, out: list[tuple[PhoneStream, bytes]]) -> None:
        """Hand each frame to its stream on the stream's own event loop (the LAN listener and
        the citizens' listener each run one)."""
        by_loop: dict = {}
        for s, frame in out:
            if s.loop is not None:
                by_loop.setdefault(s.loop, []).append((s, frame))

        def hand(items) -> None:
            from .phone_stream import write_direct
            for s, frame in items:
                if s.closed:
                    continue
                if s.transport is not None:
                    write_direct(s, frame)
                else:
                    s.pending = frame
                    s.wake.set()
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(hand, items)
            except RuntimeError:  # that loop has closed: its server is going away
                pass

    def kick(self, ticket_id: int) -> None:
        """Recompute one ticket now (a reminder was set, a rating given)."""
        with self._cond:
            self._dirty_tickets.add(ticket_id)
            self._cond.notify()

    def hall_now(self) -> bytes:
        """The hall page's figures now, as JSON bytes."""
        return json.dumps(hall_json(self.config, self._figures.snapshot()), ensure_ascii=False,
                          separators=(",", ":")).encode()

    # -- streams (the event loop) -----------------------------------------------------
    def current(self, ticket_id: int) -> dict | None:
        """One ticket's status now (a page opening, the JSON twin, polling)."""
        conn = self.reader()
        rows = ticket_status.rows_by_ids(conn, [ticket_id])
        if not rows:
            return None
        return ticket_status.statuses(conn, self.config, rows, self._figures.snapshot(),
                                      phone_ratings.rated_ids(conn, [ticket_id]))[ticket_id]

    def reader(self):
        """A read-only connection of this thread's own (request threads; the worker has its own)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect_readonly(self.queue.path, check=False)
            with self._lock:
                self._readers.append(conn)
        return conn

    def close_readers(self) -> None:
        """Close the request threads' connections (the app is closing; a later request opens anew)."""
        with self._lock:
            readers, self._readers = self._readers, []
        self._local = threading.local()
        for conn in readers:
            conn.close()

    def attach(self, ticket_id: int | None, service: str | None) -> PhoneStream | None:
        """A new stream (``ticket_id`` None: the hall page), or None when too many are open."""
        s = PhoneStream(ticket_id, service)
        s.loop = asyncio.get_running_loop()
        with self._lock:
            if sum(len(g) for g in self.by_ticket.values()) + len(self.hall_streams) >= MAX_STREAMS:
                return None
            if ticket_id is None:
                self.hall_streams.add(s)
            else:
                self.by_ticket.setdefault(ticket_id, set()).add(s)
        return s

    def detach(self, s: PhoneStream) -> None:
        with self._lock:
            if s.ticket_id is None:
                self.hall_streams.discard(s)
            else:
                group = self.by_ticket.get(s.ticket_id)
                if group is not None:
                    group.discard(s)
                    if not group:
                        del self.by_ticket[s.ticket_id]

    def close_streams(self) -> None:
        """End every open page's stream now (thread-safe): serve is stopping, and uvicorn
        waits for open responses. The pages reconnect to the next serve."""
        for s in self._all_streams():
            self._close(s)

    def _close(self, s: PhoneStream) -> None:
        s.closed = True
        loop = s.loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(s.wake.set)
            except RuntimeError:
                pass


def frame_of(body: bytes, event_id: int) -> bytes:
    """One SSE frame: the status (JSON on one line) as of event ``event_id``."""
    return b"id: %d\ndata: %s\n\n" % (event_id, body)


def hall_json(config, figures) -> dict:
    """The hall page's figures: waiting and estimated wait of each service."""
    services = []
    for svc in config.services:
        f = figures.services.get(svc.code)
        services.append({"code": svc.code, "name": svc.name, "name_en": svc.name_en or "",
                         "zone": svc.zone, "zone_en": svc.zone_en or "",
                         "waiting": f.waiting if f else 0, "wait_minutes": f.wait_minutes if f else 0,
                         "windows_open": f.windows_open if f else 0,
                         "handling_minutes": f.handling_minutes if f else svc.expected_minutes,
                         "measured": bool(f and f.measured)})
    return {"hall": config.hall.name, "hall_en": config.hall.name_en or "",
            "at": figures.taken_at.isoformat(timespec="seconds"), "services": services}


def install(app) -> PhoneFeed:
    """The feed of ``app`` (the hall API app): made once, started with the hub."""
    feed = getattr(app.state, "phone_feed", None)
    if feed is None:
        st = app.state
        feed = st.phone_feed = PhoneFeed(st.event_hub, st.queue, st.config)
    return feed
