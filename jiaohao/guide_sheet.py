"""The 办事指南 spreadsheet's cells, for `jiaohao guide import`: the rows of an .xlsx sheet
(openpyxl) or of a CSV file (its encoding found by kiosk/csv_text.py), each cell as text,
and the readers of the cells that hold more than text (time limits, 是/否, steps, FAQs).

A file that cannot be read raises :class:`GuideImportError`, a cell that cannot be read
returns its reason; each reason is Chinese first, ``中文 (English)``, as the appointment
import's are.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

YES = {"是", "可", "可以", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "不可", "不可以", "无", "n", "no", "false", "0", "", "×"}


class GuideImportError(ValueError):
    """The file is refused: ``problems`` are its lines, ``FILE: 第 4 行 L 列（份数） (row 4, column L): reason``
    (the place by config/file_place.py)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def read_rows(path: Path, sheet: str | None = None) -> list[list[str]]:
    """The cells of the file as text (xlsx through openpyxl, else CSV)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(path, sheet)
    if path.suffix.lower() == ".xls":
        raise GuideImportError([f"{path}: 这是旧版 Excel 文件（.xls）：请用 Excel 或 WPS 打开，另存为 .xlsx "
                                "(an old Excel file (.xls): open it in Excel or WPS and save as .xlsx)"])
    from kiosk.csv_text import UndecodableText, decode_text
    data = _read(path)
    if data.startswith(b"PK\x03\x04"):  # what import reads, under the wrong name
        raise GuideImportError([f"{path}: 这是 Excel 工作簿（.xlsx）或别的 ZIP 压缩包，不是 CSV 文本：如果是工作簿，"
                                "请把文件名改为 .xlsx (this is an Excel workbook (.xlsx) or another ZIP archive, "
                                "not CSV text: if it is a workbook, name it .xlsx)"])
    try:
        text = decode_text(data)
    except UndecodableText as e:
        raise GuideImportError([f"{path}{f':{e.line}' if e.line else ''}: {e.zh} ({e.message})"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # "" keeps CR-only line ends rows
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append([c.strip() for c in row])
    except csv.Error as e:  # an opening quote never closed swallowed the rest of the file
        line = (sum(r.count("\n") for r in map("".join, rows)) + len(rows) + 1) if rows else 1
        if "end of data" in str(e) or "EOF" in str(e):
            why = ('这一行的引号（"）开始了一格，却一直没有关上（格内的引号要写两次 ""） '
                   '(a quote (") opens a cell that is never closed)')
        else:
            why = f"不能按 CSV 读 (not CSV text ({e}))"
        raise GuideImportError([f"{path}:{line}: {why}"]) from None
    return rows


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise GuideImportError([f"{path}: 读不了这个文件 (cannot read ({e.strerror or e}))"]) from None


def _xlsx_rows(path: Path, sheet: str | None) -> list[list[str]]:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        zh, en = _not_a_workbook(path, f"{e.__class__.__name__}: {e}")
        raise GuideImportError([f"{path}: {zh} ({en})"]) from None
    try:
        if sheet and sheet not in wb.sheetnames:
            raise GuideImportError([f"{path}: 没有名为 {sheet!r} 的工作表（工作表有：{'、'.join(wb.sheetnames)}） "
                                    f"(no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)}))"])
        ws = wb[sheet] if sheet else wb.worksheets[0]
        return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _not_a_workbook(path: Path, error: str) -> tuple[str, str]:
    """Why openpyxl could not open ``path`` (its ``error``), Chinese and English, from the
    file's first bytes."""
    from kiosk.csv_text import NOT_TEXT
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        return "读不了这个文件", f"cannot read ({e.strerror or e})"
    if not head.startswith(b"PK\x03\x04"):
        for magic, what, what_zh in NOT_TEXT:
            if head.startswith(magic):
                return f"这是{what_zh}，不是 Excel 工作簿（.xlsx）", f"this is {what}, not an Excel workbook (.xlsx)"
        if head and b"\x00" not in head:
            return ("这是文本文件，不是 Excel 工作簿（.xlsx）：如果它是 CSV，请把文件名改为 .csv",
                    "this is a text file, not an Excel workbook (.xlsx): if it is CSV, name it .csv")
    return ("打不开这个 Excel 工作簿：文件损坏了，或不是 .xlsx；请用 Excel 或 WPS 打开，另存为 .xlsx",
            f"not a readable Excel workbook ({error})")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[、,，;；\s]+", text) if p.strip()]


def steps(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(\d+|[一二三四五六七八九十]+)\s*[.、．)）]\s*", "", line).strip()
        if line:
            out.append(line)
    return out


def faqs(text: str) -> list[dict] | str:
    """The FAQ lines (问 … / 答 …) as [{q, a}], or why not."""
    out, q = [], None
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        m = re.match(r"^(问|Q)\s*[:：]?\s*(.+)$", line, re.I)
        a = re.match(r"^(答|A)\s*[:：]?\s*(.+)$", line, re.I)
        if m:
            q = m.group(2)
        elif a and q:
            out.append({"q": q, "a": a.group(2)})
            q = None
        else:
            return (f"{line[:20]!r} 这一行：问题以“问”开头，回答以“答”开头 "
                    f"(line {line[:20]!r}: each question starts with 问 and its answer with 答)")
    if q:
        return f"问题 {q[:20]!r} 没有回答（以“答”开头的一行） (the question {q[:20]!r} has no answer (a line starting with 答))"
    return out


def days(text: str) -> int | None | str:
    """A time limit in working days (5, 5个工作日, 即办 is 0), None when empty, or why not."""
    t = text.strip()
    if not t:
        return None
    if t in ("即办", "当场办结", "立即办结"):
        return 0
    m = re.fullmatch(r"([0-9]+)\s*(个)?(工作日|日|天)?", t)
    if not m:
        return (f"{t!r} 不是以工作日计的时限（如 5、5个工作日 或 即办） "
                f"({t!r} is not a time limit in working days (e.g. 5, 5个工作日 or 即办))")
    return int(m.group(1))


def yes_no(text: str) -> bool | str:
    t = text.strip().lower()
    if t in YES:
        return True
    if t in NO:
        return False
    return f"{text!r} 应填“是”或“否” ({text!r} is not yes or no (是/否))"


def column_letter(i: int) -> str:
    """0 → A, 26 → AA (the spreadsheet's column letters)."""
    s = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        s = chr(65 + rem) + s
    return s
