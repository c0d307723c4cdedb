"""The SQL behind hall.reports: one grouped query per family of figures.

Counts are grouped in SQLite; only the durations needed for percentiles (waiting and
handling time) come back as rows, two columns each. ``aggregate`` returns the rows of
a grouping, the hall total, arrivals per hour and waiting time per service (the
charts), all in one pass over each table.
"""
from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Callable

from .db import connect_readonly
from .report_model import NO_DEPARTMENT, NO_STAFF, PRINTER_REFUSALS, Figures, Stats


def hour_sql(col: str, utc_offset: int | None = None) -> str:
    """The local hour (0-23) of an epoch-seconds column.

    With a fixed ``utc_offset`` (seconds east of UTC, true over the whole range: no
    daylight-saving change in it) plain arithmetic, else SQLite's localtime conversion."""
    if utc_offset is not None:
        return f"(CAST(({col} + {utc_offset}) AS INTEGER) / 3600 % 24)"
    return f"CAST(strftime('%H', {col}, 'unixepoch', 'localtime') AS INTEGER)"


def fixed_utc_offset(d0: str, d1: str) -> int | None:
    """The local UTC offset if it is the same at every midnight from d0 to d1+1, else None."""
    start, end = date.fromisoformat(d0), date.fromisoformat(d1) + timedelta(days=1)
    offsets, day = set(), start
    while day <= end and len(offsets) < 2:
        offsets.add(time.localtime(time.mktime(day.timetuple())).tm_gmtoff)
        day += timedelta(days=1)
    return offsets.pop() if len(offsets) == 1 else None


TICKET_LEVEL = ("service", "hour", "day", "all")


def key_sql(by: str, hour) -> dict[str, str]:
    """The SQL expression of the group key of each family of figures."""
    return {
        "ticket": {"service": "t.origin_service", "hour": hour("t.issued_at"), "day": "t.day",
                   "all": "'all'"}.get(by, "'all'"),
        "call": {"service": "c.service", "window": "c.window", "staff": "c.staff", "department": "c.window",
                 "hour": hour("c.called_at"), "day": "c.day", "all": "'all'"}[by],
        "eval": {"service": "c.service", "window": "e.window", "staff": "e.staff", "department": "e.window",
                 "hour": hour("e.at"), "day": "e.day", "all": "'all'"}[by],
        "refusal": {"service": "coalesce(service, json_extract(data, '$.service'))", "hour": hour("at"),
                    "day": "day", "all": "'all'"}.get(by, "'all'"),
    }


class _Rows:
    """Figures per group key, and the durations behind their statistics."""

    def __init__(self, by: str, labeler: Callable[[str], str]):
        self.by, self.labeler = by, labeler
        self.rows: dict[str, Figures] = {}
        self.waits: dict[str, list[float]] = defaultdict(list)
        self.handles: dict[str, list[float]] = defaultdict(list)

    def get(self, key: str) -> Figures:
        f = self.rows.get(key)
        if f is None:
            f = self.rows[key] = Figures(key, self.labeler(key))
            if self.by not in TICKET_LEVEL:  # a window issues no tickets and refuses none
                f.issued = f.expired = f.cancelled = f.open = None
                f.refused_cap = f.refused_hours = f.refused_printer = None
        return f

    def finish(self) -> list[Figures]:
        for key in set(self.waits) | set(self.handles):
            self.get(key)
        for key, f in self.rows.items():
            f.wait = Stats.of(self.waits.get(key, []))
            f.handle = Stats.of(self.handles.get(key, []))
        return [self.rows[k] for k in sorted(self.rows, key=_sort_key)]


def _sort_key(key: str):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def _count_ticket(f: Figures, status: str, reason: str | None, n: int) -> None:
    if status == "cancelled":
        f.cancelled += n
        if reason == "print_failed":
            f.refused_printer += n
        return
    f.issued += n
    if status == "expired":
        f.expired += n
    elif status in ("waiting", "called"):
        f.open += n


def _count_refusal(f: Figures, reason: str | None, n: int) -> None:
    if reason == "cap":
        f.refused_cap += n
    elif reason == "closed":
        f.refused_hours += n
    elif reason in PRINTER_REFUSALS:
        f.refused_printer += n


