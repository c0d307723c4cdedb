"""What a citizen's phone may know about a ticket: its status by its unguessable token.

Everything here is a read on a connection of the caller's (the status page reads a
read-only one) and says nothing a citizen should not see: no staff names, no ticket ids,
no other ticket's token. :func:`statuses` computes many tickets at once (the live status
streams recompute every open page after each change): a few queries whatever the number
of pages.

"People ahead" are the waiting tickets that the windows call before this one: those sent
to the same window first, otherwise those of the same service in the order the queue
picks them (transferred in, 绿色通道, appointments, then by number). The estimated wait
is those people times the service's recent handling time (the average of today's last
20 finished calls, or the configured ``expected_minutes`` until there are 3) shared by
its open windows (hall/snapshot.py).
"""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import Iterable

from .snapshot import HallSnapshot, estimate_wait

TOKEN_RE = re.compile(r"[0-9a-f]{32}")
PUBLIC_STATES = ("waiting", "called", "finished", "skipped", "expired", "cancelled")
_TICKET_COLS = ("SELECT id, day, number, service, kind, status, lane, sort_key, target_window, window, "
                "issued_at, called_at, finished_at FROM tickets")


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts).isoformat(timespec="seconds") if ts is not None else None


def well_formed(token: str) -> bool:
    """Whether ``token`` could be a ticket token at all (checked before any query)."""
    return bool(TOKEN_RE.fullmatch(token or ""))


def ticket_by_token(conn: sqlite3.Connection, token: str) -> sqlite3.Row | None:
    if not well_formed(token):
        return None
    return conn.execute(_TICKET_COLS + " WHERE token = ?", (token,)).fetchone()


def _order(conn: sqlite3.Connection, services: set[str], targets: set[int]) -> dict[int, int]:
    """ticket id -> people ahead of it, for every waiting ticket of ``services`` / sent to ``targets``."""
    ahead: dict[int, int] = {}
    for code in services:
        rows = conn.execute("SELECT id FROM tickets WHERE status = 'waiting' AND target_window IS NULL "
                            "AND service = ? ORDER BY lane, sort_key, id", (code,)).fetchall()
        ahead.update((r[0], i) for i, r in enumerate(rows))
    for window in targets:
        rows = conn.execute("SELECT id FROM tickets WHERE status = 'waiting' AND target_window = ? "
                            "ORDER BY sort_key, id", (window,)).fetchall()
        ahead.update((r[0], i) for i, r in enumerate(rows))
    return ahead


def windows_of(config, conn: sqlite3.Connection) -> dict[int, dict]:
    """Every window as a citizen sees it: number, name, state, its current number."""
    rows = conn.execute("SELECT w.number, w.state, w.pause_reason, t.number FROM windows w "
                        "LEFT JOIN tickets t ON t.id = w.current_ticket").fetchall()
    by_number = {r[0]: r for r in rows}
    out = {}
    for w in config.windows:
        r = by_number.get(w.number)
        out[w.number] = {"number": w.number, "name": w.name or f"{w.number}号窗口",
                         "state": r[1] if r else "closed", "pause_reason": r[2] if r else None,
                         "current": r[3] if r else None, "services": list(w.services)}
    return out


def statuses(conn: sqlite3.Connection, config, tickets: Iterable[sqlite3.Row], figures: HallSnapshot,
             rated: set[int] = frozenset(), windows: dict[int, dict] | None = None) -> dict[int, dict]:
    """ticket id -> its public status (see :func:`status_json`) for each of ``tickets``
    (rows from :func:`ticket_by_token` or :func:`rows_by_ids`), in a few queries."""
    tickets = list(tickets)
    waiting = [t for t in tickets if t["status"] == "waiting"]
    ahead = _order(conn, {t["service"] for t in waiting if t["target_window"] is None},
                   {t["target_window"] for t in waiting if t["target_window"] is not None})
    if windows is None:
        windows = windows_of(config, conn)
    shared: dict = {}  # (service, target window) -> what every ticket of it shows alike
    out = {}
    for t in tickets:
        key = (t["service"], t["target_window"])
        if key not in shared:
            shared[key] = _shared(config, key[0], key[1], figures, windows)
        out[t["id"]] = status_json(t, ahead.get(t["id"], 0), shared[key], t["id"] in rated)
    return out


def _shared(config, service: str, target: int | None, figures: HallSnapshot, windows: dict[int, dict]) -> dict:
    svc = next((s for s in config.services if s.code == service), None)
    f = figures.services.get(service)
    serving = [w for w in windows.values() if (w["number"] == target if target is not None
                                               else service in w["services"])]
    return {"service_name": svc.name if svc else service, "service_name_en": (svc.name_en if svc else "") or "",
            "handling": f.handling_minutes if f else (svc.expected_minutes if svc else 8.0),
            "measured": bool(f and f.measured),
            "open": sum(1 for w in serving if w["state"] in ("idle", "serving")),
            "windows": [{"number": w["number"], "name": w["name"], "state": w["state"],
                         "pause_reason": w["pause_reason"], "current": w["current"]} for w in serving]}


def rows_by_ids(conn: sqlite3.Connection, ids: Iterable[int]) -> list[sqlite3.Row]:
    ids = list(ids)
    out: list[sqlite3.Row] = []
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        out += conn.execute(_TICKET_COLS + f" WHERE id IN ({','.join('?' * len(part))})", part).fetchall()
    return out


def status_json(t: sqlite3.Row, ahead: int, shared: dict, rated: bool = False) -> dict:
    """One ticket's public status: number, state, people ahead, the estimate and its basis,
    the windows that serve it with their calls in progress, and (once called) the window."""
    state = t["status"]
    waiting = state == "waiting"
    ahead = ahead if waiting else 0
    handling, open_windows = shared["handling"], shared["open"]
    out = {
        "number": t["number"], "state": state, "ahead": ahead,
        "service": t["service"], "service_name": shared["service_name"],
        "service_name_en": shared["service_name_en"],
        "priority": t["kind"] == "priority", "appointment": t["kind"] == "appointment",
        "day": t["day"], "issued_at": _iso(t["issued_at"]), "called_at": _iso(t["called_at"]),
        "finished_at": _iso(t["finished_at"]),
        "wait_minutes": estimate_wait(ahead, handling, open_windows) if waiting else 0,
        "estimate": {"handling_minutes": round(handling, 1), "measured": shared["measured"],
                     "windows_open": open_windows, "ahead": ahead},
        "windows": shared["windows"],
        "target_window": t["target_window"],
        "rated": rated,
    }
    if state in ("called", "finished") and t["window"] is not None:
        out["window"] = t["window"]
    return out
