"""好差评 indicators per hall, department, window, staff or item (docs/reports.md).

Over the cases (served tickets) of the business days ``start``…``end``, each with its
final level (the 追加评价's when there is one, else the evaluation's):

- 好评率 = cases rated 非常满意/满意/基本满意 ÷ rated cases
- 差评率 = cases rated 不满意/非常不满意 ÷ rated cases
- 未评价率 = cases nobody rated ÷ cases
- 主动评价好评率 = cases rated good ÷ all cases (未评价 counts against it: the share of
  citizens who actively said good; a platform that defaults 未评价 to 满意 cannot show it)
- 整改率 = 差评 follow-ups rectified (已整改, 已回访) ÷ 差评 follow-ups, less approved appeals
- 回访率 = 差评 follow-ups called back (已回访) ÷ 差评 follow-ups, less approved appeals

A rate whose denominator is 0 is ``None`` (shown as "—"), never 0 or 100 %."""
from __future__ import annotations

import sqlite3
from datetime import date

from .ratings import BAD, GOOD, item_code_of

GROUPINGS = ("hall", "department", "window", "staff", "item")
COUNTS = ("cases", "rated", "unrated", "good", "bad", "followups", "appeals_approved", "rectified", "called_back")
RATES = {"好评率": ("good", "rated"), "差评率": ("bad", "rated"), "未评价率": ("unrated", "cases"),
         "主动评价好评率": ("good", "cases"), "整改率": ("rectified", "handled"), "回访率": ("called_back", "handled")}

TICKETS = ("SELECT id, window, staff, origin_service AS service FROM tickets "
           "WHERE day BETWEEN ? AND ? AND status = 'finished'")
LEVELS = "SELECT ticket_id, level FROM ratings WHERE day BETWEEN ? AND ? ORDER BY seq"  # the last one wins
ITEMS = ("SELECT c.ticket_id, c.item_code FROM cases c JOIN tickets t ON t.id = c.ticket_id "
         "WHERE t.day BETWEEN ? AND ? AND c.item_code != '' ORDER BY c.id DESC")  # the first one wins
FOLLOWUPS = ("SELECT f.ticket_id, f.state, f.rectified_at FROM followups f JOIN tickets t ON t.id = f.ticket_id "
             "WHERE t.day BETWEEN ? AND ?")


def _key(config, row: dict, by: str, departments: dict) -> str:
    if by == "hall":
        return config.hall.name
    if by == "department":
        return departments.get(row["window"], "") or "—"
    if by == "window":
        return str(row["window"]) if row["window"] is not None else "—"
    if by == "staff":
        return row["staff"] or "—"
    return row["item"] or item_code_of(config, row["service"]) or row["service"]


def indicators(c: sqlite3.Connection, config, start: date, end: date, by: str = "hall") -> list[dict]:
    """One row per group: its counts and the six rates (fractions, 4 decimals, or None)."""
    if by not in GROUPINGS:
        raise ValueError(f"不能按 {by!r} 分组，可选 {'、'.join(GROUPINGS)} "
                         f"(cannot group by {by!r}; choose one of {', '.join(GROUPINGS)})")
    departments = {w.number: w.department for w in config.windows}
    return _collect(c, start, end, lambda row: _key(config, row, by, departments))


def hall_indicators(c: sqlite3.Connection, start: date | str, end: date | str) -> dict | None:
    """The whole hall's row (for `jiaohao report`); None for a database without 好差评 tables."""
    if not c.execute("SELECT 1 FROM sqlite_schema WHERE name = 'followups'").fetchone():
        return None
    rows = _collect(c, start, end, lambda row: "")
    return rows[0] if rows else {"group": "", **dict.fromkeys(COUNTS, 0), "handled": 0, **dict.fromkeys(RATES)}


def report_rows(c: sqlite3.Connection, start: date | str, end: date | str, by: str) -> list[dict] | None:
    """Rows for a `jiaohao report` grouped by window, staff or department (the database's
    own window departments: the report needs no config); None for other groupings."""
    if by not in ("window", "staff", "department") or \
            not c.execute("SELECT 1 FROM sqlite_schema WHERE name = 'followups'").fetchone():
        return None
    departments = dict(c.execute("SELECT number, department FROM windows").fetchall())
    if by == "window":
        return _collect(c, start, end, lambda row: str(row["window"]) if row["window"] is not None else "—")
    if by == "staff":
        return _collect(c, start, end, lambda row: row["staff"] or "—")
    return _collect(c, start, end, lambda row: departments.get(row["window"]) or "—")


def _collect(c: sqlite3.Connection, start, end, key_of) -> list[dict]:
    """Four index range scans (a rating's day is its ticket's), joined here."""
    span = (str(start), str(end))
    levels = dict(c.execute(LEVELS, span).fetchall())
    items = dict(c.execute(ITEMS, span).fetchall())
    follow = {r[0]: (r[1], r[2]) for r in c.execute(FOLLOWUPS, span)}
    groups: dict[str, dict] = {}
    for tid, window, staff, service in c.execute(TICKETS, span):
        row = {"window": window, "staff": staff, "service": service, "item": items.get(tid)}
        g = groups.get(key := key_of(row))
        if g is None:
            g = groups[key] = dict.fromkeys(COUNTS, 0)
        g["cases"] += 1
        level = levels.get(tid)
        if level is None:
            g["unrated"] += 1
        else:
            g["rated"] += 1
            g["good"] += level in GOOD
            g["bad"] += level in BAD
        f = follow.get(tid)
        if f is not None:
            g["followups"] += 1
            g["appeals_approved"] += f[0] == "appeal_approved"
            g["rectified"] += f[1] is not None
            g["called_back"] += f[0] == "called_back"
    out = []
    for key in sorted(groups):
        g = groups[key]
        g["handled"] = g["followups"] - g["appeals_approved"]
        row = {"group": key, **g}
        for name, (num, den) in RATES.items():
            row[name] = round(g[num] / g[den], 4) if g[den] else None
        out.append(row)
    return out


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
