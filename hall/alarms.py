"""Alarms: what crossed a limit now (:func:`conditions`), and the record of each alarm
(:func:`apply`, :func:`acknowledge`, :func:`active`, :func:`history`).

An alarm of a state (a queue too long, a window paused too long) stays active while
its condition holds and is cleared by the engine when it ends; an acknowledgement
says a named manager has seen it. An alarm of an occurrence (a 差评) has nothing to
end: the acknowledgement clears it. Every raise, clear and acknowledgement is a row
of ``alarms`` and an event (``alarm_raised``, ``alarm_cleared``, ``alarm_acked``).
"""
from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from .damaged_rows import DECODE_ERRORS, readable
from .device_health import DeviceHealth
from .errors import InvalidArgument, UnknownTicket
from .limits import EffectiveLimits

log = logging.getLogger(__name__)

KINDS = {  # kind -> (zh, en)
    "wait_too_long": ("等候超时", "waiting too long"),
    "queue_too_long": ("排队人数超限", "queue too long"),
    "handling_too_long": ("办理超时", "handling too long"),
    "paused_too_long": ("窗口暂停超时", "window paused too long"),
    "idle_while_waiting": ("有人等候但窗口空闲", "window idle while its tickets wait"),
    "device_offline": ("设备离线", "device offline"),
    "bad_rating": ("收到差评", "bad rating received"),
    "cap_nearly_reached": ("限号将满", "daily cap nearly reached"),
}
OCCURRENCES = frozenset({"bad_rating"})
ALARM_EVENTS = frozenset({"alarm_raised", "alarm_cleared", "alarm_acked"})
WEBHOOK_CHANNEL = "alarms"
API_SEEN_MIN_S = 120.0
CLIENT_SEEN_MIN_S = 30.0  # three heartbeats (every 10 s) missed


@dataclass
class Condition:
    """A limit crossed now."""

    kind: str
    subject_type: str  # service, window, device, ticket
    subject: str
    since: float
    message: str
    message_en: str
    value: float | None = None
    limit: float | None = None
    data: dict = field(default_factory=dict)
    record: str = ""  # occurrences: what makes each one unique (an evaluation id)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record or self.subject_type + ':' + self.subject}"


