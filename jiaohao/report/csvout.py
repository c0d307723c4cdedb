"""CSV: one line per row plus the total, Chinese headings; durations in minutes."""
from __future__ import annotations

import csv
import io

from hall.reports import COLUMNS, Report


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([zh for _, zh, _ in COLUMNS])
    for f in [*report.rows, report.total]:
        flat = f.flat()
        w.writerow(["" if flat[k] is None else flat[k] for k, _, _ in COLUMNS])
    return buf.getvalue()
