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
import math
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from .db import connect

log = logging.getLogger(__name__)

GROUPINGS = ("service", "window", "staff", "department", "hour", "day")
GROUPING_NAMES = {"service": ("事项", "Service"), "window": ("窗口", "Window"),
                  "staff": ("工作人员", "Staff"), "department": ("部门", "Department"),
                  "hour": ("时段", "Hour"), "day": ("日期", "Day")}
SCORE_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SCORE_LABELS_EN = {5: "Very satisfied", 4: "Satisfied", 3: "Fairly satisfied",
                   2: "Dissatisfied", 1: "Very dissatisfied"}
#: 好评 levels of the national 好差评 scale: 差评 are 不满意 and 非常不满意.
SATISFIED_SCORES = (5, 4, 3)
#: reasons of ``refused`` events that mean the printer could not print a ticket.
PRINTER_REFUSALS = frozenset({"printer", "printer_unavailable", "paper_out", "cover_open",
                              "offline", "print_failed"})
NO_STAFF = "(未登录)"
NO_DEPARTMENT = "(未设部门)"


class ReportError(ValueError):
    """A report asked for something that cannot be given (bad dates, unknown grouping)."""


@dataclass(frozen=True)
class Stats:
    """Summary of durations in seconds: count, mean, 90th percentile (nearest rank), max."""

    n: int = 0
    mean: float | None = None
    p90: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> "Stats":
        if not values:
            return cls()
        values = sorted(values)
        n = len(values)
        return cls(n, sum(values) / n, values[max(0, math.ceil(0.9 * n) - 1)], values[-1])

    def to_json(self) -> dict:
        return {"n": self.n, "mean_s": _r(self.mean), "p90_s": _r(self.p90), "max_s": _r(self.max)}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


@dataclass
class Figures:
    """The figures of one row (a service, a window, an hour …) or of the whole hall.

    ``None`` means "does not apply to this grouping" (a window issues no tickets)."""

    key: str
    label: str
    issued: int | None = 0
    served: int = 0
    no_show: int = 0
    transfers: int = 0
    expired: int | None = 0
    cancelled: int | None = 0
    open: int | None = 0
    wait: Stats = field(default_factory=Stats)
    handle: Stats = field(default_factory=Stats)
    ratings: dict[int, int] = field(default_factory=lambda: {s: 0 for s in SCORE_LABELS})
    refused_cap: int | None = 0
    refused_hours: int | None = 0
    refused_printer: int | None = 0

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def satisfied(self) -> int:
        return sum(self.ratings[s] for s in SATISFIED_SCORES)

    @property
    def satisfaction(self) -> float | None:
        """(非常满意 + 满意 + 基本满意) / rated, 0..1; None when nobody rated."""
        return self.satisfied / self.rated if self.rated else None

    @property
    def refused(self) -> int | None:
        parts = (self.refused_cap, self.refused_hours, self.refused_printer)
        return None if self.refused_cap is None else sum(p or 0 for p in parts)

    def to_json(self) -> dict:
        return {
            "key": self.key, "label": self.label, "issued": self.issued, "served": self.served,
            "no_show": self.no_show, "transfers": self.transfers, "expired": self.expired,
            "cancelled": self.cancelled, "open": self.open,
            "wait": self.wait.to_json(), "handle": self.handle.to_json(),
            "ratings": {str(s): self.ratings[s] for s in SCORE_LABELS}, "rated": self.rated,
            "satisfaction": None if self.satisfaction is None else round(self.satisfaction, 4),
            "refused": {"cap": self.refused_cap, "hours": self.refused_hours,
                        "printer": self.refused_printer, "total": self.refused},
        }

    def flat(self) -> dict:
        """One flat record (durations in minutes) for CSV and spreadsheet rows."""
        m = lambda s: None if s is None else round(s / 60, 2)  # noqa: E731
        out = {"key": self.key, "label": self.label, "issued": self.issued, "served": self.served,
               "no_show": self.no_show, "transfers": self.transfers, "expired": self.expired,
               "cancelled": self.cancelled, "waited": self.wait.n, "wait_mean_min": m(self.wait.mean),
               "wait_p90_min": m(self.wait.p90), "wait_max_min": m(self.wait.max),
               "handled": self.handle.n, "handle_mean_min": m(self.handle.mean),
               "handle_p90_min": m(self.handle.p90), "rated": self.rated}
        out.update({f"r{s}": self.ratings[s] for s in SCORE_LABELS})
        out["satisfaction_pct"] = None if self.satisfaction is None else round(100 * self.satisfaction, 2)
        out.update({"refused_cap": self.refused_cap, "refused_hours": self.refused_hours,
                    "refused_printer": self.refused_printer})
        return out