def _m(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M")


def _zh(minutes: float) -> str:
    return f"{minutes * 60:.0f} 秒" if minutes < 1 else f"{minutes:.0f} 分钟"


def _en(minutes: float) -> str:
    return f"{minutes * 60:.0f} s" if minutes < 1 else f"{minutes:.0f} min"


def conditions(conn: sqlite3.Connection, config, limits: EffectiveLimits, now: float, day: str,
               health: DeviceHealth) -> list[Condition]:
    """Every limit crossed at ``now`` (read on ``conn``, ideally inside one read transaction)."""
    out: list[Condition] = []
    names = {s.code: s.name for s in config.services}
    waiting = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT service, count(*), min(issued_at) FROM tickets WHERE status = 'waiting' GROUP BY service")}
    issued = dict(conn.execute("SELECT service, count(*) FROM tickets WHERE day = ? AND status != 'cancelled' "
                               "AND kind = 'normal' GROUP BY service", (day,)).fetchall())
    for svc in config.services:
        n, oldest = waiting.get(svc.code, (0, None))
        top = limits.service(svc.code, "max_waiting")
        if top is not None and n > top:
            out.append(Condition("queue_too_long", "service", svc.code, now,
                                 f"{svc.name}排队 {n} 人，超过上限 {top} 人",
                                 f"{svc.name_en or svc.code}: {n} waiting, limit {top}", n, top))
        wait = limits.service(svc.code, "max_wait_minutes")
        if wait is not None and oldest is not None and now - oldest > wait * 60:
            minutes = (now - oldest) / 60
            out.append(Condition("wait_too_long", "service", svc.code, oldest + wait * 60,
                                 f"{svc.name}最长已等 {_zh(minutes)}，超过 {_zh(wait)}",
                                 f"{svc.name_en or svc.code}: longest wait {_en(minutes)}, limit {_en(wait)}",
                                 round(minutes, 1), wait))
        pct = limits.service(svc.code, "cap_warn_percent")
        count = issued.get(svc.code, 0)
        if svc.daily_cap and pct is not None and count * 100 >= svc.daily_cap * pct:
            out.append(Condition("cap_nearly_reached", "service", svc.code, now,
                                 f"{svc.name}今日已取 {count}/{svc.daily_cap} 号",
                                 f"{svc.name_en or svc.code}: {count} of {svc.daily_cap} tickets issued today",
                                 count, svc.daily_cap))
    out += _window_conditions(conn, config, limits, now, day, waiting)
    out += _device_conditions(conn, limits, now, health)
    if limits.hall("bad_rating"):
        for ev_id, window, score, at, number, staff in conn.execute(
                "SELECT e.id, e.window, e.score, e.at, t.number, e.staff FROM evaluations e "
                "JOIN tickets t ON t.id = e.ticket_id WHERE e.day = ? AND e.score <= 2", (day,)):
            label = "非常不满意" if score == 1 else "不满意"
            out.append(Condition("bad_rating", "window", str(window), at,
                                 f"{window}号窗口 {number} 评价“{label}”",
                                 f"window {window}: ticket {number} rated {score} ({label})",
                                 score, None, {"number": number, "staff": staff, "evaluation": ev_id},
                                 record=f"evaluation:{ev_id}"))
    return out


def _window_conditions(conn, config, limits: EffectiveLimits, now: float, day: str,
                       waiting: dict) -> list[Condition]:
    out = []
    paused_at = dict(conn.execute("SELECT window, max(at) FROM events WHERE day = ? AND kind = 'paused' "
                                  "GROUP BY window", (day,)).fetchall())
    targeted = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT target_window, count(*), min(issued_at) FROM tickets WHERE status = 'waiting' "
        "AND target_window IS NOT NULL GROUP BY target_window")}
    rows = conn.execute("SELECT w.number, w.state, w.updated_at, w.staff, c.called_at, c.service, t.number "
                        "FROM windows w LEFT JOIN calls c ON c.id = w.current_call "
                        "LEFT JOIN tickets t ON t.id = w.current_ticket").fetchall()
    # a window that nobody logged in at and that has called nobody today is not staffed (keypad-only
    # halls never log in: their windows count once they have called)
    called_today = {r[0] for r in conn.execute("SELECT DISTINCT window FROM calls WHERE day = ?", (day,))}
    pause_limit = limits.hall("max_pause_minutes")
    idle_limit = limits.hall("idle_minutes")
    cfg = {w.number: w for w in config.windows}
    for number, state, updated, staff, called_at, service, ticket in rows:
        w = cfg.get(number)
        if w is None:
            continue
        if state == "serving" and called_at is not None:
            top = limits.service(service, "max_handling_minutes")
            if top is not None and now - called_at > top * 60:
                minutes = (now - called_at) / 60
                out.append(Condition("handling_too_long", "window", str(number), called_at + top * 60,
                                     f"{number}号窗口办理 {ticket} 已 {_zh(minutes)}，超过 {_zh(top)}",
                                     f"window {number}: {ticket} for {_en(minutes)}, limit {_en(top)}",
                                     round(minutes, 1), top, {"number": ticket}))
        elif state == "paused" and pause_limit is not None:
            start = paused_at.get(number) or updated or now
            if now - start > pause_limit * 60:
                minutes = (now - start) / 60
                out.append(Condition("paused_too_long", "window", str(number), start + pause_limit * 60,
                                     f"{number}号窗口已暂停 {_zh(minutes)}（自 {_m(start)}）",
                                     f"window {number} paused for {_en(minutes)} (since {_m(start)})",
                                     round(minutes, 1), pause_limit))
        elif state == "idle" and idle_limit is not None and (staff is not None or number in called_today):
            callable_ = [waiting[s] for s in w.services if s in waiting] + \
                        ([targeted[number]] if number in targeted else [])
            count = sum(n for n, _ in callable_)
            if count:
                start = max(updated or 0.0, min(t for _, t in callable_))
                if now - start > idle_limit * 60:
                    minutes = (now - start) / 60
                    out.append(Condition("idle_while_waiting", "window", str(number), start + idle_limit * 60,
                                         f"{number}号窗口空闲 {_zh(minutes)}，但有 {count} 人在等",
                                         f"window {number} idle for {_en(minutes)} while {count} wait",
                                         round(minutes, 1), idle_limit, {"waiting": count}))
    return out


