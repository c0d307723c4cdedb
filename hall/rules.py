"""Which waiting ticket a window calls next, and where a re-activated no-show goes back.

Order for a window (DESIGN.md): tickets transferred to this very window; priority
tickets (绿色通道) of its services; checked-in appointments whose slot has come; then
its services by the hall's strategy ("strict": in the window's order, "oldest": oldest
first across them), a service's transferred-in tickets ahead of its own queue; last,
appointments that checked in early.
"""
from __future__ import annotations

import sqlite3

LANE_TRANSFER, LANE_PRIORITY, LANE_APPOINTMENT, LANE_NORMAL = 0, 1, 2, 3


def _first(c: sqlite3.Connection, sql: str, args: tuple) -> int | None:
    row = c.execute(sql, args).fetchone()
    return row[0] if row else None


def pick_next(c: sqlite3.Connection, window: int, services: list[str], strategy: str,
              now_ts: float) -> int | None:
    """Id of the ticket ``window`` should call now, or None when nobody waits for it."""
    marks = ",".join("?" * len(services))
    base = f"SELECT id FROM tickets WHERE status = 'waiting' AND target_window IS NULL AND service IN ({marks})"
    found = _first(c, "SELECT id FROM tickets WHERE status = 'waiting' AND target_window = ? "
                      "ORDER BY sort_key, id LIMIT 1", (window,))
    if found is None:
        found = _first(c, base + " AND lane = 1 ORDER BY sort_key, id LIMIT 1", tuple(services))
    if found is None:
        found = _first(c, base + " AND lane = 2 AND sort_key <= ? ORDER BY sort_key, id LIMIT 1",
                       (*services, now_ts))
    if found is None:
        if strategy == "strict":
            for code in services:
                found = _first(c, "SELECT id FROM tickets WHERE status = 'waiting' AND target_window IS NULL "
                                  "AND service = ? AND lane IN (0, 3) ORDER BY lane, sort_key, id LIMIT 1", (code,))
                if found is not None:
                    break
        else:
            found = _first(c, base + " AND lane IN (0, 3) ORDER BY lane, sort_key, id LIMIT 1", tuple(services))
    if found is None:
        found = _first(c, base + " AND lane = 2 ORDER BY sort_key, id LIMIT 1", tuple(services))
    return found


def requeue_key(c: sqlite3.Connection, service: str, behind: int, now_ts: float) -> float:
    """Sort key that puts a re-activated ticket behind ``behind`` waiting tickets of ``service``."""
    rows = c.execute("SELECT sort_key FROM tickets WHERE status = 'waiting' AND service = ? "
                     "AND lane = 3 ORDER BY sort_key, id LIMIT ?", (service, behind + 1)).fetchall()
    if behind == 0:
        return rows[0][0] - 1.0 if rows else now_ts
    if len(rows) <= behind:
        return max([now_ts] + [r[0] + 1e-3 for r in rows])
    return (rows[behind - 1][0] + rows[behind][0]) / 2
