"""Formatting shared by the report formats: minutes, percentages, titles, display width."""
from __future__ import annotations

import unicodedata

from hall.reports import GROUPING_NAMES, Report


def minutes(seconds: float | None) -> str:
    """``"12.5"`` minutes, ``"-"`` when there is no value."""
    return "-" if seconds is None else f"{seconds / 60:.1f}"


def count(n: int | None) -> str:
    """``"12,345"``; ``"-"`` where the figure does not apply."""
    return "-" if n is None else f"{n:,}"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def period(report: Report) -> str:
    if report.date_from == report.date_to:
        return report.date_from
    return f"{report.date_from} 至 {report.date_to}（{report.days}天）"


def title(report: Report) -> str:
    return f"{report.hall or '政务服务中心'} 业务统计报表"


def grouping(report: Report) -> str:
    zh, en = GROUPING_NAMES[report.by]
    return f"按{zh}统计 / by {en.lower()}"


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cols: int, right: bool = False) -> str:
    fill = " " * max(0, cols - width(text))
    return fill + text if right else text + fill


def shorten(text: str, cols: int) -> str:
    if width(text) <= cols:
        return text
    out = ""
    for ch in text:
        if width(out + ch) > cols - 1:
            break
        out += ch
    return out + "…"
