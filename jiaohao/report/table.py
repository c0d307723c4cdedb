"""The terminal table: figures per row, then ratings and refusals, CJK-aware column widths."""
from __future__ import annotations

from hall.reports import SCORE_LABELS, Figures, Report

from .common import count, grouping, minutes, pad, pct, period, shorten, title, width

NAME_COLS = 20


def _grid(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(width(h), *(width(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(pad(c, widths[i], right=i > 0) for i, c in enumerate(cells))  # noqa: E731
    rule = "  ".join("-" * w for w in widths)
    out = [line(headers), rule]
    out += [line(r) for r in rows[:-1]]
    out += [rule, line(rows[-1])]
    return out


def _name(f: Figures) -> str:
    text = f.label if f.key == "all" or f.label.startswith(f.key) else f"{f.key} {f.label}"
    return shorten(text, NAME_COLS)


def _drop_blank(heads: list[str], rows: list[list[str]], keep: set[int]) -> tuple[list[str], list[list[str]]]:
    """Leave out columns (other than ``keep``) that show "-" on every row but the total."""
    body = rows[:-1]
    cols = [i for i in range(len(heads)) if i in keep or not body or any(r[i] != "-" for r in body)]
    return [heads[i] for i in cols], [[r[i] for i in cols] for r in rows]


def render_table(report: Report) -> str:
    figures = [*report.rows, report.total]
    main = [[_name(f), count(f.issued), count(f.served), count(f.no_show), count(f.transfers),
             count(f.expired), minutes(f.wait.mean), minutes(f.wait.p90), minutes(f.wait.max),
             minutes(f.handle.mean), minutes(f.handle.p90), count(f.rated), pct(f.satisfaction)]
            for f in figures]
    heads = ["", "取号", "办结", "过号", "转办", "过期", "平均等候", "P90等候", "最长等候",
             "平均办理", "P90办理", "评价", "满意率"]
    heads, main = _drop_blank(heads, main, keep=set(range(len(heads))) - {1, 5})
    rated = [[_name(f)] + [count(f.ratings[s]) for s in SCORE_LABELS] + [count(f.refused_cap),
             count(f.refused_hours), count(f.refused_printer)] for f in figures]
    rheads = [""] + list(SCORE_LABELS.values()) + ["限号拒号", "非时段拒号", "打印失败"]
    rheads, rated = _drop_blank(rheads, rated, keep=set(range(6)))
    t = report.total
    lines = [f"{title(report)}  {period(report)}  {grouping(report)}", ""]
    lines.append(f"取号 {count(t.issued)}  办结 {count(t.served)}  过号 {count(t.no_show)}  过期 {count(t.expired)}  "
                 f"平均等候 {minutes(t.wait.mean)} 分  平均办理 {minutes(t.handle.mean)} 分  "
                 f"满意率 {pct(t.satisfaction)}（{t.satisfied:,}/{t.rated:,}）  拒号 {count(t.refused)}")
    lines.append("")
    lines += _grid(heads, main)
    lines += ["", "好差评 / ratings and refusals"]
    lines += _grid(rheads, rated)
    lines += ["", "时间单位：分钟。满意率 =（非常满意+满意+基本满意）/ 评价数。"
                  "定义见 docs/reports.md。", f"生成于 {report.generated_at}"]
    return "\n".join(lines) + "\n"
