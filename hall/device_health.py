"""The health of the hall's devices, folded from the event log and the device table.

What each part already writes is enough: the window buses log ``device_offline`` /
``device_online`` for each keypad, evaluator and window screen; the LED boards
``device_fault`` / ``device_ok``; the announcer ``voice_offline`` / ``voice_online``; a
kiosk's printer ``printer`` with its status level; the API remembers each device
token's ``last_seen_at``. :class:`DeviceHealth` keeps the latest word of each device,
reading only the events after the last one it saw.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

HEALTH_KINDS = ("device_offline", "device_online", "device_fault", "device_ok", "voice_offline", "voice_online",
                "printer")
ROLE_ZH = {"keypad": "呼叫器", "evaluator": "评价器", "screen": "窗口屏", "board": "LED 屏", "voice": "语音",
           "printer": "打印机", "kiosk": "取号机", "caller": "软件呼叫器", "controller": "控制机"}


@dataclass
class DeviceStatus:
    """One device: ``key`` names it for alarms (``bus:1/7``, ``board:…``, ``voice``, ``api:kiosk-2``)."""

    key: str
    kind: str  # keypad, evaluator, screen, board, voice, printer, or an API device role
    label: str  # for people: "5号窗口 呼叫器", "LED 屏 大厅1"
    ok: bool
    since: float  # when it last changed (or was last seen, for API devices)
    detail: str = ""
    window: int | None = None

    def to_json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "label": self.label, "ok": self.ok, "since": self.since,
                "detail": self.detail, "window": self.window}


class DeviceHealth:
    """The latest status of each device that reports through the event log."""

    def __init__(self):
        self.devices: dict[str, DeviceStatus] = {}
        self.last_id = 0
        self.day: str | None = None

    def update(self, conn: sqlite3.Connection, day: str) -> None:
        """Fold the events since the last call (today's health-related ones on the first)."""
        if day != self.day:  # a new day: start from that day's events (devices keep their last word)
            self.day, self.last_id = day, 0
            rows = conn.execute(f"SELECT id, at, kind, window, data FROM events WHERE day = ? AND kind IN "
                                f"({','.join('?' * len(HEALTH_KINDS))}) ORDER BY id", (day, *HEALTH_KINDS))
        else:
            rows = conn.execute(f"SELECT id, at, kind, window, data FROM events WHERE id > ? AND kind IN "
                                f"({','.join('?' * len(HEALTH_KINDS))}) ORDER BY id", (self.last_id, *HEALTH_KINDS))
        for event_id, at, kind, window, data in rows:
            self._apply(at, kind, window, json.loads(data or "{}"))
            self.last_id = max(self.last_id, event_id)
        top = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        self.last_id = max(self.last_id, top)

    def _apply(self, at: float, kind: str, window: int | None, d: dict) -> None:
        if kind in ("device_offline", "device_online"):
            role = d.get("role") or "keypad"
            key = f"bus:{d.get('bus')}/{d.get('address')}"
            label = f"{window}号窗口 {ROLE_ZH.get(role, role)}" if window else f"{d.get('bus')} #{d.get('address')}"
            self._set(key, role, label, kind == "device_online", at, f"{d.get('bus')} #{d.get('address')}", window)
        elif kind in ("device_fault", "device_ok"):
            name = str(d.get("device") or "board")
            self._set(f"board:{name}", "board", f"LED 屏 {name}", kind == "device_ok", at,
                      str(d.get("message") or ""))
        elif kind in ("voice_offline", "voice_online"):
            self._set("voice", "voice", f"语音 {d.get('engine') or ''}".strip(), kind == "voice_online", at,
                      str(d.get("error") or ""))
        elif kind == "printer":
            url = str(d.get("url") or "printer")
            ok = d.get("status") in (None, "ok", "warning")
            self._set(f"printer:{url}", "printer", f"打印机 {url}", ok, at,
                      str(d.get("message") or d.get("cause") or ""))

    def _set(self, key, kind, label, ok, at, detail="", window=None) -> None:
        old = self.devices.get(key)
        if old is not None and old.ok == ok:
            old.detail = detail or old.detail
            return
        self.devices[key] = DeviceStatus(key, kind, label, ok, at, detail, window)

    def api_devices(self, conn: sqlite3.Connection, now: float, offline_after_s: float | None) -> list[DeviceStatus]:
        """The API's device tokens that have been seen: ok while seen within ``offline_after_s``."""
        out = []
        for name, role, seen in conn.execute("SELECT name, role, last_seen_at FROM devices "
                                             "WHERE revoked_at IS NULL AND typeof(last_seen_at) IN ('integer', 'real', 'null') "
                                             "ORDER BY name"):  # a damaged row: diag check names it
            if seen is None:
                out.append(DeviceStatus(f"api:{name}", role, f"{ROLE_ZH.get(role, role)} {name}", True, 0.0,
                                        "从未连接 never connected"))
                continue
            ok = offline_after_s is None or now - seen <= offline_after_s
            out.append(DeviceStatus(f"api:{name}", role, f"{ROLE_ZH.get(role, role)} {name}", ok, seen))
        return out

    def clients(self, conn: sqlite3.Connection, now: float, day_start: float,
                offline_after_s: float | None) -> list[DeviceStatus]:
        """The client PCs' heartbeats (the ``clients`` table of migration 0006, when this hall has
        it): kiosks, screens and software callers heard from today, ok while heard within
        ``offline_after_s``."""
        try:
            rows = conn.execute("SELECT key, name, role, app, window, host, last_seen, stream FROM clients "
                                "WHERE last_seen >= ? AND typeof(last_seen) IN ('integer', 'real') ORDER BY key",
                                (day_start,)).fetchall()
        except sqlite3.OperationalError:  # no heartbeats in this build
            return []
        out = []
        for key, name, role, app, window, host, seen, stream in rows:
            ok = offline_after_s is None or now - seen <= offline_after_s
            label = f"{ROLE_ZH.get(role, role)} {name}" + (f"（{host}）" if host else "")
            out.append(DeviceStatus(f"client:{key}", role, label, ok, seen, stream or app, window))
        return out

    def all(self) -> list[DeviceStatus]:
        return sorted(self.devices.values(), key=lambda d: d.key)