def _device_conditions(conn, limits: EffectiveLimits, now: float, health: DeviceHealth) -> list[Condition]:
    top = limits.hall("device_offline_minutes")
    if top is None:
        return []
    out = []
    # an API device's last_seen_at is written about once a minute: two minutes at least, or false alarms
    day_start = datetime.fromisoformat(health.day).timestamp() if health.day else 0.0
    devices = health.all() + health.clients(conn, now, day_start, max(top * 60, CLIENT_SEEN_MIN_S))
    if not any(d.key.startswith("client:") for d in devices):  # no heartbeats: the tokens' last use
        devices += health.api_devices(conn, now, max(top * 60, API_SEEN_MIN_S))
    for d in devices:
        if d.ok:
            continue
        if d.key.startswith("api:"):
            since = d.since + max(top * 60, API_SEEN_MIN_S)
        elif d.key.startswith("client:"):
            since = d.since + max(top * 60, CLIENT_SEEN_MIN_S)
        elif now - d.since > top * 60:
            since = d.since + top * 60
        else:
            continue
        minutes = (now - d.since) / 60
        out.append(Condition("device_offline", "device", d.key, since,
                             f"{d.label} 已离线 {_zh(minutes)}" + (f"（{d.detail}）" if d.detail else ""),
                             f"{d.key} offline for {_en(minutes)}", round(minutes, 1), top,
                             {"label": d.label, "window": d.window}))
    return out


# -- the record -------------------------------------------------------------------------
def apply(queue, found: list[Condition], day: str) -> tuple[list[dict], list[dict]]:
    """Raise the new alarms and clear the ended ones, in one transaction of ``queue``;
    (raised, cleared). Writes nothing when nothing changed."""
    raised, cleared = [], []
    wanted = {c.key: c for c in found}
    with queue.transaction() as (c, now):  # a transaction that writes nothing costs no WAL frame
        rows = c.execute("SELECT id, key, kind, day FROM alarms WHERE cleared_at IS NULL").fetchall()
        open_keys = {r[1] for r in rows}
        new = [cond for k, cond in wanted.items() if k not in open_keys]
        ended = [r for r in rows if (r[2] not in OCCURRENCES and r[1] not in wanted)
                 or (r[2] in OCCURRENCES and r[3] < day)]
        if new:  # an occurrence acknowledged (cleared) earlier is not raised again
            seen = {r[0] for r in c.execute(
                f"SELECT key FROM alarms WHERE key IN ({','.join('?' * len(new))})", [x.key for x in new])}
            new = [x for x in new if x.key not in seen]
        ts = now.timestamp()
        for cond in new:
            alarm_id = c.execute(
                "INSERT INTO alarms (kind, subject_type, subject, key, day, since, raised_at, value, "
                "limit_value, message, message_en, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cond.kind, cond.subject_type, cond.subject, cond.key, day, min(cond.since, ts), ts, cond.value,
                 cond.limit, cond.message, cond.message_en, json.dumps(cond.data, ensure_ascii=False))
            ).lastrowid
            alarm = _row(c, alarm_id)
            raised.append(alarm)
            queue.log_event("alarm_raised", _window_of(alarm), alarm_id=alarm_id, alarm_kind=cond.kind,
                            subject_type=cond.subject_type, subject=cond.subject, message=cond.message)
            _webhook(c, queue.config, alarm, "raised", ts)
        for r in ended:
            c.execute("UPDATE alarms SET cleared_at = ? WHERE id = ?", (ts, r[0]))
            try:
                alarm = _row(c, r[0])
            except DECODE_ERRORS:  # a damaged row: cleared all the same, or no alarm would ever clear again
                queue.log_event("alarm_cleared", None, alarm_id=r[0], alarm_kind=r[2])
                continue
            cleared.append(alarm)
            queue.log_event("alarm_cleared", _window_of(alarm), alarm_id=r[0], alarm_kind=r[2])
    for a in raised:
        log.warning("alarm %s: %s", a["kind"], a["message_en"])
    return raised, cleared


