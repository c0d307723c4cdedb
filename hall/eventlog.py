"""Reading the event log row by row when a row is damaged.

One flipped byte in an event's data (not JSON, not UTF-8) is invisible to SQLite's
integrity check but would stop every part that tails the log, at every start. Such a
row is passed over and reported once per process, with its id.
"""
from __future__ import annotations

import logging
import sqlite3
import threading

from .models import Event

log = logging.getLogger(__name__)

_reported: set[tuple[str, int]] = set()  # (database, event id): each damaged row is said once
_reported_lock = threading.Lock()  # several parts of serve tail the log at the same moment
ROW_ERRORS = (ValueError, TypeError, KeyError, sqlite3.DatabaseError)


def read_events(conn: sqlite3.Connection, lock: threading.RLock, path: str, last_id: int,
                limit: int = 500) -> tuple[list[Event], list[int], int]:
    """(events with id > last_id in order, ids of damaged rows passed over, the last id read)."""
    try:
        with lock:
            rows = conn.execute("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?",
                                (last_id, limit)).fetchall()
        events = [Event.from_row(r) for r in rows]
        return events, [], events[-1].id if events else last_id
    except ROW_ERRORS:
        pass
    with lock:
        ids = [r[0] for r in conn.execute("SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?",
                                          (last_id, limit))]
    events, skipped = [], []
    for event_id in ids:
        try:
            with lock:
                row = conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
            events.append(Event.from_row(row))
        except ROW_ERRORS as e:
            skipped.append(event_id)
            with _reported_lock:
                first = (path, event_id) not in _reported
                _reported.add((path, event_id))
            if first:
                log.error("event %d in the queue database %s is damaged (%s): skipped. Run `jiaohao diag "
                          "check`; if more is damaged, restore the last backup with `jiaohao restore`",
                          event_id, path, e)
    return events, skipped, ids[-1] if ids else last_id
