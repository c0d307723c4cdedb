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
    w = datetime.fromtimestamp(ts, zone) if zone else datetime.fromtimestamp(ts)
    return f"{w.year:04d}{w.month:02d}{w.day:02d}T{w.hour:02d}{w.minute:02d}{w.second:02d}"


def day_bounds(config, start: date | None, end: date | None) -> tuple[float, float]:
    """[start 00:00, the day after end 00:00) in the hall's time, as timestamps."""
    zone = _zone(config)

    def ts(d: date) -> float:
        dt = datetime.combine(d, time())
        return (dt.replace(tzinfo=zone) if zone else dt).timestamp()
    return (ts(start) if start else 0.0, ts(end + timedelta(days=1)) if end else 1e12)


def _items(config, t, r, cases: list[tuple[str, str]], departments: dict) -> list[dict]:
    """The records of ticket ``t`` and rating ``r`` (None: 未评价), one per case."""
    default = departments.get(("item", t["origin_service"]))
    if default is None:
        default = item_code_of(config, t["origin_service"])
    if not cases:
        cases = [(local_case_no(config, t["day"], t["number"]), "")]
    return [{
        "办件编号": case_no,
        "评价渠道": CHANNELS.get(r["channel"], r["channel"]) if r else "",
        "评价人": (r["rater"] or ANONYMOUS) if r else "",
        "评价时间": stamp(r["at"], config) if r else "",
        "评价次数": r["seq"] if r else 0,
        "满意度": LEVELS[r["level"]] if r else UNRATED,
        "满意度代码": r["level"] if r else "",
        "文字评价": r["text"] if r else "",
        "行政区划": config.ratings.region_code,
        "事项编码": item_code or default,
        "问题选项": "、".join(json.loads(r["problems"])) if r and r["problems"] != "[]" else "",
        "窗口": t["window"] if t["window"] is not None else "",
        "工号": (r["staff"] if r else t["staff"]) or "",
        "部门": departments.get(t["window"], ""),
        "业务": t["origin_service"],
    } for case_no, item_code in cases]


def _departments(config) -> dict:
    """Window -> department, and ("item", service) -> the service's 事项编码: looked up per record."""
    out: dict = {w.number: w.department for w in config.windows}
    out.update({("item", s.code): getattr(s, "item_code", "") for s in config.services})
    return out


def _case_map(c: sqlite3.Connection, where: str, args: tuple) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for tid, case_no, item in c.execute(f"SELECT ticket_id, case_no, item_code FROM cases WHERE ticket_id IN "
                                        f"({where}) ORDER BY id", args):
        out.setdefault(tid, []).append((case_no, item))
    return out


def rating_items(c: sqlite3.Connection, config, rating_id: int) -> list[dict]:
    """The records of one rating (one per case of its ticket)."""
    r = c.execute("SELECT * FROM ratings WHERE id = ?", (rating_id,)).fetchone()
    t = c.execute("SELECT * FROM tickets WHERE id = ?", (r["ticket_id"],)).fetchone()
    cases = _case_map(c, "?", (t["id"],)).get(t["id"], [])
    return _items(config, t, r, cases, _departments(config))


TICKET_COLUMNS = "t.id AS t_id, t.day, t.number, t.origin_service, t.window AS t_window, t.staff AS t_staff"


class _Ticket(dict):
    """A ticket's columns out of a joined row."""

    def __init__(self, row: sqlite3.Row):
        super().__init__(id=row["t_id"], day=row["day"], number=row["number"], origin_service=row["origin_service"],
                         window=row["t_window"], staff=row["t_staff"])


def records(c: sqlite3.Connection, config, start: date | None = None, end: date | None = None,
            unrated: bool = False) -> list[dict]:
    """Ratings given from ``start`` to ``end`` (评价时间, hall days, both included); with
    ``unrated``, also the cases served in those days that nobody rated."""
    lo, hi = day_bounds(config, start, end)
    departments = _departments(config)
    cases = _case_map(c, "SELECT ticket_id FROM ratings WHERE at >= ? AND at < ?", (lo, hi))
    out = []
    for r in c.execute(f"SELECT r.*, {TICKET_COLUMNS} FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
                       "WHERE r.at >= ? AND r.at < ? ORDER BY r.at, r.id", (lo, hi)):
        out.extend(_items(config, _Ticket(r), r, cases.get(r["ticket_id"], []), departments))
    if unrated:
        span = (start.isoformat() if start else "0000", end.isoformat() if end else "9999")
        where = ("SELECT id FROM tickets t WHERE t.day BETWEEN ? AND ? AND t.status = 'finished' AND NOT EXISTS "
                 "(SELECT 1 FROM ratings WHERE ticket_id = t.id)")
        cases = _case_map(c, where, span)
        for t in c.execute(f"SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id IN ({where}) ORDER BY t.id", span):
            out.extend(_items(config, _Ticket(t), None, cases.get(t["t_id"], []), departments))
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
