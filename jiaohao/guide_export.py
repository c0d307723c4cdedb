"""`jiaohao guide export`: the guide as the spreadsheet `jiaohao guide import` reads — a
template for a hall to fill in, or its guide to edit in Excel and import again."""
from __future__ import annotations

from pathlib import Path

from config.guide import GuideEntry

from .guide_import import COLUMNS

EXPORT_FIELDS = ("code", "name", "name_en", "item_code", "service", "department", "zone", "windows",
                 "legal_basis", "conditions", "steps", "statutory_days", "promised_days", "fee", "notes",
                 "reminder", "phone_consult", "phone_supervise", "bookable", "keywords", "faqs",
                 "m_name", "m_name_en", "m_form", "m_copies", "m_note", "m_electronic")


def export_rows(entries: list[GuideEntry]) -> list[list]:
    """The entries as the rows :func:`parse_rows` reads (header first, one row per material)."""
    rows: list[list] = [[COLUMNS[f][0] for f in EXPORT_FIELDS]]
    for e in entries:
        item = {
            "code": e.code, "name": e.name, "name_en": e.name_en, "item_code": e.item_code, "service": e.service,
            "department": e.department, "zone": e.zone, "windows": "、".join(map(str, e.windows)),
            "legal_basis": e.legal_basis, "conditions": e.conditions,
            "steps": "\n".join(f"{i}. {s}" for i, s in enumerate(e.steps, 1)),
            "statutory_days": "" if e.statutory_days is None else e.statutory_days,
            "promised_days": "" if e.promised_days is None else ("即办" if e.promised_days == 0 else e.promised_days),
            "fee": e.fee, "notes": e.notes, "reminder": e.reminder, "phone_consult": e.phone_consult,
            "phone_supervise": e.phone_supervise, "bookable": "是" if e.bookable else "否",
            "keywords": "、".join(e.keywords), "faqs": "\n".join(f"问：{f.q}\n答：{f.a}" for f in e.faqs),
        }
        materials = e.materials or [None]
        for i, m in enumerate(materials):
            row = {f: (item.get(f, "") if i == 0 else "") for f in EXPORT_FIELDS}
            row["code"] = e.code
            if m is not None:
                row.update(m_name=m.name, m_name_en=m.name_en, m_form=m.form, m_copies=m.copies, m_note=m.note,
                           m_electronic="是" if m.electronic else "否")
            rows.append([row[f] for f in EXPORT_FIELDS])
    return rows


def write_xlsx(entries: list[GuideEntry], path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "办事指南"
    for row in export_rows(entries):
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "C2"
    from .commands.output_file import write_whole
    from .xlsx_save import workbook_bytes
    # in memory first: a full disk inside openpyxl's zip left a .tmp and a traceback
    write_whole(path, workbook_bytes(wb))
