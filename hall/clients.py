"""The hall's client PCs as their heartbeats tell the server: which kiosks, screens and
software callers are connected, since when, how far behind, how far off their clocks.

Each client app posts a heartbeat every ``[client] heartbeat_s`` (10 s;
``POST /api/v1/heartbeat``, docs/network.md). :class:`ClientRegistry` (inside `serve`)
keeps them in memory and writes them to the ``clients`` table at most once per
heartbeat interval, in one transaction, so 150 PCs cost one small write every 10 s and
`jiaohao diag check` on the controller can read them without the API
(:func:`read_clients`). A client is *connected* while its last heartbeat is younger than
:func:`stale_after` (three intervals); *since* is the first heartbeat of its current
run (a gap or a restart of the app starts a new one); *lag* is the server's newest
event id minus the newest one the client had; its clock offset is measured as
:mod:`hall.clock_offset` says.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable

from . import clock_offset
from .errors import HallError

log = logging.getLogger(__name__)

APPS = ("kiosk", "screen", "caller", "other")
COLUMNS = ("key", "credential", "name", "role", "app", "window", "address", "host", "instance", "version",
           "connected_since", "last_seen", "last_event_id", "server_last_id", "stream", "offset_s",
           "uncertainty_s", "offset_method", "heartbeats")


def stale_after(heartbeat_s: float) -> float:
    """A client silent this long is no longer connected (three beats, and at least 5 s)."""
    return max(3.0 * heartbeat_s, heartbeat_s + 5.0)


@dataclass(frozen=True)
class ClientRecord:
    """One client app on one PC, as its last heartbeat left it (times: server wall clock)."""

    key: str
    credential: str
    name: str
    role: str
    app: str
    window: int | None
    address: str
    host: str
    instance: str
    version: str
    connected_since: float
    last_seen: float
    last_event_id: int | None
    server_last_id: int | None
    stream: str
    offset_s: float | None
    uncertainty_s: float | None
    offset_method: str | None
    heartbeats: int

    @property
    def offset(self) -> clock_offset.ClockOffset | None:
        if self.offset_s is None:
            return None
        return clock_offset.ClockOffset(self.offset_s, self.uncertainty_s or 0.0, self.last_seen,
                                        self.offset_method or "one-way")

    def view(self, now: float, server_last_id: int | None, heartbeat_s: float, max_skew_s: float) -> dict:
        """What `GET /clients` and `diag check` say of it."""
        connected = now - self.last_seen <= stale_after(heartbeat_s)
        lag = None  # as of its last heartbeat: the server's newest event then minus the client's
        if self.last_event_id is not None:
            lag = max(0, (self.server_last_id or 0) - self.last_event_id)
        return {
            "name": self.name, "role": self.role, "app": self.app, "window": self.window,
            "credential": self.credential, "address": self.address, "host": self.host, "version": self.version,
            "connected": connected,
            "since": self.connected_since if connected else None,
            "last_seen": self.last_seen, "seen_ago_s": round(max(0.0, now - self.last_seen), 1),
            "last_event_id": self.last_event_id, "lag": lag, "stream": self.stream,
            "offset_s": None if self.offset_s is None else round(self.offset_s, 3),
            "offset_uncertainty_s": None if self.uncertainty_s is None else round(self.uncertainty_s, 3),
            "clock_skewed": clock_offset.is_skewed(self.offset_s, max_skew_s),
            "heartbeats": self.heartbeats,
        }


class ClientRegistry:
    """The heartbeats of one `serve` (thread-safe); ``wall`` is the server's wall clock."""

    def __init__(self, queue, heartbeat_s: float = 10.0, max_skew_s: float = clock_offset.DEFAULT_MAX_SKEW_S,
                 wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic):
        self._queue = queue
        self.heartbeat_s = heartbeat_s
        self.max_skew_s = max_skew_s
        self._wall, self._monotonic = wall, monotonic
        self._lock = threading.Lock()
        self._clients: dict[str, ClientRecord] = {}
        self._dirty: set[str] = set()
        self._written = monotonic()
        try:
            for rec in read_records(queue._conn, queue._lock):
                self._clients[rec.key] = rec
        except (sqlite3.Error, AttributeError) as e:  # a database without the table yet
            log.warning("the clients' last heartbeats were not read: %s", e)

    @classmethod
    def for_config(cls, queue, config) -> "ClientRegistry":
        client = getattr(config, "client", None)
        return cls(queue, getattr(client, "heartbeat_s", 10.0), clock_offset.max_skew(config))

    def beat(self, credential: str, name: str, role: str, *, app: str, instance: str, window: int | None = None,
             last_event_id: int | None = None, server_last_id: int | None = None, stream: str = "",
             client_time: float | None = None, offset: clock_offset.ClockOffset | None = None,
             address: str = "", host: str = "", version: str = "", received_at: float | None = None) -> ClientRecord:
        """Record one heartbeat; the record as it now stands."""
        now = self._wall() if received_at is None else received_at
        key = f"{credential}/{app}" + (f"/{window}" if window is not None and role != "caller" else "")
        measured = offset
        if client_time is not None:
            measured = clock_offset.best(offset, clock_offset.one_way(client_time, now))
        with self._lock:
            old = self._clients.get(key)
            fresh = (old is None or old.instance != instance
                     or now - old.last_seen > stale_after(self.heartbeat_s))
            rec = ClientRecord(
                key, credential, name, role, app, window, address, host, instance, version,
                now if fresh else old.connected_since, now, last_event_id, server_last_id, stream[:40],
                measured.offset_s if measured else None, measured.uncertainty_s if measured else None,
                measured.method if measured else None, 1 if fresh else old.heartbeats + 1)
            if old is not None and old.connected_since != rec.connected_since and old.instance == instance:
                log.info("client %s is back after %.0f s", key, now - old.last_seen)
            self._clients[key] = rec
            self._dirty.add(key)
            due = self._monotonic() - self._written >= self.heartbeat_s
        if fresh or due:
            self.flush()
        return rec

    def records(self) -> list[ClientRecord]:
        with self._lock:
            return sorted(self._clients.values(), key=lambda r: (APPS.index(r.app) if r.app in APPS else 9,
                                                                  r.name, r.key))

    def views(self, server_last_id: int | None) -> list[dict]:
        now = self._wall()
        return [r.view(now, server_last_id, self.heartbeat_s, self.max_skew_s) for r in self.records()]

    def offset_for(self, credential_name: str) -> clock_offset.ClockOffset | None:
        """The last measured clock offset of a device (by its name), the freshest of its apps."""
        found = [r for r in self.records() if r.name == credential_name and r.offset_s is not None]
        return max(found, key=lambda r: r.last_seen).offset if found else None

    def flush(self) -> None:
        """Write the records changed since the last flush (a failure only delays them)."""
        with self._lock:
            rows = [self._clients[k] for k in self._dirty]
            self._dirty = set()
            self._written = self._monotonic()
        if not rows:
            return
        try:
            with self._queue.transaction() as (c, _):
                c.executemany(f"INSERT OR REPLACE INTO clients ({', '.join(COLUMNS)}) "
                              f"VALUES ({', '.join('?' * len(COLUMNS))})",
                              [tuple(asdict(r)[col] for col in COLUMNS) for r in rows])
        except (sqlite3.Error, HallError) as e:
            log.warning("clients' heartbeats not written now: %s", e)
            with self._lock:
                self._dirty.update(r.key for r in rows)


def read_records(conn: sqlite3.Connection, lock=None) -> list[ClientRecord]:
    """Every row of the ``clients`` table."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM clients ORDER BY app, name"
    if lock is not None:
        with lock:
            rows = conn.execute(sql).fetchall()
    else:
        rows = conn.execute(sql).fetchall()
    return [ClientRecord(*tuple(r)) for r in rows]


def read_clients(conn: sqlite3.Connection, heartbeat_s: float, max_skew_s: float, server_last_id: int | None,
                 now: float | None = None) -> list[dict]:
    """The clients as the table has them (written by `serve` every heartbeat interval)."""
    now = time.time() if now is None else now
    return [r.view(now, server_last_id, heartbeat_s, max_skew_s) for r in read_records(conn)]


__all__ = ["ClientRecord", "ClientRegistry", "read_clients", "read_records", "stale_after"]
