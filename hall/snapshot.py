"""The live figures of each service (waiting, issued, estimated wait), read without blocking:
what the kiosk's home screen and the hall API's snapshot show.

The kiosk reads the queue database through its own read-only connection instead of
the :class:`hall.HallQueue` one: a HallQueue serialises its operations on one lock,
so a ticket being issued while the database is busy (another process holding the
write lock for seconds) would freeze the home screen's refresh. Reads in WAL mode
never wait for writers, and a short busy timeout keeps the refresh snappy; when a
read fails anyway the previous snapshot stays on screen.

Estimated waits come from recent handling times: the ``calls`` rows of the service
that ended today (``ended_at - called_at``), falling back to the service's configured
``expected_minutes`` until there are enough of them.
"""
from __future__ import annotations

import logging
import math
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from .clock import business_day
from .issue_stops import issue_stops

if TYPE_CHECKING:
    from config import HallConfig, Service

log = logging.getLogger(__name__)

# Handling times considered per service, and how many are needed before trusting them.
RECENT_CALLS = 20
MIN_SAMPLES = 3


@dataclass(frozen=True)
class ServiceFigures:
    """The live figures of one service."""

    code: str
    waiting: int = 0
    issued_today: int = 0
    handling_minutes: float = 8.0  # average recent handling time, or the configured one
    measured: bool = False  # True when handling_minutes comes from today's calls
    windows_open: int = 1  # windows offering the service that are not closed or paused
    wait_minutes: int = 0  # estimated wait of a ticket taken now
    stopped: str | None = None  # 暂停取号 today by a manager: the reason shown on the kiosk


@dataclass(frozen=True)
class HallSnapshot:
    """Figures of every service at one moment (``ok`` False: the read failed, figures are stale)."""

    taken_at: datetime
    services: dict[str, ServiceFigures] = field(default_factory=dict)
    ok: bool = True


@dataclass(frozen=True)
class AppointmentInfo:
    code: str
    service: str
    name: str
    slot_at: float
    day: str
    ticket_id: int | None


def estimate_wait(waiting: int, handling_minutes: float, windows_open: int) -> int:
    """Minutes until a ticket taken now is called: the people ahead shared by the open windows."""
    if waiting <= 0:
        return 0
    return max(1, math.ceil(waiting * handling_minutes / max(1, windows_open)))


class HallReader:
    """Reads the live figures of the hall for the kiosk (its own connection, read only)."""

    def __init__(self, db_path: str, config: HallConfig, clock, busy_timeout_ms: int = 200):
        self.config = config
        self.clock = clock
        self.path = str(db_path)
        self._busy_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None
        self._last: HallSnapshot | None = None
        self._lock = threading.Lock()  # the screen and the issuing thread both read
        self._offering = {svc.code: [w.number for w in config.windows if svc.code in w.services]
                          for svc in config.services}  # the windows that offer each service

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=self._busy_ms / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            conn.execute("PRAGMA query_only = ON")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def snapshot(self) -> HallSnapshot:
        """Current figures; on a database error the last good figures marked ``ok=False``."""
        now = self.clock()
        try:
            with self._lock:
                snap = self._read(now)
        except sqlite3.Error as e:
            log.warning("queue database not readable now (%s); keeping the last figures", e)
            last = self._last or HallSnapshot(now, {s.code: self._fallback(s) for s in self.config.services})
            return HallSnapshot(last.taken_at, last.services, ok=False)
        self._last = snap
        return snap

    def _fallback(self, svc: Service) -> ServiceFigures:
        return ServiceFigures(svc.code, handling_minutes=svc.expected_minutes)

    def _read(self, now: datetime) -> HallSnapshot:
        c = self._connection()
        day = business_day(now)
        waiting = dict(c.execute("SELECT service, count(*) FROM tickets WHERE status = 'waiting' "
                                 "GROUP BY service").fetchall())
        issued = dict(c.execute("SELECT service, count(*) FROM tickets WHERE day = ? AND status != 'cancelled' "
                                "GROUP BY service", (day,)).fetchall())
        states = dict(c.execute("SELECT number, state FROM windows").fetchall())
        stops = issue_stops(c, day)
        recent: dict[str, list[float]] = {}  # the last RECENT_CALLS handling times of each service
        for code, took in c.execute(
                "SELECT service, took FROM (SELECT service, ended_at - called_at AS took, row_number() OVER "
                "(PARTITION BY service ORDER BY ended_at DESC) AS nth FROM calls WHERE day = ? "
                "AND outcome = 'finished' AND ended_at IS NOT NULL) WHERE nth <= ?", (day, RECENT_CALLS)):
            recent.setdefault(code, []).append(took)
        out = {}
        for svc in self.config.services:
            samples = [t / 60 for t in recent.get(svc.code, ()) if t is not None and t > 0]
            measured = len(samples) >= MIN_SAMPLES
            handling = sum(samples) / len(samples) if measured else svc.expected_minutes
            open_windows = sum(1 for n in self._offering[svc.code] if states.get(n, "idle") in ("idle", "serving"))
            n = waiting.get(svc.code, 0)
            out[svc.code] = ServiceFigures(svc.code, n, issued.get(svc.code, 0), round(handling, 1), measured,
                                           open_windows, estimate_wait(n, handling, open_windows),
                                           stops.get(svc.code))
        return HallSnapshot(now, out)

    def appointment(self, code: str) -> AppointmentInfo | None:
        """The booked appointment ``code`` (to explain a refused check-in), or None."""
        try:
            with self._lock:
                row = self._connection().execute(
                    "SELECT code, service, name, slot_at, day, ticket_id FROM appointments WHERE code = ?",
                    (code.strip().upper(),)).fetchone()
        except sqlite3.Error as e:
            log.warning("cannot read appointment %s: %s", code, e)
            return None
        return AppointmentInfo(*row) if row else None
