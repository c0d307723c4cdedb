"""好差评 records as GB/T 39046-2020 Table 9 items: the export and the push payload.

One record per case (办件编号) and rating (评价次数 1, or 2 for the 追加评价), in the
order of Table 9: 办件编号, 评价渠道, 评价人, 评价时间 (YYYYMMDDThhmmss, hall time),
评价次数, 满意度, 满意度代码 (1 非常满意 … 5 非常不满意), 文字评价, 行政区划. The
``full`` form adds 事项编码, 问题选项, window, staff, department and service. 未评价
cases are listed only when asked (``unrated=True``), with 评价次数 0 and no level."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .ratings import CHANNELS, LEVELS, item_code_of, local_case_no

TABLE9 = ["办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码", "文字评价", "行政区划"]
EXTRA = ["事项编码", "问题选项", "窗口", "工号", "部门", "业务"]
ANONYMOUS = "匿名"
UNRATED = "未评价"


def _zone(config):
    return ZoneInfo(config.hall.timezone) if config.hall.timezone else None


def stamp(ts: float, config) -> str:
    """评价时间 as Table 9 writes it: YYYYMMDDThhmmss in the hall's time."""
    zone = _zone(config)
    when = datetime.fromtimestamp(ts, zone) if zone else datetime.fromtimestamp(ts)
    return when.strftime("%Y%m%dT%H%M%S")


def day_bounds(config, start: date | None, end: date | None) -> tuple[float, float]:
    """[start 00:00, the day after end 00:00) in the hall's time, as timestamps."""
    zone = _zone(config)

    def ts(d: date) -> float:
        dt = datetime.combine(d, time())
        return (dt.replace(tzinfo=zone) if zone else dt).timestamp()
    return (ts(start) if start else 0.0, ts(end + timedelta(days=1)) if end else 1e12)


def _cases(c: sqlite3.Connection, config, t: sqlite3.Row) -> list[tuple[str, str]]:
    default = item_code_of(config, t["origin_service"])
    rows = c.execute("SELECT case_no, item_code FROM cases WHERE ticket_id = ? ORDER BY id", (t["id"],)).fetchall()
    if not rows:
        return [(local_case_no(config, t["day"], t["number"]), default)]
    return [(r[0], r[1] or default) for r in rows]


def _items(c, config, t: sqlite3.Row, r: sqlite3.Row | None) -> list[dict]:
    w = next((w for w in config.windows if w.number == t["window"]), None)
    out = []
    for case_no, item_code in _cases(c, config, t):
        out.append({
            "办件编号": case_no,
            "评价渠道": CHANNELS.get(r["channel"], r["channel"]) if r else "",
            "评价人": (r["rater"] or ANONYMOUS) if r else "",
            "评价时间": stamp(r["at"], config) if r else "",
            "评价次数": r["seq"] if r else 0,
            "满意度": LEVELS[r["level"]] if r else UNRATED,
            "满意度代码": r["level"] if r else "",
            "文字评价": r["text"] if r else "",
            "行政区划": config.ratings.region_code,
            "事项编码": item_code,
            "问题选项": "、".join(json.loads(r["problems"])) if r else "",
            "窗口": t["window"] if t["window"] is not None else "",
            "工号": (r["staff"] if r else t["staff"]) or "",
            "部门": w.department if w else "",
            "业务": t["origin_service"],
        })
    return out


def rating_items(c: sqlite3.Connection, config, rating_id: int) -> list[dict]:
    """The records of one rating (one per case of its ticket)."""
    r = c.execute("SELECT * FROM ratings WHERE id = ?", (rating_id,)).fetchone()
    t = c.execute("SELECT * FROM tickets WHERE id = ?", (r["ticket_id"],)).fetchone()
    return _items(c, config, t, r)


def records(c: sqlite3.Connection, config, start: date | None = None, end: date | None = None,
            unrated: bool = False) -> list[dict]:
    """Ratings given from ``start`` to ``end`` (评价时间, hall days, both included); with
    ``unrated``, also the cases served in those days that nobody rated."""
    lo, hi = day_bounds(config, start, end)
    out = []
    for r in c.execute("SELECT * FROM ratings WHERE at >= ? AND at < ? ORDER BY at, id", (lo, hi)).fetchall():
        t = c.execute("SELECT * FROM tickets WHERE id = ?", (r["ticket_id"],)).fetchone()
        out.extend(_items(c, config, t, r))
    if unrated:
        first = start.isoformat() if start else "0000"
        last = end.isoformat() if end else "9999"
        for t in c.execute("SELECT * FROM tickets WHERE day BETWEEN ? AND ? AND status = 'finished' AND NOT EXISTS "
                           "(SELECT 1 FROM ratings WHERE ticket_id = tickets.id) ORDER BY id", (first, last)):
            out.extend(_items(c, config, t, None))
    return out


def to_csv(rows: list[dict], full: bool = False) -> str:
    """CSV with the Table 9 item names as its header (UTF-8; the caller adds a BOM for Excel)."""
    columns = TABLE9 + (EXTRA if full else [])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([row[k] for k in columns])
    return buf.getvalue()


def to_json(rows: list[dict], full: bool = False) -> str:
    columns = TABLE9 + (EXTRA if full else [])
    return json.dumps([{k: row[k] for k in columns} for row in rows], ensure_ascii=False, indent=1)
