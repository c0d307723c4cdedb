"""City reports: the hall report's figures over every hall's shipped records.

Same definitions as hall/reports.py (docs/reports.md), computed inside PostgreSQL: counts
grouped, durations summarised by ``count``, ``avg``, ``percentile_disc(0.9)`` (the
nearest-rank P90 the hall uses) and ``max``, with ``GROUPING SETS`` giving the city total
in the same scan. The result is a :class:`hall.reports.Report`, so every format of the
hall report (table, CSV, JSON, xlsx, HTML) renders it.

Groupings: ``hall``, ``service`` (by service code: halls of one city share the provincial
item codes), ``department`` (the department of the window, by name), ``day``, ``hour``.
"""
from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime

from hall.report_model import NO_DEPARTMENT, Figures, Stats
from hall.report_queries import _count_refusal, _count_ticket, fixed_utc_offset
from hall.reports import Report, ReportError

from .columnar_figures import group_row
from .indicators import report_indicators

CITY_GROUPINGS = ("hall", "service", "department", "day", "hour")
TICKET_LEVEL = ("hall", "service", "day", "hour")
HELPER_FROM_HALLS = 20  # from this many halls a second connection reads half the day columns


def _hour(col: str, offset: int | None) -> str:
    if offset is not None:
        return f"(floor({col} + {offset})::bigint / 3600 %% 24)"
    return f"extract(hour from to_timestamp({col}))::int"


def _keys(by: str, offset: int | None) -> dict[str, str]:
    h = lambda col: _hour(col, offset)  # noqa: E731
    return {
        "ticket": {"hall": "t.hall_code", "service": "t.origin_service", "day": "t.day::text",
                   "hour": h("t.issued_at")}.get(by, "'all'"),
        "call": {"hall": "c.hall_code", "service": "c.service", "department": "w.department",
                 "day": "c.day::text", "hour": h("c.called_at")}[by],
        "eval": {"hall": "e.hall_code", "service": "c.service", "department": "w.department",
                 "day": "e.day::text", "hour": h("e.at")}[by],
        "refusal": {"hall": "r.hall_code", "service": "r.service", "day": "r.day::text",
                    "hour": h("r.at")}.get(by, "'all'"),
    }


def _stats_sql(key: str, value: str, source: str, where: str) -> str:
    """count, mean, nearest-rank P90 and max of ``value`` per key and for everything
    (key NULL with grouping flag 1) in one scan."""
    return (f"SELECT k, GROUPING(k), count(*), avg(d), percentile_disc(0.9) WITHIN GROUP (ORDER BY d), max(d) "
            f"FROM (SELECT {key} AS k, {value} AS d FROM {source} WHERE {where}) s GROUP BY GROUPING SETS ((k), ())")