def _plain_rows(conn: sqlite3.Connection):
    """A cursor giving plain tuples: sqlite3.Row objects cost double on 150,000 rows."""
    if not isinstance(conn, sqlite3.Connection):
        return conn
    cur = conn.cursor()
    cur.row_factory = None
    return cur


def _count_sql(by: str, keysql: dict[str, str], hour) -> dict[str, str]:
    """The grouped counting queries: few rows each, the work is all inside SQLite."""
    ckey = keysql["call"]
    join = "LEFT JOIN calls c ON c.id = e.call_id " if by == "service" else ""
    return {
        # tickets: issued, cancelled, expired, still open; and arrivals per hour for the chart
        "tickets": f"SELECT {keysql['ticket']}, {hour('t.issued_at')}, t.status, t.cancel_reason, count(*) "
                   "FROM tickets t WHERE t.day BETWEEN ? AND ? GROUP BY 1, 2, 3, 4",
        # calls: served (finished, or still open at the day end) and transfers
        "calls": f"SELECT {ckey}, c.outcome, count(*) FROM calls c WHERE c.day BETWEEN ? AND ? "
                 "AND c.outcome IN ('finished', 'day_end', 'transferred') GROUP BY 1, 2",
        # no-shows: tickets still skipped, at the call that skipped them last
        "no_shows": f"SELECT {ckey}, count(*) FROM calls c JOIN tickets t ON t.id = c.ticket_id "
                    "WHERE c.day BETWEEN ? AND ? AND c.outcome = 'skipped' AND t.status = 'skipped' "
                    "AND NOT EXISTS (SELECT 1 FROM calls l WHERE l.ticket_id = c.ticket_id AND l.id > c.id) "
                    "GROUP BY 1",
        # ratings (好差评)
        "ratings": f"SELECT {keysql['eval']}, e.score, count(*) FROM evaluations e {join}"
                   "WHERE e.day BETWEEN ? AND ? GROUP BY 1, 2",
        # refusals: daily cap, outside hours (the queue's "refused" events), printer not ready
        # (the kiosk's "printer" events with action "refused"); print failures are cancelled tickets
        "refusals": f"SELECT {keysql['refusal']}, CASE kind WHEN 'printer' THEN 'printer' "
                    "ELSE json_extract(data, '$.reason') END, count(*) FROM events "
                    "WHERE day BETWEEN ? AND ? AND kind IN ('refused', 'printer') "
                    "AND (kind = 'refused' OR json_extract(data, '$.action') = 'refused') GROUP BY 1, 2",
    }


def _duration_sql(by: str, keysql: dict[str, str]) -> dict[str, str]:
    """Durations, concatenated per group inside SQLite: a few long strings instead of
    150,000 Python rows, and the work runs without the GIL."""
    if by in TICKET_LEVEL:
        waits = (f"SELECT {keysql['ticket']}, group_concat(t.first_called_at - t.issued_at) FROM tickets t "
                 "WHERE t.day BETWEEN ? AND ? AND t.first_called_at IS NOT NULL GROUP BY 1")
    else:  # the window/staff of the ticket's first call: where its wait ended
        waits = (f"SELECT {keysql['call']}, group_concat(t.first_called_at - t.issued_at) "
                 "FROM calls c JOIN tickets t ON t.id = c.ticket_id "
                 "WHERE c.day BETWEEN ? AND ? AND t.first_called_at IS NOT NULL "
                 "AND NOT EXISTS (SELECT 1 FROM calls p WHERE p.ticket_id = c.ticket_id AND p.id < c.id) "
                 "GROUP BY 1")
    out = {
        "waits": waits,
        # handling time: each finished or transferred call
        "handles": f"SELECT {keysql['call']}, group_concat(c.ended_at - c.called_at) FROM calls c "
                   "WHERE c.day BETWEEN ? AND ? AND c.outcome IN ('finished', 'transferred') "
                   "AND c.ended_at IS NOT NULL GROUP BY 1",
    }
    if by != "service":  # for the chart of waiting time per service
        out["service_waits"] = ("SELECT t.origin_service, group_concat(t.first_called_at - t.issued_at) "
                                "FROM tickets t WHERE t.day BETWEEN ? AND ? AND t.first_called_at IS NOT NULL "
                                "GROUP BY 1")
    return out


