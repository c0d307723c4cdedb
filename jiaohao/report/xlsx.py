"""Excel workbook (openpyxl): a summary sheet, the rows with a total, arrivals by hour."""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hall.reports import COLUMNS, SCORE_LABELS, Report

from .common import grouping, period, title

HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
MINUTE_COLS = {"wait_mean_min", "wait_p90_min", "wait_max_min", "handle_mean_min", "handle_p90_min"}


def _summary(ws, report: Report) -> None:
    t = report.total
    ws.title = "汇总"
    ws.append([title(report)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([period(report), grouping(report)])
    ws.append([])
    rows = [
        ("取号（张）", "Tickets issued", t.issued), ("办结（件）", "Served", t.served),
        ("过号", "No-shows", t.no_show), ("转办（次）", "Transfers", t.transfers),
        ("过期", "Expired at day end", t.expired), ("作废", "Cancelled", t.cancelled),
        ("平均等候（分钟）", "Wait mean (min)", _min(t.wait.mean)),
        ("P90等候（分钟）", "Wait p90 (min)", _min(t.wait.p90)),
        ("最长等候（分钟）", "Wait max (min)", _min(t.wait.max)),
        ("平均办理（分钟）", "Handling mean (min)", _min(t.handle.mean)),
        ("P90办理（分钟）", "Handling p90 (min)", _min(t.handle.p90)),
        ("评价数", "Ratings", t.rated),
    ]
    rows += [(label, f"Score {s}", t.ratings[s]) for s, label in SCORE_LABELS.items()]
    rows += [
        ("满意率", "Satisfaction", t.satisfaction),
        ("限号拒号", "Refused: daily cap", t.refused_cap),
        ("非办理时段拒号", "Refused: outside hours", t.refused_hours),
        ("打印失败", "Refused: printer", t.refused_printer),
    ]
    for zh, en, value in rows:
        ws.append([zh, en, value])
        if zh == "满意率":
            ws.cell(ws.max_row, 3).number_format = "0.00%"
    ws.append([])
    ws.append(["满意率 =（非常满意+满意+基本满意）/ 评价数", "see docs/reports.md"])
    ws.append(["生成于", report.generated_at])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 14


def _min(seconds):
    return None if seconds is None else round(seconds / 60, 2)


def _rows(ws, report: Report) -> None:
    ws.append([zh for _, zh, _ in COLUMNS])
    ws.append([en for _, _, en in COLUMNS])
    for row in ws.iter_rows(min_row=1, max_row=2):
        for cell in row:
            cell.font, cell.fill = BOLD, HEAD_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for f in [*report.rows, report.total]:
        flat = f.flat()
        ws.append([flat[k] for k, _, _ in COLUMNS])
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    for i, (key, zh, _) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 22 if key == "label" else max(9, len(zh) * 2)
        if key in MINUTE_COLS:
            for (cell,) in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                cell.number_format = "0.0"
    ws.freeze_panes = "C3"


def render_xlsx(report: Report) -> bytes:
    wb = Workbook()
    _summary(wb.active, report)
    _rows(wb.create_sheet("明细"), report)
    ws = wb.create_sheet("时段到达")
    ws.append(["时段", "取号"])
    for h, n in sorted(report.arrivals_by_hour.items()):
        ws.append([f"{h:02d}:00-{h + 1:02d}:00", n])
    ws = wb.create_sheet("事项等候")
    ws.append(["事项", "名称", "等候人次", "平均等候(分)", "P90等候(分)", "最长等候(分)"])
    for f in report.wait_by_service:
        ws.append([f.key, f.label, f.wait.n, _min(f.wait.mean), _min(f.wait.p90), _min(f.wait.max)])
    wb.properties.title = title(report)
    from ..xlsx_save import workbook_bytes
    return workbook_bytes(wb)
