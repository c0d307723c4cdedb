"""Rows of the newer tables, and the tickets that matter now, that a damaged file (a
flipped byte, a half-restored copy, a hand edit) left unreadable: a word where a time
belongs, JSON that does not parse, a state that does not exist.

SQLite's integrity check passes over such a row, and a page that met it answered 500.
:func:`find` names each one, by table, row and column, for `jiaohao diag check`, in
Chinese and English (:class:`DamagedRow`);
:func:`readable` lets a list skip them (said once in the log) so the page still shows
the rest; :func:`damage_note` turns a failed request into a sentence saying where.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

# table: (its key column, its JSON columns); every INTEGER or REAL column must hold a
# number (or nothing), every column named day or *_due a date
CHECKED: dict[str, tuple[str, tuple[str, ...]]] = {
    "appointments": ("code", ()), "booking_suspensions": ("id", ("no_shows",)), "cases": ("id", ()),
    "ratings": ("id", ("problems",)), "followups": ("id", ()), "followup_steps": ("id", ()),
    "leases": ("id", ()), "lease_tickets": ("local_id", ()), "clients": ("key", ()), "device_clocks": ("device", ()),
    "outbox": ("id", ("payload",)), "alarms": ("id", ("data",)), "limit_overrides": ("field", ("value",)),
    "devices": ("id", ()), "staff": ("staff", ()), "sessions": ("id", ()), "ticket_reminders": ("ticket_id", ()),
    "issue_stops": ("id", ()),
}
DECODE_ERRORS = (ValueError, TypeError, KeyError, OverflowError, OSError, AttributeError, IndexError)
_said: set[tuple[str, object]] = set()
_said_lock = threading.Lock()


# the tickets that matter, not a year of them: today's (a rowid range from the first of
# today, found by the tickets_day index) and older ones still waiting (the partial
# tickets_waiting index) or being served (windows.current_ticket)
TICKET_STATES = {"status": ["called", "cancelled", "expired", "finished", "skipped", "waiting"],
                 "kind": ["appointment", "normal", "priority"]}


# what belongs in a column, Chinese and English
NUMBER = ("应是数字或时间", "a number or a time")
DATE = ("应是日期", "a date")
JSON = ("应是 JSON", "JSON")


@dataclass(frozen=True)
class DamagedRow:
    """One damaged value: the table, its key column and the row's key, the column, the start
    of what it holds (up to 20 characters) and what belongs there (Chinese, English).
    ``str()`` is the project's "中文 (English)" line; :attr:`zh` and :attr:`en` its halves."""
    table: str
    key_column: str
    key: object
    column: str
    value: object
    wanted: tuple[str, str]

    @property
    def zh(self) -> str:
        return (f"{self.table} 表 {self.key_column} 为 {self.key} 的行：{self.column} 存的是 {self.value!r}，"
                f"{self.wanted[0]}")

    @property
    def en(self) -> str:
        return f"{self.table} row {self.key}: {self.column} holds {self.value!r} where {self.wanted[1]} belongs"

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"


def find(conn: sqlite3.Connection, limit: int = 20, day: str | None = None) -> list[DamagedRow]:
    """Each damaged row (at most ``limit``): table, row, column, what is there.
    ``day``: the business day whose tickets are checked (default: today by the hall's clock)."""
    out: list[DamagedRow] = []
    scopes = [(table, key, jsons, "") for table, (key, jsons) in CHECKED.items()]
    ticket_scope = _ticket_scope(conn, day or _today())
    if ticket_scope:
        scopes.append(("tickets", "id", (), ticket_scope))
    for table, key, jsons, scope in scopes:
        columns = [(r[1], (r[2] or "").upper()) for r in conn.execute(f"PRAGMA table_info({table})")]
        if not columns:
            continue  # an older database: that table comes with a later migration
        for column, bad, wanted in _tests(table, columns, jsons):
            rows = conn.execute(f'SELECT "{key}", substr(CAST("{column}" AS TEXT), 1, 20) FROM {table} '
                                f"WHERE {scope}{bad} LIMIT ?", (limit - len(out),)).fetchall()
            out += [DamagedRow(table, key, k, column, v, wanted) for k, v in rows]
            if len(out) >= limit:
                return out
    return out


