"""One self-contained HTML page: headline cards, three SVG charts, the table, the definitions.

No script, no CDN, no web font: it opens from a USB stick or a mail attachment on a
phone. Wide tables scroll sideways inside their box with the name column kept in view."""
from __future__ import annotations

from html import escape

from hall.reports import GROUPING_NAMES, SCORE_LABELS, Figures, Report

from .charts import arrivals_chart, busiest, ratings_chart, wait_chart
from .common import count, minutes, pct, period, title

CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;
 color:#1f2328;background:#f4f6f8;line-height:1.5;-webkit-text-size-adjust:100%}
main{max-width:1080px;margin:0 auto;padding:12px}
header h1{font-size:1.35rem;margin:8px 0 2px}
header p{margin:0;color:#57606a;font-size:.95rem}
.cards{display:grid;grid-template-columns:repeat(2,1fr);gap:8px;margin:14px 0}
.card{background:#fff;border-radius:10px;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .k{font-size:.85rem;color:#57606a}
.card .v{font-size:1.6rem;font-weight:700;line-height:1.2}
.card .v small{font-size:.8rem;font-weight:400;color:#57606a;margin-left:2px}
.card .s{font-size:.78rem;color:#57606a}
.charts{display:grid;grid-template-columns:1fr;gap:10px}
section.box{background:#fff;border-radius:10px;padding:10px 12px 12px;margin:10px 0;
 box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:1.05rem;margin:2px 0 6px}
h2 span{font-weight:400;color:#57606a;font-size:.85rem;margin-left:6px}
.chart{width:100%;height:auto;display:block}
.chart .grid{stroke:#e1e4e8;stroke-width:1}
.chart .axis{font-size:11px;fill:#57606a}
.chart .val{font-size:11px;fill:#1f2328}
.chart .lbl{font-size:13px;fill:#1f2328}
.legend{font-size:.8rem;color:#57606a;margin:4px 0 0}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 3px 0 8px;vertical-align:-1px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #e1e4e8;border-radius:8px}
table{border-collapse:collapse;font-size:.85rem;white-space:nowrap;min-width:100%}
th,td{padding:6px 8px;text-align:right;border-bottom:1px solid #eef1f4}
th{background:#f6f8fa;font-weight:600;position:sticky;top:0}
th:first-child,td:first-child{text-align:left;position:sticky;left:0;background:#fff;
 border-right:1px solid #e1e4e8;max-width:9.5em;overflow:hidden;text-overflow:ellipsis}
th:first-child{background:#f6f8fa}
tr.total td{font-weight:700;background:#f6f8fa}
tr.total td:first-child{background:#f6f8fa}
.empty{color:#57606a;font-size:.9rem}
dl{font-size:.85rem;margin:0}
dt{font-weight:600;margin-top:6px}
dd{margin:0 0 0 1em;color:#424a53}
footer{color:#57606a;font-size:.78rem;margin:10px 0 20px}
.chart.wide{display:none}
.hint{font-size:.78rem;color:#57606a;margin:0 0 4px}
@media (min-width:720px){
 .cards{grid-template-columns:repeat(4,1fr)}
 .charts{grid-template-columns:1fr 1fr}
 .charts section.box:first-child{grid-column:1 / -1}
 .chart.narrow{display:none}
 .chart.wide{display:block}
 .hint{display:none}
}
"""

WAIT_CHART_SERVICES = 12  # bars in the waiting-time chart; every service is in the table

NOT_PER_WINDOW = {"issued", "expired", "refused_cap", "refused_hours", "refused_printer"}

# (flat key, heading) of the HTML table
TABLE = [("issued", "取号"), ("served", "办结"), ("no_show", "过号"), ("transfers", "转办"),
         ("expired", "过期"), ("wait_mean", "平均等候"), ("wait_p90", "P90等候"), ("wait_max", "最长等候"),
         ("handle_mean", "平均办理"), ("handle_p90", "P90办理"), ("rated", "评价"),
         ("satisfaction", "满意率")] + [(f"r{s}", label) for s, label in SCORE_LABELS.items()] + [
         ("refused_cap", "限号拒号"), ("refused_hours", "非时段拒号"), ("refused_printer", "打印失败")]


def _cells(f: Figures) -> dict[str, str]:
    out = {"issued": count(f.issued), "served": count(f.served), "no_show": count(f.no_show),
           "transfers": count(f.transfers), "expired": count(f.expired),
           "wait_mean": minutes(f.wait.mean), "wait_p90": minutes(f.wait.p90), "wait_max": minutes(f.wait.max),
           "handle_mean": minutes(f.handle.mean), "handle_p90": minutes(f.handle.p90),
           "rated": count(f.rated), "satisfaction": pct(f.satisfaction),
           "refused_cap": count(f.refused_cap), "refused_hours": count(f.refused_hours),
           "refused_printer": count(f.refused_printer)}
    out.update({f"r{s}": count(f.ratings[s]) for s in SCORE_LABELS})
    return out


def _card(key: str, label: str, value: str, unit: str = "", sub: str = "") -> str:
    return (f'<div class="card" data-figure="{key}"><div class="k">{label}</div>'
            f'<div class="v">{escape(value)}{f"<small>{unit}</small>" if unit else ""}</div>'
            + (f'<div class="s">{escape(sub)}</div>' if sub else "") + "</div>")


def _table(report: Report) -> str:
    zh = GROUPING_NAMES[report.by][0]
    # a window issues nothing and refuses nothing: leave out columns no row has
    columns = [(k, h) for k, h in TABLE
               if not report.rows or any(_cells(f)[k] != "-" or k not in NOT_PER_WINDOW for f in report.rows)]
    head = f"<tr><th>{zh}</th>" + "".join(f"<th>{h}</th>" for _, h in columns) + "</tr>"
    rows = []
    for f in [*report.rows, report.total]:
        name = f.label if f.key == "all" or f.label.startswith(f.key) else f"{f.key} {f.label}"
        cells = _cells(f)
        cls = ' class="total"' if f.key == "all" else ""
        rows.append(f'<tr{cls} data-key="{escape(f.key)}"><td title="{escape(name)}">{escape(name)}</td>'
                    + "".join(f'<td data-col="{k}">{cells[k]}</td>' for k, _ in columns) + "</tr>")
    return (f'<div class="scroll"><table id="figures"><thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


DEFINITIONS = [
    ("取号", "当期发出的号票（不含打印失败而作废的号票）。一张号票无论转办几次只算一次。"),
    ("办结", "状态为办结的号票，计入最后办理它的窗口、人员和事项；日终仍在办理的号票由日结办结。"),
    ("过号", "最终仍为过号（未重新激活办结）的号票，计入最后一次叫号的窗口。"),
    ("转办", "转办次数：窗口把号票转给其他事项或窗口的每一次，计入转出的窗口和事项。"),
    ("过期", "日终仍在等候、未被叫到的号票（含转办后未再被叫的）。"),
    ("等候时间", "首次叫号时间减取号时间；按事项和时段统计时计入取号的事项和时段，按窗口统计时计入首次叫号的窗口。"),
    ("办理时间", "每次叫号到该窗口办结或转出的时长（来自叫号记录）；转办的号票在每个窗口各计一次。"),
    ("P90", "按时长排序后第 ⌈0.9×n⌉ 个值（最近秩法）：九成群众不超过这个时间。"),
    ("满意率", "（非常满意+满意+基本满意）/ 评价总数，按国家政务服务“好差评”五级评价：不满意、非常不满意为差评。"),
    ("好差评指标", "好评率=好评/已评价；差评率=差评/已评价；未评价率=未评价/办件；主动评价好评率=好评/办件；"
              "整改率=已整改/（差评整改单−申诉成立）；回访率=已回访/（差评整改单−申诉成立）。详见 docs/reports.md。"),
    ("拒号", "限号：当日号源已满；非时段：不在办理时间；打印失败：打印机故障未能出票（号票作废）。"),
]


def render_html(report: Report) -> str:
    t = report.total
    zh, en = GROUPING_NAMES[report.by]
    cards = "".join([
        _card("issued", "取号 Issued", count(t.issued), "张"),
        _card("served", "办结 Served", count(t.served), "件",
              f"过号 {count(t.no_show)} · 过期 {count(t.expired)}"),
        _card("wait_mean", "平均等候 Wait", minutes(t.wait.mean), "分钟",
              f"P90 {minutes(t.wait.p90)} · 最长 {minutes(t.wait.max)}"),
        _card("satisfaction", "满意率 Satisfaction", pct(t.satisfaction), "",
              f"{t.satisfied:,}/{t.rated:,} 条评价"),
        _card("handle_mean", "平均办理 Handling", minutes(t.handle.mean), "分钟",
              f"P90 {minutes(t.handle.p90)}"),
        _card("transfers", "转办 Transfers", count(t.transfers), "次"),
        _card("refused", "拒号 Refused", count(t.refused), "次",
              f"限号 {count(t.refused_cap)} · 非时段 {count(t.refused_hours)} · 打印 {count(t.refused_printer)}"),
        _card("rated", "评价 Ratings", count(t.rated), "条",
              f"差评 {t.ratings[2] + t.ratings[1]:,}"),
    ])
    legend_wait = ('<p class="legend"><i style="background:#2f6fb5"></i>平均 mean'
                   '<i style="background:#b9d0ea"></i>P90（分钟 min）</p>')
    waited = [f for f in report.wait_by_service if f.wait.n]
    shown = busiest(waited, WAIT_CHART_SERVICES)
    if len(shown) < len(waited):
        legend_wait += (f'<p class="legend">共 {len(waited)} 个事项，图中为取号最多的 {len(shown)} 个；'
                        f'全部见下方明细 / the {len(shown)} busiest of {len(waited)} services</p>')
    arrivals = (arrivals_chart(report.arrivals_by_hour, css_class="narrow")
                + arrivals_chart(report.arrivals_by_hour, 860, 220, "wide"))
    hint = '<p class="hint">← 左右滑动查看全部列 / swipe for more columns →</p>'
    defs = "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in DEFINITIONS)
    sections = [
        _section("arrivals", "各时段取号", "arrivals by hour", arrivals),
        _section("waits", "各事项等候时间", "waiting time by service", wait_chart(shown) + legend_wait),
        _section("ratings", "好差评", "ratings", ratings_chart(t)),
    ]
    if report.rating_indicators is not None:
        sections.append(_section("rating-indicators", "好差评指标", "rating indicators",
                                 _indicators(report.rating_indicators)
                                 + _indicator_rows(report.rating_indicator_rows, zh)))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title(report))} {escape(period(report))}</title>
<style>{CSS}</style></head>
<body><main>
<header><h1>{escape(title(report))}</h1>
<p id="period">{escape(period(report))} · 按{zh}统计 / by {en.lower()}</p></header>
<div class="cards">{cards}</div>
<div class="charts">{"".join(sections)}</div>
{_section("table", f"明细（按{zh}）", f"figures by {en.lower()}; minutes", hint + _table(report))}
{_section("definitions", "指标说明", "definitions", f"<dl>{defs}</dl>")}
<footer>生成于 {escape(report.generated_at)} · jiaohao</footer>
</main></body></html>
"""


def _indicators(ind: dict) -> str:
    """The six 好差评 rates of the hall (docs/reports.md), each with its counts."""
    from hall.rating_indicators import RATES, percent
    names = {"good": "好评", "bad": "差评", "rated": "已评价", "unrated": "未评价", "cases": "办件",
             "rectified": "已整改", "called_back": "已回访", "handled": "差评整改单"}
    rows = "".join(f"<tr><th>{name}</th><td class=\"num\">{percent(ind[name])}</td>"
                   f"<td>{names[num]} {ind[num]:,} / {names[den]} {ind[den]:,}</td></tr>"
                   for name, (num, den) in RATES.items())
    return f'<table class="indicators">{rows}</table>'


def _indicator_rows(rows: list[dict] | None, grouping_zh: str) -> str:
    """The six rates per window, staff or department, when the report is grouped so."""
    if not rows:
        return ""
    from hall.rating_indicators import RATES, percent
    head = "".join(f"<th>{name}</th>" for name in RATES)
    body = "".join(f"<tr><td>{escape(str(r['group']))}</td><td class=\"num\">{r['cases']:,}</td>"
                   + "".join(f'<td class="num">{percent(r[name])}</td>' for name in RATES) + "</tr>"
                   for r in rows)
    return (f'<div class="scroll"><table class="indicator-rows"><tr><th>{grouping_zh}</th><th>办件</th>{head}</tr>'
            f"{body}</table></div>")


def _section(ident: str, zh: str, en: str, body: str) -> str:
    return f'<section class="box" id="{ident}"><h2>{zh}<span>{en}</span></h2>{body}</section>\n'
