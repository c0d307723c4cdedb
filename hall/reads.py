"""Reading the queue: tickets, window states, waiting counts, the event log and cursors.

A mix-in of :class:`hall.queue.HallQueue`; it uses the queue's connection, lock and
clock, and rolls the business day over before answering on a new day.
"""
from __future__ import annotations

import sqlite3

from .clock import business_day, set_meta
from .errors import UnknownTicket, UnknownWindow
from .eventlog import read_events
from .models import Event, Ticket, WindowState


class QueueReads:
    """The read side of HallQueue (no state of its own)."""

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            if self._checked_day != business_day(self.clock()):
                self.roll_day()
            return self._conn.execute(sql, args).fetchall()

    def ticket(self, ticket_id: int) -> Ticket:
        rows = self._read("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        if not rows:
            raise UnknownTicket(f"no ticket with id {ticket_id}", zh=f"没有编号为 {ticket_id} 的票")
        return self._ticket(rows[0])

    def ticket_by_number(self, number: str, day: str | None = None) -> Ticket:
        rows = self._read("SELECT * FROM tickets WHERE day = ? AND number = ?",
                          (day or business_day(self.clock()), number.upper()))
        if not rows:
            raise UnknownTicket(f"no ticket {number}", zh=f"没有 {number} 号票")
        return self._ticket(rows[0])

    def ticket_kiosk(self, ticket_id: int) -> str | None:
        """The kiosk that issued a ticket (None: unknown ticket, or not issued at a kiosk)."""
        rows = self._read("SELECT kiosk FROM tickets WHERE id = ?", (ticket_id,))
        return rows[0][0] if rows else None

    def waiting_for_window(self, window: int) -> int:
        services = self._windows[window].services
        marks = ",".join("?" * len(services))
        return self._read(
            f"SELECT count(*) FROM tickets WHERE status = 'waiting' AND "
            f"((target_window IS NULL AND service IN ({marks})) OR target_window = ?)",
            (*services, window))[0][0]

    def waiting_by_service(self) -> dict[str, int]:
        counts = {code: 0 for code in self._services}
        for row in self._read("SELECT service, count(*) FROM tickets WHERE status = 'waiting' GROUP BY service"):
            counts[row[0]] = row[1]
        return counts

    def window_state(self, window: int) -> WindowState:
        if window not in self._windows:
            raise UnknownWindow(f"unknown window {window}", zh=f"没有{window}号窗口")
        w = self._read("SELECT * FROM windows WHERE number = ?", (window,))[0]
        current = self.ticket(w["current_ticket"]) if w["current_ticket"] else None
        last = self.ticket(w["last_ticket"]) if w["last_ticket"] else None
        cfg = self._windows[window]
        return WindowState(window, w["state"], w["pause_reason"], current, last,
                           self.waiting_for_window(window), w["staff"], cfg.department, tuple(cfg.services))

    def window_states(self) -> list[WindowState]:
        """Every window, in four queries whatever the hall's size (the hall screen and the
        API's snapshot read this often)."""
        with self._lock:
            if self._checked_day != business_day(self.clock()):
                self.roll_day()
            c = self._conn
            rows = {r["number"]: r for r in c.execute("SELECT * FROM windows")}
            tickets = {r["id"]: self._ticket(r) for r in c.execute(
                "SELECT t.* FROM tickets t JOIN windows w ON t.id = w.current_ticket OR t.id = w.last_ticket")}
            by_service = dict(c.execute("SELECT service, count(*) FROM tickets WHERE status = 'waiting' "
                                        "AND target_window IS NULL GROUP BY service").fetchall())
            by_window = dict(c.execute("SELECT target_window, count(*) FROM tickets WHERE status = 'waiting' "
                                       "AND target_window IS NOT NULL GROUP BY target_window").fetchall())
        out = []
        for n in sorted(self._windows):
            cfg, w = self._windows[n], rows.get(n)
            if w is None:  # configured after this connection's queue synced the config
                out.append(self.window_state(n))
                continue
            waiting = sum(by_service.get(s, 0) for s in dict.fromkeys(cfg.services)) + by_window.get(n, 0)
            out.append(WindowState(n, w["state"], w["pause_reason"], tickets.get(w["current_ticket"]),
                                   tickets.get(w["last_ticket"]), waiting, w["staff"], cfg.department,
                                   tuple(cfg.services)))
        return out

    def events_after(self, last_id: int, limit: int = 500) -> list[Event]:
        """Events with id > ``last_id``, oldest first: how every other part learns what happened."""
        return read_events(self._conn, self._lock, self.path, last_id, limit)[0]  # skips a damaged row

    def event_page(self, last_id: int, limit: int = 500) -> tuple[list[Event], list[int], int]:
        """(events after ``last_id``, ids of damaged rows passed over, the last id read)."""
        return read_events(self._conn, self._lock, self.path, last_id, limit)

    @property
    def location(self) -> str:
        """Where the hall is, for people: the database file."""
        return self.path

    def link_trouble(self) -> tuple[str, str] | None:
        """The database is on this PC: there is no link to lose."""
        return None

    def _figures(self):
        # its own read-only connection: the kiosk's figures never wait for this queue's lock
        reader = getattr(self, "_figures_reader", None)
        if reader is None:
            from .snapshot import HallReader
            reader = self._figures_reader = HallReader(self.path, self.config, self.clock)
        return reader

    def snapshot(self):
        """The live figures of every service (hall.snapshot.HallSnapshot), read without blocking."""
        return self._figures().snapshot()

    def appointment(self, code: str):
        """The booked appointment ``code`` (hall.snapshot.AppointmentInfo), or None."""
        return self._figures().appointment(code)

    def last_event_id(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap "anything new?" check."""
        with self._lock:
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def issued_today(self, service: str) -> int:
        return self._read("SELECT count(*) FROM tickets WHERE day = ? AND service = ? AND status != 'cancelled'",
                          (business_day(self.clock()), service))[0][0]

    def get_cursor(self, consumer: str) -> int | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (f"cursor:{consumer}",)).fetchone()
        return int(row[0]) if row else None

    def set_cursor(self, consumer: str, event_id: int) -> None:
        with self._lock:
            set_meta(self._conn, f"cursor:{consumer}", str(event_id))