#: The flat columns with their Chinese and English headings, in display order.
COLUMNS: list[tuple[str, str, str]] = [
    ("key", "编号", "Key"), ("label", "名称", "Name"),
    ("issued", "取号", "Issued"), ("served", "办结", "Served"), ("no_show", "过号", "No-shows"),
    ("transfers", "转办", "Transfers"), ("expired", "过期", "Expired"), ("cancelled", "作废", "Cancelled"),
    ("waited", "等候人次", "Waited"), ("wait_mean_min", "平均等候(分)", "Wait mean (min)"),
    ("wait_p90_min", "P90等候(分)", "Wait p90 (min)"), ("wait_max_min", "最长等候(分)", "Wait max (min)"),
    ("handled", "办理人次", "Handled"), ("handle_mean_min", "平均办理(分)", "Handling mean (min)"),
    ("handle_p90_min", "P90办理(分)", "Handling p90 (min)"), ("rated", "评价数", "Rated"),
    ("r5", "非常满意", "Very satisfied"), ("r4", "满意", "Satisfied"), ("r3", "基本满意", "Fairly satisfied"),
    ("r2", "不满意", "Dissatisfied"), ("r1", "非常不满意", "Very dissatisfied"),
    ("satisfaction_pct", "满意率(%)", "Satisfaction (%)"),
    ("refused_cap", "限号拒号", "Refused: cap"), ("refused_hours", "非办理时段拒号", "Refused: hours"),
    ("refused_printer", "打印失败", "Refused: printer"),
]


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
        }


# -- loading -----------------------------------------------------------------------
@dataclass
class _Raw:
    tickets: list[tuple]      # (id, day, origin_service, status, issued_at, first_called_at, cancel_reason)
    calls: list[tuple]        # (id, ticket_id, day, window, service, staff, called_at, ended_at, outcome)
    evaluations: list[tuple]  # (day, window, staff, score, at, call_id)
    refusals: list[tuple]     # (day, at, service, reason)
    services: dict[str, str]  # code -> name
    departments: dict[int, str]  # window -> department


def _load(conn: sqlite3.Connection, d0: str, d1: str) -> _Raw:
    rng = (d0, d1)
    tickets = conn.execute(
        "SELECT id, day, origin_service, status, issued_at, first_called_at, cancel_reason "
        "FROM tickets WHERE day BETWEEN ? AND ?", rng).fetchall()
    calls = conn.execute(
        "SELECT id, ticket_id, day, window, service, staff, called_at, ended_at, outcome "
        "FROM calls WHERE day BETWEEN ? AND ? ORDER BY id", rng).fetchall()
    evaluations = conn.execute(
        "SELECT day, window, staff, score, at, call_id FROM evaluations WHERE day BETWEEN ? AND ?",
        rng).fetchall()
    refusals = conn.execute(
        "SELECT day, at, coalesce(service, json_extract(data, '$.service')), json_extract(data, '$.reason') "
        "FROM events "
        "WHERE day BETWEEN ? AND ? AND kind = 'refused'", rng).fetchall()
    services = {r[0]: r[1] for r in conn.execute("SELECT code, name FROM services")}
    departments = {r[0]: r[1] for r in conn.execute("SELECT number, department FROM windows")}
    return _Raw(tickets, calls, evaluations, refusals, services, departments)


# -- aggregation ---------------------------------------------------------------------
def _hour(ts: float) -> int:
    return datetime.fromtimestamp(ts).hour


class _Groups:
    """Accumulates figures per key; keeps the raw durations until the end."""

    def __init__(self, by: str, labeler):
        self.by = by
        self.labeler = labeler
        self.rows: dict[str, Figures] = {}
        self.waits: dict[str, list[float]] = {}
        self.handles: dict[str, list[float]] = {}

    def get(self, key) -> Figures:
        key = str(key)
        f = self.rows.get(key)
        if f is None:
            f = self.rows[key] = Figures(key, self.labeler(key))
            self.waits[key], self.handles[key] = [], []
            if self.by in ("window", "staff", "department"):
                f.issued = f.expired = f.cancelled = f.open = None
                f.refused_cap = f.refused_hours = f.refused_printer = None
        return f

    def finish(self) -> list[Figures]:
        for key, f in self.rows.items():
            f.wait = Stats.of(self.waits[key])
            f.handle = Stats.of(self.handles[key])
        return [self.rows[k] for k in sorted(self.rows, key=_sort_key)]


def _sort_key(key: str):
    return (0, int(key), "") if key.lstrip("-").isdigit() else (1, 0, key)


