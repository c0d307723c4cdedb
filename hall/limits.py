"""The limits the alarm engine watches: the hall file's ``[limits]`` and each service's
``limits = {…}``, with the changes a manager made in the browser on top.

The config file stays the source of truth for a new hall and after a reinstall; a
manager's change is kept in the database (``limit_overrides``: who, when, why) and
wins over the file until it is reset, so nobody's hand-written TOML is ever rewritten.
The manager's page shows both values side by side.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from .errors import InvalidArgument, UnknownService

# field -> (zh, en, kind, the per-service limits may set it)
FIELDS: dict[str, tuple[str, str, str, bool]] = {
    "max_waiting": ("排队人数上限", "most tickets waiting", "int", True),
    "max_wait_minutes": ("最长等候（分钟）", "longest wait (minutes)", "minutes", True),
    "max_handling_minutes": ("单笔办理时长（分钟）", "handling one ticket (minutes)", "minutes", True),
    "cap_warn_percent": ("限号将满提醒（%）", "daily cap nearly reached (%)", "percent", True),
    "max_pause_minutes": ("窗口暂停时长（分钟）", "window paused (minutes)", "minutes", False),
    "idle_minutes": ("有人等候时窗口空闲（分钟）", "window idle while its tickets wait (minutes)", "minutes", False),
    "device_offline_minutes": ("设备离线（分钟）", "device offline (minutes)", "minutes", False),
    "bad_rating": ("差评提醒", "alarm on a 不满意/非常不满意 rating", "bool", False),
}
SERVICE_FIELDS = tuple(f for f, (*_, per_service) in FIELDS.items() if per_service)


@dataclass(frozen=True)
class Override:
    scope: str  # "" the hall, else a service code
    field: str
    value: object
    set_by: str
    set_at: float
    reason: str


class EffectiveLimits:
    """The limits in force: the file's values with the database's overrides on top."""

    def __init__(self, config, overrides: list[Override]):
        self.config = config
        self.overrides = {(o.scope, o.field): o for o in overrides}
        self._services = {s.code: s for s in config.services}  # a large hall has 170+ services

    def hall(self, field: str):
        o = self.overrides.get(("", field))
        return o.value if o is not None else getattr(self.config.limits, field)

    def service(self, code: str, field: str):
        """A service's limit: its own override, its own file value, else the hall's."""
        o = self.overrides.get((code, field))
        if o is not None:
            return o.value
        svc = self._services.get(code)
        own = getattr(svc.limits, field, None) if svc is not None else None
        return own if own is not None else self.hall(field)

    def rows(self) -> list[dict]:
        """Every limit for the page: hall and per service, file value and override."""
        out = []
        for field, (zh, en, kind, per_service) in FIELDS.items():
            o = self.overrides.get(("", field))
            out.append({"scope": "", "field": field, "label": zh, "label_en": en, "kind": kind,
                        "file": getattr(self.config.limits, field), "value": self.hall(field),
                        "override": _override_json(o)})
        for svc in self.config.services:
            for field in SERVICE_FIELDS:
                zh, en, kind, _ = FIELDS[field]
                o = self.overrides.get((svc.code, field))
                out.append({"scope": svc.code, "field": field, "label": zh, "label_en": en, "kind": kind,
                            "file": getattr(svc.limits, field), "value": self.service(svc.code, field),
                            "override": _override_json(o)})
        return out


def _override_json(o: Override | None) -> dict | None:
    if o is None:
        return None
    return {"value": o.value, "set_by": o.set_by, "set_at": o.set_at, "reason": o.reason}


def read_overrides(conn: sqlite3.Connection) -> list[Override]:
    from .damaged_rows import number, readable
    return readable(conn.execute("SELECT field, scope, value, set_by, set_at, reason FROM limit_overrides"),
                    lambda r: Override(r[1], r[0], json.loads(r[2]) if r[2] is not None else None, r[3], number(r[4]),
                                       r[5]), "limit_overrides")


def check_value(config, scope: str, field: str, value):
    """``value`` as the limit ``field`` takes it, or InvalidArgument in words. None: not watched."""
    if field not in FIELDS:
        raise InvalidArgument(f"unknown limit {field!r} (one of {', '.join(FIELDS)})", zh=f"没有限值 {field}")
    zh, _, kind, per_service = FIELDS[field]
    if scope:
        try:
            config.service(scope)
        except KeyError:
            raise UnknownService(f"unknown service {scope!r}", zh=f"没有业务 {scope}") from None
        if not per_service:
            raise InvalidArgument(f"{field} is a limit of the whole hall, not of one service",
                                  zh=f"{zh}只能为全厅设置")
    if value is None or value == "":
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "on", "yes"):
            return True
        if str(value).lower() in ("false", "0", "off", "no"):
            return False
        raise InvalidArgument(f"{field} is on or off", zh=f"{zh}只能开或关")
    if isinstance(value, bool):  # JSON true is not the number 1
        raise InvalidArgument(f"{field} must be a number, not {value!r}", zh=f"{zh}须为数字")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{field} must be a number, not {value!r}", zh=f"{zh}须为数字") from None
    top = {"int": 100_000, "minutes": 1440, "percent": 100}[kind]
    if not 0 < number <= top:
        raise InvalidArgument(f"{field} must be more than 0 and at most {top}", zh=f"{zh}须大于 0、不超过 {top}")
    if kind in ("int", "percent"):
        if number != int(number):
            raise InvalidArgument(f"{field} must be a whole number", zh=f"{zh}须为整数")
        return int(number)
    return number


def set_override(conn: sqlite3.Connection, config, scope: str, field: str, value, by: str, at: float,
                 reason: str) -> object:
    """Keep a manager's change (inside the caller's transaction); the value as stored."""
    from .manage_ops import check_why  # the same rules as every manager's reason (no control characters)
    value, reason = check_value(config, scope, field, value), check_why(reason)
    conn.execute("INSERT INTO limit_overrides VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, field) DO UPDATE "
                 "SET value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at, "
                 "reason = excluded.reason", (scope, field, json.dumps(value), by, at, reason))
    return value


def clear_override(conn: sqlite3.Connection, scope: str, field: str) -> bool:
    """Back to the file's value; False when there was no change to undo."""
    return conn.execute("DELETE FROM limit_overrides WHERE scope = ? AND field = ?", (scope, field)).rowcount > 0