def _queries(by: str, keys: dict[str, str], hour, halls: bool) -> dict[str, str]:
    only = " AND {a}.hall_code = ANY(%(halls)s)" if halls else ""
    win_c = ' LEFT JOIN city.windows w ON w.hall_code = c.hall_code AND w.number = c."window"' \
        if by == "department" else ""
    win_e = ' LEFT JOIN city.windows w ON w.hall_code = e.hall_code AND w.number = e."window"' \
        if by == "department" else ""
    call_e = " LEFT JOIN city.calls c ON c.hall_code = e.hall_code AND c.day = e.day AND c.id = e.call_id" \
        if by == "service" else ""
    rng = "{a}.day BETWEEN %(d0)s AND %(d1)s" + only
    t, c, e, r = (rng.format(a=a) for a in "tcer")
    q = {
        "tickets": f"SELECT {keys['ticket']}, {hour('t.issued_at')}, t.status, t.cancel_reason, count(*) "
                   f"FROM city.tickets t WHERE {t} GROUP BY 1, 2, 3, 4",
        "calls": f"SELECT {keys['call']}, c.outcome, count(*) FROM city.calls c{win_c} WHERE {c} "
                 "AND c.outcome IN ('finished', 'day_end', 'transferred') GROUP BY 1, 2",
        "no_shows": f"SELECT {keys['call']}, count(*) FROM city.calls c "
                    "JOIN city.tickets t ON t.hall_code = c.hall_code AND t.day = c.day AND t.id = c.ticket_id"
                    f"{win_c} WHERE {c} AND c.outcome = 'skipped' AND t.status = 'skipped' AND NOT EXISTS "
                    "(SELECT 1 FROM city.calls l WHERE l.hall_code = c.hall_code AND l.day = c.day "
                    "AND l.ticket_id = c.ticket_id AND l.id > c.id) GROUP BY 1",
        "ratings": f"SELECT {keys['eval']}, e.score, count(*) FROM city.evaluations e{call_e}{win_e} "
                   f"WHERE {e} GROUP BY 1, 2",
        "refusals": f"SELECT {keys['refusal']}, CASE r.kind WHEN 'printer' THEN 'printer' ELSE r.reason END, "
                    f"count(*) FROM city.refusals r WHERE {r} GROUP BY 1, 2",
        "handles": _stats_sql(keys["call"], "c.ended_at - c.called_at", f"city.calls c{win_c}",
                              f"{c} AND c.outcome IN ('finished', 'transferred') AND c.ended_at IS NOT NULL"),
    }
    if by in TICKET_LEVEL:
        q["waits"] = _stats_sql(keys["ticket"], "t.first_called_at - t.issued_at", "city.tickets t",
                                f"{t} AND t.first_called_at IS NOT NULL")
    else:  # where the wait ended: the window of the ticket's first call
        q["waits"] = _stats_sql(
            keys["call"], "t.first_called_at - t.issued_at",
            "city.calls c JOIN city.tickets t ON t.hall_code = c.hall_code AND t.day = c.day AND t.id = c.ticket_id"
            + win_c,
            f"{c} AND t.first_called_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM city.calls p "
            "WHERE p.hall_code = c.hall_code AND p.day = c.day AND p.ticket_id = c.ticket_id AND p.id < c.id)")
    if by != "service":
        q["service_waits"] = _stats_sql("t.origin_service", "t.first_called_at - t.issued_at", "city.tickets t",
                                        f"{t} AND t.first_called_at IS NOT NULL")
    return q


