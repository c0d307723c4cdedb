"""Tail the event log: how every other part (voice, screens, buses) learns what happened.

A consumer with a name keeps its cursor in the database, so after a restart it
resumes from the last event it handled: nothing is lost and nothing is repeated.
A damaged event row (e.g. one flipped byte in its data, which SQLite's integrity check
does not see) is skipped and reported once with its id, so the parts that tail the log
keep running instead of failing on it at every start.
"""
from __future__ import annotations

import logging
import sqlite3

from .models import Event
from .queue import HallQueue

log = logging.getLogger(__name__)

_reported: set[tuple[str, int]] = set()  # (database, event id): each damaged row is said once


class EventFeed:
    """Events after a cursor, in order. ``consumer=None`` keeps the cursor in memory only."""

    def __init__(self, queue: HallQueue, consumer: str | None = None, start: int | None = None):
        self.queue = queue
        self.consumer = consumer
        self.skipped: list[int] = []  # ids of damaged events this feed passed over
        if start is not None:
            self.last_id = start
        elif consumer is not None:
            saved = queue.get_cursor(consumer)
            self.last_id = saved if saved is not None else queue.last_event_id()
        else:
            self.last_id = queue.last_event_id()

    def poll(self, limit: int = 500) -> list[Event]:
        """New events since the last poll (the cursor moves; call :meth:`save` once handled)."""
        try:
            events = self.queue.events_after(self.last_id, limit)
        except (ValueError, TypeError, sqlite3.DatabaseError):
            return self._poll_one_by_one(limit)
        if events:
            self.last_id = events[-1].id
        return events

    def _poll_one_by_one(self, limit: int) -> list[Event]:
        """The batch holds a damaged row: read each row alone and pass over the bad ones."""
        q = self.queue
        with q._lock:
            ids = [r[0] for r in q._conn.execute(
                "SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?", (self.last_id, limit))]
        events = []
        for event_id in ids:
            try:
                with q._lock:
                    row = q._conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
                events.append(Event.from_row(row))
            except (ValueError, TypeError, sqlite3.DatabaseError) as e:
                self.skipped.append(event_id)
                if (q.path, event_id) not in _reported:
                    _reported.add((q.path, event_id))
                    log.error("event %d in the queue database %s is damaged (%s): skipped. "
                              "Run `jiaohao diag check`; restore the last backup with `jiaohao restore` "
                              "if more is damaged", event_id, q.path, e)
        if ids:
            self.last_id = ids[-1]
        return events

    def save(self, event_id: int | None = None) -> None:
        """Persist the cursor (the id of the last event fully handled)."""
        if self.consumer is not None:
            self.queue.set_cursor(self.consumer, self.last_id if event_id is None else event_id)
