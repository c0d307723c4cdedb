"""Inline SVG charts for the HTML report: plain strings, no script, no external files."""
from __future__ import annotations

import math
from html import escape

from hall.reports import SCORE_LABELS, Figures

SCORE_COLORS = {5: "#1a7f37", 4: "#4caf50", 3: "#9ccc65", 2: "#f0883e", 1: "#d1242f"}
BAR = "#2f6fb5"
BAR_LIGHT = "#b9d0ea"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``: 7 -> 7, 37 -> 40, 412 -> 500."""
    if value <= 0:
        return 1
    scale = 10 ** math.floor(math.log10(value))
    return math.ceil(value / scale) * scale


def _svg(width: int, height: int, body: list[str], label: str, css_class: str = "") -> str:
    cls = f"chart {css_class}".strip()
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg" class="{cls}">' + "".join(body) + "</svg>")


def arrivals_chart(arrivals: dict[int, int], w: int = 400, h: int = 200, css_class: str = "") -> str:
    """Vertical bars: tickets issued in each hour of the day, in a ``w`` x ``h`` view box."""
    if not arrivals:
        return '<p class="empty">没有取号记录 / no tickets</p>'
    hours = list(range(min(arrivals), max(arrivals) + 1))
    ymax = _nice_max(max(arrivals.values()))
    left, bottom, top = 10 + 6.5 * len(f"{ymax:,.0f}"), 22, 18
    plot_w, plot_h = w - left - 6, h - bottom - top
    slot = plot_w / len(hours)
    body = []
    for frac in (0, 0.5, 1):
        if (ymax * frac) % 1:
            continue
        y = top + plot_h * (1 - frac)
        body.append(f'<line x1="{left}" x2="{w - 4}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{ymax * frac:,.0f}</text>')
    for i, hour in enumerate(hours):
        n = arrivals.get(hour, 0)
        bh = plot_h * n / ymax
        x = left + i * slot + slot * 0.15
        body.append(f'<rect x="{x:.1f}" y="{top + plot_h - bh:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{bh:.1f}" fill="{BAR}" data-hour="{hour}" data-value="{n}"/>')
        if n:
            body.append(f'<text x="{x + slot * 0.35:.1f}" y="{top + plot_h - bh - 3:.1f}" '
                        f'class="val" text-anchor="middle">{_compact(n, slot)}</text>')
        body.append(f'<text x="{x + slot * 0.35:.1f}" y="{h - 6}" class="axis" text-anchor="middle">{hour}时</text>')
    return _svg(w, h, body, "各时段取号", css_class)


def _compact(n: int, room: float) -> str:
    """A bar label that fits ``room`` view-box units: 42,406 or, when narrow, 4.2万."""
    text = f"{n:,}"
    if len(text) * 6.2 > room and n >= 10000:
        text = f"{n / 10000:.1f}万"
    return text


def busiest(rows: list[Figures], limit: int) -> list[Figures]:
    """The ``limit`` services most tickets waited for, longest mean wait first."""
    rows = sorted((f for f in rows if f.wait.n), key=lambda f: -f.wait.n)[:limit]
    return sorted(rows, key=lambda f: -f.wait.mean)


def wait_chart(rows: list[Figures]) -> str:
    """Horizontal bars per service: mean wait (dark) over the 90th percentile (light)."""
    if not rows:
        return '<p class="empty">没有叫号记录 / nobody was called</p>'
    left, row_h, w = 92, 30, 400
    plot_w = w - left - 70
    top = 6
    h = top + row_h * len(rows) + 4
    xmax = max(max(f.wait.p90 for f in rows) / 60, 1.0)  # all waits 0 (called at once): a 1-minute scale
    body = []
    for i, f in enumerate(rows):
        y = top + i * row_h
        mean, p90 = f.wait.mean / 60, f.wait.p90 / 60
        name = f.label if len(f.label) <= 6 else f.label[:5] + "…"
        body.append(f'<text x="{left - 6}" y="{y + 18}" class="lbl" text-anchor="end">{escape(name)}</text>')
        body.append(f'<rect x="{left}" y="{y + 5}" width="{plot_w * p90 / xmax:.1f}" height="18" '
                    f'fill="{BAR_LIGHT}" rx="2"/>')
        body.append(f'<rect x="{left}" y="{y + 5}" width="{plot_w * mean / xmax:.1f}" height="18" '
                    f'fill="{BAR}" rx="2" data-service="{escape(f.key)}" data-mean-min="{mean:.1f}"/>')
        body.append(f'<text x="{left + plot_w * p90 / xmax + 4:.1f}" y="{y + 18}" class="val">'
                    f'{mean:.1f} / {p90:.1f}</text>')
    return _svg(w, h, body, "各事项等候时间")


def ratings_chart(total: Figures) -> str:
    """Horizontal bars: share of each 好差评 level among all ratings."""
    if not total.rated:
        return '<p class="empty">暂无评价 / no ratings</p>'
    left, row_h, w = 92, 30, 400
    plot_w = w - left - 96
    h = 6 + row_h * 5 + 4
    body = []
    for i, (score, label) in enumerate(SCORE_LABELS.items()):
        y = 6 + i * row_h
        n = total.ratings[score]
        share = n / total.rated
        body.append(f'<text x="{left - 6}" y="{y + 18}" class="lbl" text-anchor="end">{label}</text>')
        body.append(f'<rect x="{left}" y="{y + 5}" width="{plot_w:.1f}" height="18" fill="#eef1f4" rx="2"/>')
        body.append(f'<rect x="{left}" y="{y + 5}" width="{plot_w * share:.1f}" height="18" '
                    f'fill="{SCORE_COLORS[score]}" rx="2" data-score="{score}" data-value="{n}"/>')
        body.append(f'<text x="{left + plot_w + 6:.1f}" y="{y + 18}" class="val">{n:,} · {100 * share:.1f}%</text>')
    return _svg(w, h, body, "好差评分布")