def _run(conn, sqls: dict[str, str], rng: tuple) -> dict[str, list]:
    return {name: conn.execute(sql, rng).fetchall() for name, sql in sqls.items()}


def _run_parallel(path: str, sqls: dict[str, str], rng: tuple, workers: int = 3) -> dict[str, list]:
    """Each query on its own connection in a small thread pool: SQLite releases the GIL
    while it works, so the scans overlap on several cores."""
    def one(name: str):
        conn = connect_readonly(path, check=False)  # reads only: works without write access
        conn.row_factory = None
        try:
            return name, conn.execute(sqls[name], rng).fetchall()
        finally:
            conn.close()
    # the longest first, so the short ones fill in behind
    order = sorted(sqls, key=lambda n: n not in ("waits", "handles", "service_waits"))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        return dict(pool.map(one, order))


def _floats(text: str | None) -> list[float]:
    return list(map(float, text.split(","))) if text else []


def aggregate(conn: sqlite3.Connection, d0: str, d1: str, by: str, labeler: Callable[[str], str],
              departments: dict[int, str], path: str | None = None):
    """(rows, total, arrivals_by_hour, wait_by_service) for business days d0..d1.

    ``path``: the database file, to run the queries side by side on their own connections."""
    rng = (d0, d1)
    ticket_level = by in TICKET_LEVEL
    offset = fixed_utc_offset(d0, d1)
    hour = lambda col: hour_sql(col, offset)  # noqa: E731
    keysql = key_sql(by, hour)
    sqls = {**_duration_sql(by, keysql), **_count_sql(by, keysql, hour)}
    res = _run_parallel(path, sqls, rng) if path else _run(_plain_rows(conn), sqls, rng)

    def norm(raw) -> str:
        if by == "department":
            return departments.get(raw) or NO_DEPARTMENT
        if by == "staff":
            return raw or NO_STAFF
        return "?" if raw is None else str(raw)

    keys: dict = {}

    def key_of(raw) -> str:
        k = keys.get(raw)
        if k is None:
            k = keys[raw] = norm(raw)
        return k

    g = _Rows(by, labeler)
    tot = _Rows("all", lambda k: "合计")
    T = tot.get("all")

    for name, lists, total_list in (("waits", g.waits, tot.waits["all"]),
                                    ("handles", g.handles, tot.handles["all"])):
        for raw, text in res[name]:
            values = _floats(text)
            lists[key_of(raw)].extend(values)
            total_list.extend(values)

    arrivals: dict[int, int] = defaultdict(int)
    for raw, hour_, status, reason, n in res["tickets"]:
        _count_ticket(T, status, reason, n)
        if ticket_level:
            _count_ticket(g.get(key_of(raw)), status, reason, n)
        if status != "cancelled":
            arrivals[hour_] += n
    for raw, outcome, n in res["calls"]:
        f = g.get(key_of(raw))
        if outcome == "transferred":
            f.transfers += n
            T.transfers += n
        else:
            f.served += n
            T.served += n
    for raw, n in res["no_shows"]:
        g.get(key_of(raw)).no_show += n
        T.no_show += n
    for raw, score, n in res["ratings"]:
        g.get(key_of(raw)).ratings[score] += n
        T.ratings[score] += n
    for raw, reason, n in res["refusals"]:
        _count_refusal(T, reason, n)
        if ticket_level:
            _count_refusal(g.get(key_of(raw)), reason, n)

    rows_out = g.finish() if by != "all" else []
    total = tot.finish()[0]

    # the charts: arrivals by hour (above), waiting time by service
    if by == "service":
        wait_by_service = [f for f in rows_out if f.wait.n]
    else:
        wait_by_service = []
        for code, text in sorted(res["service_waits"], key=lambda r: str(r[0])):
            f = Figures(str(code), labeler.service(code) if hasattr(labeler, "service") else str(code))
            f.wait = Stats.of(_floats(text))
            wait_by_service.append(f)
    return rows_out, total, dict(sorted(arrivals.items())), wait_by_service
