"""Hall figures for managers: tickets, waiting and handling time, 好差评 ratings, refusals.

Pure SQL + standard library, no Qt. Every figure and its exact definition is in
docs/reports.md; in short:

* A ticket counts once for the hall however often it was transferred or recalled.
  Issued, expired and cancelled tickets and their waiting time (first call minus
  issue) belong to where and when the ticket was issued (its origin service, its
  issue hour). For window, staff and department rows the waiting time belongs to
  the window that first called the ticket: that is where the wait ended.
* Served and no-show tickets belong to the call that decided them (the ticket's
  last call): the window, staff and service that finished or skipped it.
* Handling time and transfers come from ``calls``: each call at a window counts at
  that window, so a transferred ticket adds handling at every window it visited.
* Ratings belong to the window and staff the evaluation names, and to the service
  of the rated call.
* Refusals (daily cap, outside hours, printer) belong to a service and an hour; they
  have no window.

Everything is read by business ``day`` (the ``day`` column), so a report for a
range never mixes in the day-close bookkeeping of the next morning.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from .db import connect
from .report_model import (COLUMNS, GROUPING_NAMES, GROUPINGS, NO_DEPARTMENT, NO_STAFF, PRINTER_REFUSALS,
                           SATISFIED_SCORES, SCORE_LABELS, SCORE_LABELS_EN, Figures, Stats, _r)
from .report_queries import aggregate

log = logging.getLogger(__name__)

__all__ = ["COLUMNS", "GROUPING_NAMES", "GROUPINGS", "NO_DEPARTMENT", "NO_STAFF", "PRINTER_REFUSALS",
           "SATISFIED_SCORES", "SCORE_LABELS", "SCORE_LABELS_EN", "Figures", "Report", "ReportError",
           "Stats", "build_report", "parse_day", "report_for_queue", "today_summary"]


class ReportError(ValueError):
    """A report asked for something that cannot be given (bad dates, unknown grouping)."""


@dataclass
class Report:
    """Figures for ``date_from``..``date_to`` (inclusive business days), grouped ``by``."""

    hall: str
    date_from: str
    date_to: str
    by: str
    rows: list[Figures]
    total: Figures
    arrivals_by_hour: dict[int, int]
    wait_by_service: list[Figures]
    generated_at: str
    elapsed_s: float = 0.0
    rating_indicators: dict | None = None  # 好评率 … 回访率 of the hall (hall/rating_indicators.py)
    rating_indicator_rows: list[dict] | None = None  # the same per window, staff or department

    @property
    def days(self) -> int:
        return (date.fromisoformat(self.date_to) - date.fromisoformat(self.date_from)).days + 1

    def to_json(self) -> dict:
        return {
            "hall": self.hall, "from": self.date_from, "to": self.date_to, "days": self.days,
            "by": self.by, "generated_at": self.generated_at,
            "total": self.total.to_json(), "rows": [r.to_json() for r in self.rows],
            "arrivals_by_hour": {f"{h:02d}": n for h, n in sorted(self.arrivals_by_hour.items())},
            "wait_by_service": [{"key": f.key, "label": f.label, **f.wait.to_json()}
                                for f in self.wait_by_service],
            "satisfaction_definition": "(非常满意+满意+基本满意)/评价数",
            "rating_indicators": self.rating_indicators,
            "rating_indicator_rows": self.rating_indicator_rows,
        }


class _Labels:
    """Display names of group keys: service names, window names, hour spans."""

    def __init__(self, by: str, services: dict[str, str], windows: dict[int, str]):
        self.by, self.services, self.windows = by, services, windows

    def service(self, code: str) -> str:
        return self.services.get(code, code)

    def __call__(self, key: str) -> str:
        if self.by == "service":
            return self.service(key)
        if self.by == "window" and key.isdigit():
            return self.windows.get(int(key), f"{key}号窗口")
        if self.by == "hour" and key.isdigit():
            return f"{int(key):02d}:00-{int(key) + 1:02d}:00"
        return key


# -- public entry points ---------------------------------------------------------------
def parse_day(text: str | date | None, default: date) -> date:
    """A day from ``YYYY-MM-DD`` (or ``today``/``yesterday``); ``default`` when empty."""
    if text is None or text == "":
        return default
    if isinstance(text, date):
        return text
    t = text.strip().lower()
    if t in ("today", "今天"):
        return default
    if t in ("yesterday", "昨天"):
        return default - timedelta(days=1)
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise ReportError(f"不是日期 (not a date): {text!r}，请用 YYYY-MM-DD，如 2026-11-23 "
                          "(use YYYY-MM-DD, e.g. 2026-11-23)") from None


def build_report(db: sqlite3.Connection | Path | str, date_from: date | str, date_to: date | str,
                 by: str = "service", hall: str = "", window_names: dict[int, str] | None = None,
                 now: datetime | None = None) -> Report:
    """Compute the report for business days ``date_from``..``date_to`` inclusive."""
    if by not in GROUPINGS:
        raise ReportError(f"不能按 {by!r} 分组，可选 {'、'.join(GROUPINGS)} "
                          f"(cannot group by {by!r}; choose one of {', '.join(GROUPINGS)})")
    d0 = date_from if isinstance(date_from, str) else date_from.isoformat()
    d1 = date_to if isinstance(date_to, str) else date_to.isoformat()
    for d in (d0, d1):
        parse_day(d, date.today())
    if d0 > d1:
        raise ReportError(f"开始日期晚于结束日期 (the report starts ({d0}) after it ends ({d1}))")
    t0 = time.perf_counter()
    own = not isinstance(db, sqlite3.Connection)
    conn = connect(db, readonly=True) if own else db
    try:
        services = {r[0]: r[1] for r in conn.execute("SELECT code, name FROM services")}
        departments = {r[0]: r[1] for r in conn.execute("SELECT number, department FROM windows")}
        labels = _Labels(by, services, window_names or {})
        path = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
        rows, total, arrivals, by_service = aggregate(conn, d0, d1, by, labels, departments, path or None)
        from .rating_indicators import hall_indicators, report_rows
        indicators = hall_indicators(conn, d0, d1)
        indicator_rows = report_rows(conn, d0, d1, by)
    finally:
        if own:
            conn.close()
    elapsed = time.perf_counter() - t0
    log.debug("report %s..%s by %s: %d rows in %.3f s", d0, d1, by, len(rows), elapsed)
    return Report(hall, d0, d1, by, rows, total, arrivals, by_service,
                  (now or datetime.now()).isoformat(timespec="seconds"), elapsed, indicators,
                  indicator_rows)


def report_for_queue(queue, date_from=None, date_to=None, by: str = "service") -> Report:
    """The report over a HallQueue's database, with the hall's names; default: today."""
    today = queue.clock().date()
    d0 = parse_day(date_from, today)
    d1 = parse_day(date_to, d0 if date_from else today)
    cfg = queue.config
    names = {w.number: (w.name or f"{w.number}号窗口") for w in cfg.windows}
    return build_report(queue.path, d0, d1, by, hall=cfg.hall.name, window_names=names, now=queue.clock())


def today_summary(queue) -> dict:
    """Today's figures for the diagnostics / manager panel, as plain JSON-able data.

    Keys: day, now, issued, served, no_show, transfers, expired, cancelled, waiting_now,
    serving_now, longest_wait_now_s, wait (n, mean_s, p90_s, max_s), handle, ratings
    {"5".."1"}, rated, satisfaction (0..1 or None), refused {cap, hours, printer, total},
    windows {idle, serving, paused, closed}, services [{code, name, issued, served,
    waiting, wait_mean_s}]."""
    now = queue.clock()
    report = report_for_queue(queue, now.date(), now.date(), by="service")
    t = report.total
    out = t.to_json()
    out.pop("key"), out.pop("label"), out.pop("open")
    conn = connect(queue.path, readonly=True)
    try:
        today = (now.date().isoformat(),)  # yesterday's leftovers expire at the day's first operation
        waiting = conn.execute("SELECT count(*), min(issued_at) FROM tickets WHERE day = ? AND status = 'waiting'",
                               today).fetchone()
        serving = conn.execute("SELECT count(*) FROM tickets WHERE day = ? AND status = 'called'", today).fetchone()[0]
        states = dict(conn.execute("SELECT state, count(*) FROM windows GROUP BY state").fetchall())
        per_service_waiting = dict(conn.execute(
            "SELECT service, count(*) FROM tickets WHERE day = ? AND status = 'waiting' GROUP BY service",
            today).fetchall())
    finally:
        conn.close()
    rows = {f.key: f for f in report.rows}
    out.update({
        "day": now.date().isoformat(), "now": now.isoformat(timespec="seconds"),
        "waiting_now": waiting[0], "serving_now": serving,
        "longest_wait_now_s": _r(now.timestamp() - waiting[1]) if waiting[1] is not None else None,
        "windows": {s: states.get(s, 0) for s in ("idle", "serving", "paused", "closed")},
        "services": [{"code": s.code, "name": s.name,
                      "issued": rows[s.code].issued if s.code in rows else 0,
                      "served": rows[s.code].served if s.code in rows else 0,
                      "waiting": per_service_waiting.get(s.code, 0),
                      "wait_mean_s": _r(rows[s.code].wait.mean) if s.code in rows else None}
                     for s in queue.config.services],
    })
    return out
