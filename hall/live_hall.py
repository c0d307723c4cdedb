"""The manager's live hall as one JSON-able dict: every window, every service, every
device's health, the alarms in force and the hall notice (``GET /api/v1/manage/live``).

Read on a read-only connection of its own in one read transaction, and built again
only when the database changed (``PRAGMA data_version``) or every couple of seconds
(a device's silence is a change of time, not of data). Eight dashboards polling each
second therefore cost one build per change, not eight. Durations ("paused for 12
min") are left to the page: it has the timestamps and the server's ``now``.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime

from . import alarms
from .clock import business_day
from .db import connect_readonly
from .device_health import DeviceHealth
from .issue_stops import issue_stops
from .limits import EffectiveLimits, read_overrides
from .queue import PAUSE_REASONS
from .snapshot import HallReader

REBUILD_EVERY_S = 2.0  # even when nothing changed: a device's silence is a change of time
MIN_REBUILD_S = 0.5  # at most this often however busy the hall: 8 pages cost 2 builds a second, not 8


class LiveHall:
    """Builds the live view of the hall at ``path``."""

    def __init__(self, path: str, config, clock):
        self.path, self.config, self.clock = str(path), config, clock
        self.figures = HallReader(path, config, clock)
        self.health = DeviceHealth()
        self._conn = None
        self._lock = threading.Lock()
        self._periods = {s.code: s.periods() for s in config.services}  # parsed once
        self._cached: tuple[int, float, dict, bytes] | None = None  # data_version, built at, view, its JSON
        self.builds = 0

    def close(self) -> None:
        with self._lock:
            self.figures.close()
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self):
        if self._conn is None:
            self._conn = connect_readonly(self.path, timeout_s=2.0, check=False)
        return self._conn

    def query(self, fn):
        """``fn(conn)`` on this reader's connection, in one read transaction."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

    def read(self) -> dict:
        """The live view; the same dict while nothing changed (``taken_at`` says when it was read)."""
        return self._current()[2]

    def read_json(self) -> bytes:
        """The live view as JSON (encoded once per build, whatever the number of pages)."""
        return self._current()[3]

    def _current(self) -> tuple[int, float, dict, bytes]:
        with self._lock:
            conn = self._connection()
            version, now = conn.execute("PRAGMA data_version").fetchone()[0], time.monotonic()
            c = self._cached
            if c is not None and (now - c[1] < MIN_REBUILD_S or (c[0] == version and now - c[1] < REBUILD_EVERY_S)):
                return c
            view = self._build(conn)
            body = json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            self._cached = (version, now, view, body)
            self.builds += 1
            return self._cached

    def _build(self, conn) -> dict:
        now = self.clock()
        ts, day = now.timestamp(), business_day(now)
        figures = self.figures.snapshot()
        conn.execute("BEGIN")
        try:
            self.health.update(conn, day)
            limits = EffectiveLimits(self.config, read_overrides(conn))
            last_id = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
            windows = self._windows(conn, day)
            oldest = dict(conn.execute("SELECT service, min(issued_at) FROM tickets WHERE status = 'waiting' "
                                       "GROUP BY service").fetchall())
            stops = issue_stops(conn, day)
            devices = [d.to_json() for d in self.health.all()]
            offline = limits.hall("device_offline_minutes")
            day_start = datetime.fromisoformat(day).timestamp()
            clients = self.health.clients(conn, ts, day_start,
                                          max(offline * 60, alarms.CLIENT_SEEN_MIN_S) if offline else None)
            devices += [d.to_json() for d in clients] or [d.to_json() for d in self.health.api_devices(
                conn, ts, max(offline * 60, alarms.API_SEEN_MIN_S) if offline else None)]
            active = alarms.active(conn)
            webhooks = _outbox_status(conn)
            notice = current_notice(conn, day, ts)
        finally:
            conn.execute("COMMIT")
        services = []
        for svc in self.config.services:
            f = figures.services.get(svc.code)
            services.append({
                "code": svc.code, "name": svc.name, "name_en": svc.name_en,
                "waiting": f.waiting if f else 0, "oldest_issued_at": oldest.get(svc.code),
                "wait_minutes": f.wait_minutes if f else 0, "issued_today": f.issued_today if f else 0,
                "daily_cap": svc.daily_cap, "windows_open": f.windows_open if f else 0,
                "stopped": stops.get(svc.code), "open_now": not svc.hours or any(
                    a <= now.time() < b for a, b in self._periods[svc.code]),
                "limits": {k: limits.service(svc.code, k) for k in ("max_waiting", "max_wait_minutes",
                                                                    "cap_warn_percent")}})
        return {"taken_at": now.isoformat(timespec="seconds"), "taken_ts": ts, "day": day, "last_event_id": last_id,
                "figures_ok": figures.ok, "hall": {"name": self.config.hall.name},
                "windows": windows, "services": services, "devices": devices, "alarms": active,
                "notice": notice, "webhooks": webhooks, "limits": {"max_handling_minutes": limits.hall("max_handling_minutes"),
                                             "max_pause_minutes": limits.hall("max_pause_minutes"),
                                             "idle_minutes": limits.hall("idle_minutes")}}

    def _windows(self, conn, day: str) -> list[dict]:
        names = dict(conn.execute("SELECT staff, name FROM staff").fetchall())
        served = {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT window, count(*), avg(ended_at - called_at) FROM calls WHERE day = ? AND outcome = 'finished' "
            "GROUP BY window", (day,))}
        paused_at = dict(conn.execute("SELECT window, max(at) FROM events WHERE day = ? AND kind = 'paused' "
                                      "GROUP BY window", (day,)).fetchall())
        waiting_by_service = dict(conn.execute("SELECT service, count(*) FROM tickets WHERE status = 'waiting' "
                                               "GROUP BY service").fetchall())
        targeted = dict(conn.execute("SELECT target_window, count(*) FROM tickets WHERE status = 'waiting' AND "
                                     "target_window IS NOT NULL GROUP BY target_window").fetchall())
        rows = {r[0]: r for r in conn.execute(
            "SELECT w.number, w.state, w.pause_reason, w.staff, w.updated_at, c.called_at, t.number, t.service "
            "FROM windows w LEFT JOIN calls c ON c.id = w.current_call LEFT JOIN tickets t ON t.id = w.current_ticket")}
        out = []
        for w in self.config.windows:
            r = rows.get(w.number)
            if r is None:
                continue
            _, state, reason, staff, updated, called_at, current, service = r
            since = called_at if state == "serving" and called_at else (
                paused_at.get(w.number) or updated if state == "paused" else updated)
            count, avg = served.get(w.number, (0, None))
            out.append({
                "number": w.number, "name": w.name or f"{w.number}号窗口", "department": w.department,
                "services": list(w.services), "state": state, "pause_reason": reason,
                "pause_label": PAUSE_REASONS.get(reason or "", "暂停服务") if state == "paused" else None,
                "current": current, "current_service": service, "staff": staff, "staff_name": names.get(staff),
                "state_since": since, "served_today": count,
                "avg_handling_minutes": round(avg / 60, 1) if avg else None,
                "waiting": sum(waiting_by_service.get(s, 0) for s in w.services) + targeted.get(w.number, 0)})
        return out


def _outbox_status(conn) -> list[dict]:
    """The webhooks' delivery (hall/outbox.py) per channel: alarms, reminders, the 好差评 push."""
    try:
        from . import outbox
        return outbox.status(conn)
    except (ImportError, sqlite3.OperationalError):  # no outbox in this build or database
        return []


def current_notice(conn, day: str, now_ts: float) -> dict | None:
    """The manager's notice on the hall screen and boards now, or None."""
    row = conn.execute("SELECT at, data FROM events WHERE day = ? AND kind = 'hall_notice' ORDER BY id DESC LIMIT 1",
                       (day,)).fetchone()
    if row is None:
        return None
    d = json.loads(row[1] or "{}")
    if not d.get("text") or (d.get("until") and d["until"] <= now_ts):
        return None
    return {"text": d["text"], "text_en": d.get("text_en", ""), "until": d.get("until"),
            "since": datetime.fromtimestamp(row[0]).isoformat(timespec="seconds")}
