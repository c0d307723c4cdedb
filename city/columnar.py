"""The city report's days from city.day_columns: every hall's days in the range, the
parts its grouping reads (city/dayparts.py), for city/columnar_figures.py to add up.

A month of 150 halls is 4,500 rows read in one query (two connections of one snapshot
share it). A closed day stored by an older version (format 3) is converted as it is
read; a day without stored columns (today) is built from its shipped rows.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from .daycolumns import CALL_COLS, EVAL_COLS, REFUSAL_COLS, DayColumns, build
from .dayparts import FORMAT, Parsed, encode


def _days(d0: str, d1: str) -> list[str]:
    a, b = date.fromisoformat(d0), date.fromisoformat(d1)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


#: the part each grouping reads besides ``base`` and ``vals`` (city/dayparts.py)
EXTRA_PART = {"service": "by_service", "hour": "by_hour", "department": "by_window"}


def _blobs_sql(by: str) -> str:
    extra = EXTRA_PART.get(by)
    return ("SELECT hall_code, day::text, format, base, vals, " + (extra or "NULL") + ", "
            "CASE WHEN format = 3 THEN data END FROM city.day_columns WHERE day BETWEEN %s AND %s "
            "AND hall_code = ANY(%s) AND format IN (3, 4)")


def load(conn, d0: str, d1: str, halls: list[str], by: str = "hall", helper=None) -> list[tuple[str, str, Parsed]]:
    """(hall, day, parts) of every hall's days in the range that have any record: the
    stored parts of a closed day (format 4; an older format-3 blob is converted here),
    or parts built from the shipped rows of a day without them.

    ``helper``: a second connection in the same snapshot (see :func:`helper_connection`):
    it reads half the halls' parts meanwhile, so the server's two cores both work."""
    sql = _blobs_sql(by)
    halves = [halls[: len(halls) // 2], halls[len(halls) // 2:]] if helper is not None else [[], halls]
    pool = None
    if helper is not None and halves[0]:
        from concurrent.futures import ThreadPoolExecutor
        pool = ThreadPoolExecutor(1, thread_name_prefix="city-report")
        other = pool.submit(lambda: helper.cursor(binary=True).execute(sql, (d0, d1, halves[0])).fetchall())
    try:
        rows = conn.cursor(binary=True).execute(sql, (d0, d1, halves[1])).fetchall()
        if pool is not None:
            rows += other.result()
    finally:
        if pool is not None:
            pool.shutdown()
    extra = EXTRA_PART.get(by)
    out, have = [], set()
    for hall, day, fmt, base, vals, part, old in rows:  # bytea as bytes (binary): no hex text to decode
        if fmt == FORMAT:
            parsed = Parsed(base, vals, **({extra: part} if extra else {}))
        else:
            parsed = _parsed(DayColumns.decode(old), extra)
        out.append((hall, day, parsed))
        have.add((hall, day))
    missing = [(h, d) for h in halls for d in _days(d0, d1) if (h, d) not in have]
    if missing:  # today, a day shipped by a version before day columns; most are days off
        worked = _with_records(conn, missing)
        if worked:
            out.extend((h, d, _parsed(cols, extra)) for h, d, cols in _from_rows(conn, worked))
    return out


def _with_records(conn, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (hall, day) pairs with any record: a primary-key probe per pair and table
    (a month of 150 halls has some 1,500 days off; reading their rows scans the month)."""
    probe = " OR ".join(f"EXISTS (SELECT FROM city.{t} x WHERE x.hall_code = p.h AND x.day = p.d)"
                        for t in ("tickets", "calls", "evaluations", "refusals"))
    return [(h, d) for h, d in conn.execute(
        f"SELECT p.h, p.d::text FROM unnest(%s::text[], %s::date[]) AS p(h, d) WHERE {probe}",
        ([p[0] for p in pairs], [p[1] for p in pairs])).fetchall()]


def _parsed(cols: DayColumns, extra: str | None) -> Parsed:
    parts = encode(cols)
    return Parsed(parts["base"], parts["vals"], **({extra: parts[extra]} if extra else {}))


def helper_connection(conn):
    """A second read-only connection that sees exactly what ``conn``'s transaction sees
    (an exported snapshot), or None when one cannot be opened."""
    import psycopg
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    try:
        helper = psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=False,
                                 application_name="jiaohao report (helper)")
        helper.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        helper.execute("SET TRANSACTION SNAPSHOT %s" % psycopg.sql.quote(snapshot))
        return helper
    except psycopg.Error:
        return None


def _from_rows(conn, pairs: list[tuple[str, str]]) -> list[tuple[str, str, DayColumns]]:
    """Columns built from the shipped rows of these (hall, day) pairs."""
    hs, ds = [p[0] for p in pairs], [p[1] for p in pairs]

    def q(table: str, cols: tuple[str, ...], order: str = "") -> dict:
        rows = defaultdict(list)
        # one primary-key range per (hall, day), in that day's partition: never a scan of the month
        sql = (f"SELECT p.h, p.d::text, {', '.join('x.' + _q(c) for c in cols)} "
               "FROM unnest(%s::text[], %s::date[]) AS p(h, d) CROSS JOIN LATERAL "
               f"(SELECT * FROM city.{table} y WHERE y.hall_code = p.h AND y.day = p.d) x{order}")
        for r in conn.execute(sql, (hs, ds)).fetchall():
            rows[(r[0], r[1])].append(r[2:])
        return rows

    tickets = defaultdict(list)
    for r in conn.execute(
            "SELECT p.h, p.d::text, x.id, x.origin_service, x.issued_at, x.status, x.cancel_reason, "
            'x.first_called_at, x."window", (SELECT r.level FROM city.ratings r WHERE r.hall_code = p.h '
            "AND r.ticket_day = p.d AND r.ticket_id = x.id ORDER BY r.seq DESC LIMIT 1), f.state, "
            "coalesce(f.rectified_at IS NOT NULL, false) "
            "FROM unnest(%s::text[], %s::date[]) AS p(h, d) CROSS JOIN LATERAL "
            "(SELECT * FROM city.tickets y WHERE y.hall_code = p.h AND y.day = p.d) x "
            "LEFT JOIN city.followups f ON f.hall_code = p.h AND f.ticket_id = x.id", (hs, ds)).fetchall():
        tickets[(r[0], r[1])].append(r[2:])
    calls = q("calls", CALL_COLS, " ORDER BY x.id")
    evals = q("evaluations", EVAL_COLS)
    refusals = q("refusals", REFUSAL_COLS)
    out = []
    for key in set(tickets) | set(calls) | set(evals) | set(refusals):
        out.append((*key, build(tickets.get(key, []), calls.get(key, []), evals.get(key, []),
                                refusals.get(key, []))))
    return out


def _q(c: str) -> str:
    return f'"{c}"'
