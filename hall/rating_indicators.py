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

QUERY = """
SELECT t.id, t.window, t.staff, t.origin_service AS service,
       (SELECT level FROM ratings r WHERE r.ticket_id = t.id ORDER BY seq DESC LIMIT 1) AS level,
       (SELECT item_code FROM cases c WHERE c.ticket_id = t.id AND item_code != '' ORDER BY id LIMIT 1) AS item,
       f.state AS f_state, f.rectified_at AS f_rectified
FROM tickets t LEFT JOIN followups f ON f.ticket_id = t.id
WHERE t.day BETWEEN ? AND ? AND t.status = 'finished'"""


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
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    departments = {w.number: w.department for w in config.windows}
    return _collect(c, start, end, lambda row: _key(config, row, by, departments))


def hall_indicators(c: sqlite3.Connection, start: date | str, end: date | str) -> dict | None:
    """The whole hall's row (for `jiaohao report`); None for a database without 好差评 tables."""
    if not c.execute("SELECT 1 FROM sqlite_schema WHERE name = 'followups'").fetchone():
        return None
    rows = _collect(c, start, end, lambda row: "")
    return rows[0] if rows else {"group": "", **dict.fromkeys(COUNTS, 0), "handled": 0, **dict.fromkeys(RATES)}


def _collect(c: sqlite3.Connection, start, end, key_of) -> list[dict]:
    groups: dict[str, dict] = {}
    start, end = str(start), str(end)
    cur = c.execute(QUERY, (start, end))
    cols = [d[0] for d in cur.description]
    for values in cur:  # (any connection: the report's may have no row factory)
        row = dict(zip(cols, values))
        g = groups.setdefault(key_of(row), dict.fromkeys(COUNTS, 0))
        g["cases"] += 1
        level = row["level"]
        if level is None:
            g["unrated"] += 1
        else:
            g["rated"] += 1
            g["good"] += level in GOOD
            g["bad"] += level in BAD
        if row["f_state"] is not None:
            g["followups"] += 1
            g["appeals_approved"] += row["f_state"] == "appeal_approved"
            g["rectified"] += row["f_rectified"] is not None
            g["called_back"] += row["f_state"] == "called_back"
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