def _aggregate(raw: _Raw, by: str, window_names: dict[int, str]) -> list[Figures]:
    """Group the loaded rows ``by`` a grouping; ``"all"`` gives one row, the hall total."""
    deps = raw.departments

    def label(key: str) -> str:
        if by == "service":
            return raw.services.get(key, key)
        if by == "window":
            return window_names.get(int(key), f"{key}号窗口")
        if by == "hour":
            return f"{int(key):02d}:00-{int(key) + 1:02d}:00"
        if by == "all":
            return "合计"
        return key

    g = _Groups(by, label)
    calls_by_ticket: dict[int, list[tuple]] = {}
    for c in raw.calls:
        calls_by_ticket.setdefault(c[1], []).append(c)

    def call_key(c) -> str:
        # c = (id, ticket_id, day, window, service, staff, called_at, ended_at, outcome)
        if by == "service":
            return c[4]
        if by == "window":
            return str(c[3])
        if by == "staff":
            return c[5] or NO_STAFF
        if by == "department":
            return deps.get(c[3]) or NO_DEPARTMENT
        if by == "hour":
            return str(_hour(c[6]))
        if by == "day":
            return c[2]
        return "all"

    def hall_key(service: str, at: float, day: str) -> str:
        # where and when a ticket was issued, or a refusal happened
        if by == "service":
            return service
        if by == "hour":
            return str(_hour(at))
        return day if by == "day" else "all"

    ticket_level = by in ("service", "hour", "day", "all")
    for tid, day, origin, status, issued_at, first_called_at, cancel_reason in raw.tickets:
        calls = calls_by_ticket.get(tid, ())
        if ticket_level:
            key = hall_key(origin, issued_at, day)
            f = g.get(key)
            if status == "cancelled":
                f.cancelled += 1
                if cancel_reason == "print_failed":
                    f.refused_printer += 1
            else:
                f.issued += 1
                if status == "expired":
                    f.expired += 1
                elif status in ("waiting", "called"):
                    f.open += 1
            if first_called_at is not None:
                g.waits[key].append(first_called_at - issued_at)
        elif first_called_at is not None and calls:
            key = call_key(calls[0])
            g.get(key)
            g.waits[key].append(first_called_at - issued_at)
        if calls and status in ("finished", "skipped"):
            last = calls[-1]
            f = g.get(call_key(last))
            if status == "finished":
                f.served += 1
            elif last[8] == "skipped":
                f.no_show += 1
    for c in raw.calls:
        outcome = c[8]
        if outcome == "transferred":
            g.get(call_key(c)).transfers += 1
        if outcome in ("finished", "transferred") and c[7] is not None:
            key = call_key(c)
            g.get(key)
            g.handles[key].append(c[7] - c[6])
    call_by_id = {c[0]: c for c in raw.calls} if by == "service" else {}
    for day, window, staff, score, at, call_id in raw.evaluations:
        if by == "service":
            call = call_by_id.get(call_id)
            key = call[4] if call else "?"
        elif by == "window":
            key = str(window)
        elif by == "staff":
            key = staff or NO_STAFF
        elif by == "department":
            key = deps.get(window) or NO_DEPARTMENT
        elif by == "hour":
            key = str(_hour(at))
        elif by == "day":
            key = day
        else:
            key = "all"
        g.get(key).ratings[score] += 1
    if ticket_level:
        for day, at, service, reason in raw.refusals:
            f = g.get(hall_key(service, at, day))
            if reason == "cap":
                f.refused_cap += 1
            elif reason == "closed":
                f.refused_hours += 1
            elif reason in PRINTER_REFUSALS:
                f.refused_printer += 1
    return g.finish()


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
        raise ReportError(f"not a date: {text!r} (use YYYY-MM-DD, e.g. 2026-11-23)") from None


def build_report(db: sqlite3.Connection | Path | str, date_from: date | str, date_to: date | str,
                 by: str = "service", hall: str = "", window_names: dict[int, str] | None = None,
                 now: datetime | None = None) -> Report:
    """Compute the report for business days ``date_from``..``date_to`` inclusive."""
    if by not in GROUPINGS:
        raise ReportError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    d0 = date_from if isinstance(date_from, str) else date_from.isoformat()
    d1 = date_to if isinstance(date_to, str) else date_to.isoformat()
    for d in (d0, d1):
        parse_day(d, date.today())
    if d0 > d1:
        raise ReportError(f"the report starts ({d0}) after it ends ({d1})")
    t0 = time.perf_counter()
    own = not isinstance(db, sqlite3.Connection)
    conn = connect(db) if own else db
    try:
        raw = _load(conn, d0, d1)
    finally:
        if own:
            conn.close()
    names = window_names or {}
    rows = _aggregate(raw, by, names)
    total = _aggregate(raw, "all", names)
    total = total[0] if total else Figures("all", "合计")
    hours = _aggregate(raw, "hour", names) if by != "hour" else rows
    arrivals = {int(f.key): f.issued for f in hours if f.issued}
    by_service = rows if by == "service" else _aggregate(raw, "service", names)
    elapsed = time.perf_counter() - t0
    log.debug("report %s..%s by %s: %d tickets, %d calls in %.3f s", d0, d1, by,
              len(raw.tickets), len(raw.calls), elapsed)
    return Report(hall, d0, d1, by, rows, total, arrivals, by_service,
                  (now or datetime.now()).isoformat(timespec="seconds"), elapsed)


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
    conn = connect(queue.path)
    try:
        waiting = conn.execute("SELECT count(*), min(issued_at) FROM tickets WHERE status = 'waiting'").fetchone()
        serving = conn.execute("SELECT count(*) FROM tickets WHERE status = 'called'").fetchone()[0]
        states = dict(conn.execute("SELECT state, count(*) FROM windows GROUP BY state").fetchall())
        per_service_waiting = dict(conn.execute(
            "SELECT service, count(*) FROM tickets WHERE status = 'waiting' GROUP BY service").fetchall())
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
