"""好差评 indicators as the commands print them (`jiaohao ratings indicators` for one hall,
`jiaohao city indicators` for a city): JSON, CSV (Excel's UTF-8 with a BOM is the
caller's to add) or a plain table, from the rows of hall/rating_indicators.py or
city/indicators.py (the same keys)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date


BY_WORDS = {"hall": "大厅", "department": "部门", "window": "窗口", "staff": "人员", "item": "事项"}


def render(rows: list[dict], start: date, end: date, by: str, fmt: str, title: str, group_width: int = 12) -> str:
    """The indicators of ``start`` … ``end`` grouped ``by``, in ``fmt`` (json, csv, table)."""
    from hall.rating_indicators import COUNTS, RATES, percent
    if fmt == "json":
        return json.dumps({"from": start.isoformat(), "to": end.isoformat(), "by": by, "rows": rows},
                          ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        columns = ["group", *COUNTS, *RATES]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r[c] if r[c] is not None else "" for c in columns])
        return buf.getvalue()
    g = group_width
    out = [f"{title} {start} … {end}（按{BY_WORDS.get(by, by)} by {by}）",
           f"{'':<{g}}{'办件':>6}{'已评':>6}{'未评':>6}{'差评':>6}" + "".join(f"{n:>10}" for n in RATES)]
    for r in rows:
        out.append(f"{str(r['group'])[:g]:<{g}}{r['cases']:>6}{r['rated']:>6}{r['unrated']:>6}{r['bad']:>6}"
                   + "".join(f"{percent(r[n]):>10}" for n in RATES))
    return "\n".join(out) + "\n"