def _tests(table: str, columns: list[tuple[str, str]],
           jsons: tuple[str, ...]) -> list[tuple[str, str, tuple[str, str]]]:
    """(column, SQL true for a damaged value, what belongs there) for each checked column."""
    tests = [(c, f"typeof({c}) NOT IN ('integer', 'real', 'null')", NUMBER)
             for c, kind in columns if kind in ("INTEGER", "REAL")]
    tests += [(c, f"({c} IS NOT NULL AND (typeof({c}) != 'text' OR date({c}) IS NOT {c}))", DATE)
              for c, kind in columns if c == "day" or c.endswith("_due")]
    tests += [(c, f"({c} IS NOT NULL AND json_valid({c}) = 0)", JSON) for c, _ in columns if c in jsons]
    for c, names in _states().get(table, {}).items():
        listed = ", ".join(names)
        tests.append((c, f"({c} IS NOT NULL AND {c} NOT IN ({', '.join(repr(n) for n in names)}))",
                      (f"应是这些状态之一（{listed}）", f"a state ({listed})")))
    return tests


def _states() -> dict[str, dict[str, list[str]]]:
    from .followups import STATES
    names = sorted(STATES)
    return {"followups": {"state": names}, "followup_steps": {"to_state": names}, "tickets": TICKET_STATES}


def _today() -> str:
    from .clock import business_day, clock_from_env
    try:
        return business_day(clock_from_env()())
    except Exception:  # noqa: BLE001 - a malformed JIAOHAO_NOW is said elsewhere
        from datetime import date
        return date.today().isoformat()


def _ticket_scope(conn: sqlite3.Connection, day: str) -> str:
    """The SQL that picks the tickets worth checking ("" when there are none), ending in AND."""
    try:
        first = conn.execute("SELECT min(id) FROM tickets WHERE day = ?", (day,)).fetchone()[0]
        below = first if isinstance(first, int) else 2**63 - 1
        older = {r[0] for r in conn.execute(
            "SELECT id FROM tickets INDEXED BY tickets_waiting WHERE status = 'waiting' AND +id < ?1 "
            "UNION SELECT current_ticket FROM windows WHERE current_ticket < ?1", (below,))}
    except sqlite3.OperationalError:  # no tickets table: not a hall database, said elsewhere
        return ""
    older = sorted(i for i in older if isinstance(i, int))
    parts = [f"id >= {first}"] if isinstance(first, int) else []
    if older:
        parts.append(f"id IN ({', '.join(map(str, older))})")
    return f"({' OR '.join(parts)}) AND " if parts else ""


def readable(rows, convert, table: str) -> list:
    """``convert`` of each row; a row it cannot read is left out (and logged once)."""
    out = []
    for row in rows:
        try:
            out.append(convert(row))
        except DECODE_ERRORS as e:
            key = (table, _key(row))
            with _said_lock:
                first = key not in _said
                _said.add(key)
            if first:
                log.warning("skipped a damaged row of %s (%s): %s; run `jiaohao diag check`", table, key[1], e)
    return out


def number(value):
    """``value`` if it is a number or nothing; TypeError (a damaged row) otherwise."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise TypeError(f"{str(value)[:20]!r} is not a number")


def _key(row):
    try:
        return row[0]
    except Exception:  # noqa: BLE001 - the key itself may be what is damaged
        return "?"


_cache: dict[str, tuple[float, list[DamagedRow]]] = {}


def damage_note(path: str) -> list[DamagedRow]:
    """:func:`find` on the database at ``path`` (read-only), at most once a minute."""
    now = time.monotonic()
    hit = _cache.get(path)
    if hit and now - hit[0] < 60:
        return hit[1]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            found = find(conn, limit=3)
        finally:
            conn.close()
    except sqlite3.Error:
        found = []
    _cache[path] = (now, found)
    return found
