"""好差评 indicators over the city's halls, with the definitions of hall/rating_indicators.py
(docs/reports.md): over the cases (served tickets) of the business days, each with its
final level (the 追加评价's when there is one): 好评率, 差评率, 未评价率, 主动评价好评率,
整改率, 回访率. Grouped by hall, department (of the ticket's window) or item (事项编码:
the case's, else the service's ``item_code``, else the service code)."""
from __future__ import annotations

from datetime import date

from hall.rating_indicators import COUNTS, RATES

CITY_GROUPINGS = ("hall", "department", "item")

_KEY = {
    "all": "''",
    "hall": "t.hall_code",
    "department": "coalesce(nullif(w.department, ''), '—')",
    "item": "coalesce(ci.item_code, nullif(s.item_code, ''), t.origin_service)",
}

QUERY = """
WITH lv AS (  -- each case's final level: its last rating (a 追加评价 replaces the evaluation)
    SELECT DISTINCT ON (r.hall_code, r.ticket_day, r.ticket_id) r.hall_code, r.ticket_day, r.ticket_id, r.level
    FROM city.ratings r WHERE r.ticket_day BETWEEN %(d0)s AND %(d1)s {only_r}
    ORDER BY r.hall_code, r.ticket_day, r.ticket_id, r.seq DESC)
SELECT {key} AS k, {whole} AS whole,
       count(*) AS cases,
       count(lv.level) AS rated,
       count(*) FILTER (WHERE lv.level IS NULL) AS unrated,
       count(*) FILTER (WHERE lv.level IN (1, 2, 3)) AS good,
       count(*) FILTER (WHERE lv.level IN (4, 5)) AS bad,
       count(f.id) AS followups,
       count(*) FILTER (WHERE f.state = 'appeal_approved') AS appeals_approved,
       count(*) FILTER (WHERE f.rectified_at IS NOT NULL) AS rectified,
       count(*) FILTER (WHERE f.state = 'called_back') AS called_back
FROM city.tickets t
LEFT JOIN lv ON lv.hall_code = t.hall_code AND lv.ticket_day = t.day AND lv.ticket_id = t.id
LEFT JOIN city.followups f ON f.hall_code = t.hall_code AND f.ticket_id = t.id
{joins}
WHERE t.day BETWEEN %(d0)s AND %(d1)s AND t.status = 'finished' {only}
GROUP BY {groups} ORDER BY 1"""


def city_indicators(conn, start: date | str, end: date | str, by: str = "hall",
                    halls: list[str] | None = None, with_total: bool = False):
    """One row per group: the counts and the six rates (fractions, 4 decimals, or None),
    the same keys as :func:`hall.rating_indicators.indicators`. ``with_total``: also the
    row of everything, from the same scan: (total, rows)."""
    if by not in CITY_GROUPINGS and by != "all":
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(CITY_GROUPINGS)}")
    joins = ""
    if by == "department":
        joins = 'LEFT JOIN city.windows w ON w.hall_code = t.hall_code AND w.number = t."window"'
    elif by == "item":
        joins = ("LEFT JOIN LATERAL (SELECT item_code FROM city.cases c WHERE c.hall_code = t.hall_code "
                 "AND c.ticket_id = t.id AND c.item_code != '' ORDER BY c.id LIMIT 1) ci ON true "
                 "LEFT JOIN city.services s ON s.hall_code = t.hall_code AND s.code = t.origin_service")
    key = _KEY[by]
    sql = QUERY.format(key=key, joins=joins, only="AND t.hall_code = ANY(%(halls)s)" if halls else "",
                       only_r="AND r.hall_code = ANY(%(halls)s)" if halls else "",
                       groups=f"GROUPING SETS (({key}), ())" if with_total else "1",
                       whole=f"GROUPING({key})" if with_total else "0")
    params = {"d0": str(start), "d1": str(end), "halls": halls}
    rows, total = [], _row("", (0,) * len(COUNTS))
    for row in conn.execute(sql, params).fetchall():
        if row[1]:
            total = _row("", row[2:])
        else:
            rows.append(_row(row[0], row[2:]))
    return (total, rows) if with_total else rows


def _row(group, counts) -> dict:
    g = dict(zip(COUNTS, counts))
    g["handled"] = g["followups"] - g["appeals_approved"]
    r = {"group": group, **g}
    for name, (num, den) in RATES.items():
        r[name] = round(g[num] / g[den], 4) if g[den] else None
    return r


def report_indicators(conn, start, end, by: str, halls: list[str] | None = None) -> tuple[dict, list[dict] | None]:
    """For the city report: the whole city's row, and a row per hall or department when
    the report is grouped so (as `jiaohao report` gives per window, staff, department)."""
    if by in ("hall", "department"):
        return city_indicators(conn, start, end, by, halls, with_total=True)
    rows = city_indicators(conn, start, end, "all", halls)
    return (rows[0] if rows else _row("", (0,) * len(COUNTS))), None
