"""暂停取号: a service whose issuing a manager stopped for the rest of the day (hall/manage_ops.py
writes ``issue_stops``; the queue refuses its tickets and the kiosks show the reason)."""
from __future__ import annotations

import sqlite3


def issue_stop(c: sqlite3.Connection, day: str, service: str) -> str | None:
    """The reason issuing of ``service`` is stopped on ``day``, or None."""
    try:
        row = c.execute("SELECT reason FROM issue_stops WHERE day = ? AND service = ? AND restarted_at IS NULL",
                        (day, service)).fetchone()
    except sqlite3.OperationalError:  # a database older than migration 0011 (a read-only copy)
        return None
    return row[0] if row else None


def issue_stops(c: sqlite3.Connection, day: str) -> dict[str, str]:
    """Every service stopped on ``day``: code -> reason."""
    try:
        return dict(c.execute("SELECT service, reason FROM issue_stops WHERE day = ? AND restarted_at IS NULL",
                              (day,)).fetchall())
    except sqlite3.OperationalError:
        return {}