def acknowledge(queue, alarm_id: int, by: str, name: str, note: str = "") -> dict:
    """A named manager has seen alarm ``alarm_id`` (an occurrence is cleared by it)."""
    with queue.transaction() as (c, now):
        row = c.execute("SELECT * FROM alarms WHERE id = ?", (alarm_id,)).fetchone()
        if row is None:
            raise UnknownTicket(f"no alarm {alarm_id}", zh=f"没有编号为 {alarm_id} 的告警")
        if row["acked_at"] is not None:
            raise InvalidArgument(f"alarm {alarm_id} was already acknowledged by {row['acked_by']}",
                                  zh=f"告警 {alarm_id} 已由 {row['acked_name'] or row['acked_by']} 确认")
        ts = now.timestamp()
        clear = row["kind"] in OCCURRENCES and row["cleared_at"] is None
        c.execute("UPDATE alarms SET acked_at = ?, acked_by = ?, acked_name = ?, ack_note = ?, "
                  "cleared_at = CASE WHEN ? THEN ? ELSE cleared_at END WHERE id = ?",
                  (ts, by, name, note, clear, ts, alarm_id))
        alarm = _row(c, alarm_id)
        queue.log_event("alarm_acked", _window_of(alarm), alarm_id=alarm_id, alarm_kind=row["kind"], by=by,
                        name=name, note=note)
        _webhook(c, queue.config, alarm, "acknowledged", ts)
        return alarm


def _window_of(alarm: dict) -> int | None:
    if alarm["subject_type"] == "window" and alarm["subject"].isdigit():
        return int(alarm["subject"])
    return (alarm["data"] or {}).get("window")


def _row(c: sqlite3.Connection, alarm_id: int) -> dict:
    c.row_factory, old = sqlite3.Row, c.row_factory
    try:
        return alarm_json(c.execute("SELECT * FROM alarms WHERE id = ?", (alarm_id,)).fetchone())
    finally:
        c.row_factory = old


def alarm_json(r) -> dict:
    zh, en = KINDS.get(r["kind"], (r["kind"], r["kind"]))
    return {"id": r["id"], "kind": r["kind"], "kind_label": zh, "kind_label_en": en,
            "subject_type": r["subject_type"], "subject": r["subject"],
            "service": r["subject"] if r["subject_type"] == "service" else None,
            "window": int(r["subject"]) if r["subject_type"] == "window" and r["subject"].isdigit() else None,
            "device": r["subject"] if r["subject_type"] == "device" else None,
            "day": r["day"], "since": _iso(r["since"]), "raised_at": _iso(r["raised_at"]),
            "cleared_at": _iso(r["cleared_at"]), "since_ts": r["since"], "value": r["value"],
            "limit": r["limit_value"], "message": r["message"], "message_en": r["message_en"],
            "data": json.loads(r["data"] or "{}"), "active": r["cleared_at"] is None,
            "acked_at": _iso(r["acked_at"]), "acked_by": r["acked_by"], "acked_name": r["acked_name"],
            "ack_note": r["ack_note"]}


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts).isoformat(timespec="seconds") if ts is not None else None


def active(conn: sqlite3.Connection) -> list[dict]:
    """The alarms in force, oldest first."""
    conn.row_factory, old = sqlite3.Row, conn.row_factory
    try:
        return readable(conn.execute("SELECT * FROM alarms WHERE cleared_at IS NULL ORDER BY since, id"),
                        alarm_json, "alarms")
    finally:
        conn.row_factory = old


def history(conn: sqlite3.Connection, day: str) -> list[dict]:
    """Every alarm raised on ``day``, with who acknowledged it and when."""
    conn.row_factory, old = sqlite3.Row, conn.row_factory
    try:
        return readable(conn.execute("SELECT * FROM alarms WHERE day = ? ORDER BY id", (day,)), alarm_json, "alarms")
    finally:
        conn.row_factory = old


def _webhook(c: sqlite3.Connection, config, alarm: dict, what: str, ts: float) -> None:
    """Queue the alarm for the hall's webhook (``[limits] webhook``), in this transaction."""
    if not config.limits.webhook:
        return
    try:
        from . import outbox
    except ImportError:  # the outbox is not part of this build
        log.warning("[limits] webhook is set but this build has no outbox: alarm %s not sent", alarm["id"])
        return
    payload = {"event": what, "hall": config.hall.name, **{k: alarm[k] for k in (
        "id", "kind", "kind_label", "subject_type", "subject", "service", "window", "device", "since",
        "message", "message_en", "acked_by", "acked_name", "ack_note")}}
    outbox.enqueue(c, WEBHOOK_CHANNEL, payload, f"alarm-{alarm['id']}-{what}", ts)


def destinations(config) -> dict:
    """For hall.outbox.DESTINATION_FACTORIES: the alarms' webhook, when configured."""
    if not config.limits.webhook:
        return {}
    from .outbox import Destination
    return {WEBHOOK_CHANNEL: Destination(config.limits.webhook, headers=dict(config.limits.webhook_headers))}