def _labels(conn, halls: list[str] | None) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(hall names, service names, hall codes in the report). A service code named
    differently by some halls gets the name most of them use."""
    hall_rows = conn.execute("SELECT hall_code, name FROM city.halls ORDER BY hall_code").fetchall()
    names = {code: (name or code) for code, name in hall_rows if not halls or code in halls}
    votes: dict[str, Counter] = {}
    for code, name in conn.execute("SELECT code, name FROM city.services"
                                   + (" WHERE hall_code = ANY(%s)" if halls else ""),
                                   (halls,) if halls else ()).fetchall():
        votes.setdefault(code, Counter())[name] += 1
    services = {code: c.most_common(1)[0][0] for code, c in votes.items()}
    return names, services, sorted(names)


class _Labeler:
    """Display names of group keys (hall and service names, hour spans)."""

    def __init__(self, by: str, halls: dict[str, str], services: dict[str, str]):
        self.by, self.halls, self.services = by, halls, services

    def service(self, code: str) -> str:
        return self.services.get(code, code)

    def __call__(self, key: str) -> str:
        if self.by == "hall":
            return self.halls.get(key, key)
        if self.by == "service":
            return self.service(key)
        if self.by == "hour" and key.isdigit():
            return f"{int(key):02d}:00-{int(key) + 1:02d}:00"
        return key


def _stats(n, mean, p90, mx) -> Stats:
    return Stats(int(n), float(mean), float(p90), float(mx)) if n else Stats()


def _sort_key(key: str):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def build_city_report(conn, date_from: date | str, date_to: date | str, by: str = "hall",
                      halls: list[str] | None = None, title: str = "", now: datetime | None = None,
                      engine: str = "columns") -> Report:
    """The figures of business days ``date_from``..``date_to`` over the city's halls
    (``halls``: only these hall codes), grouped ``by`` one of :data:`CITY_GROUPINGS`.

    ``engine``: "columns" (the stored day columns, city/columnar.py: a month of 150
    halls in about a second) or "sql" (the same figures by grouped queries over the
    shipped rows: the cross-check)."""
    if by not in CITY_GROUPINGS:
        raise ReportError(f"the city report cannot group by {by!r}; choose one of {', '.join(CITY_GROUPINGS)}")
    d0 = date_from if isinstance(date_from, str) else date_from.isoformat()
    d1 = date_to if isinstance(date_to, str) else date_to.isoformat()
    if d0 > d1:
        raise ReportError(f"the report starts ({d0}) after it ends ({d1})")
    t0 = time.perf_counter()
    offset = fixed_utc_offset(d0, d1)
    hour = lambda col: _hour(col, offset)  # noqa: E731
    params = {"d0": d0, "d1": d1, "halls": halls}
    with conn.transaction():  # one snapshot: shipping goes on meanwhile
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute("SET LOCAL work_mem = '256MB'")
        hall_names, service_names, codes = _labels(conn, halls)
        label = _Labeler(by, hall_names, service_names)
        hall_title = title or f"全市汇总（{len(codes)}个大厅） City: {len(codes)} halls"
        if engine == "columns":
            from .columnar import helper_connection, load
            from .columnar_figures import aggregate
            # the rows of a day without stored columns (today) lie together: probe them by index
            conn.execute("SET LOCAL random_page_cost = 1.1")
            departments = {(h, n): d for h, n, d in conn.execute(
                'SELECT hall_code, number, department FROM city.windows').fetchall()}
            helper = helper_connection(conn) if len(codes) >= HELPER_FROM_HALLS else None
            try:
                days = load(conn, d0, d1, codes, by, helper)
            finally:
                if helper is not None:
                    helper.close()
            ordered, total, arrivals, wait_by_service, indicators, indicator_rows = aggregate(
                days, by, departments, label)
            return Report(hall_title, d0, d1, by, ordered, total, arrivals, wait_by_service,
                          (now or datetime.now()).isoformat(timespec="seconds"), time.perf_counter() - t0,
                          indicators, indicator_rows)
        res = {name: conn.execute(sql, params).fetchall()
               for name, sql in _queries(by, _keys(by, offset), hour, bool(halls)).items()}
        indicators, indicator_rows = report_indicators(conn, d0, d1, by, halls)

    def norm(raw) -> str:
        if by == "department":
            return raw or NO_DEPARTMENT
        return "?" if raw is None else str(raw)

    rows: dict[str, Figures] = {}
    ticket_level = by in TICKET_LEVEL

    def get(raw) -> Figures:
        key = norm(raw)
        f = rows.get(key)
        if f is None:
            f = rows[key] = group_row(key, label, ticket_level)
        return f

    total = Figures("all", "合计")
    arrivals: dict[int, int] = {}
    for raw, hour_, status, reason, n in res["tickets"]:
        _count_ticket(total, status, reason, n)
        if ticket_level:
            _count_ticket(get(raw), status, reason, n)
        if status != "cancelled":
            arrivals[int(hour_)] = arrivals.get(int(hour_), 0) + n
    for raw, outcome, n in res["calls"]:
        f = get(raw)
        if outcome == "transferred":
            f.transfers += n
            total.transfers += n
        else:
            f.served += n
            total.served += n
    for raw, n in res["no_shows"]:
        get(raw).no_show += n
        total.no_show += n
    for raw, score, n in res["ratings"]:
        get(raw).ratings[int(score)] += n
        total.ratings[int(score)] += n
    for raw, reason, n in res["refusals"]:
        _count_refusal(total, reason, n)
        if ticket_level:
            _count_refusal(get(raw), reason, n)
    for name, attr in (("waits", "wait"), ("handles", "handle")):
        for raw, is_total, n, mean, p90, mx in res[name]:
            target = total if is_total else get(raw)
            setattr(target, attr, _stats(n, mean, p90, mx))
    ordered = [rows[k] for k in sorted(rows, key=_sort_key)]
    if by == "service":
        wait_by_service = [f for f in ordered if f.wait.n]
    else:
        wait_by_service = []
        for code, is_total, n, mean, p90, mx in sorted(res["service_waits"], key=lambda r: str(r[0])):
            if not is_total:
                f = Figures(str(code), service_names.get(code, str(code)))
                f.wait = _stats(n, mean, p90, mx)
                wait_by_service.append(f)
    return Report(hall_title, d0, d1, by, ordered, total, dict(sorted(arrivals.items())), wait_by_service,
                  (now or datetime.now()).isoformat(timespec="seconds"), time.perf_counter() - t0,
                  indicators, indicator_rows)
