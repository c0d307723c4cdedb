"""`jiaohao guide import`: the 办事指南 spreadsheet a hall already keeps → guide files.

One sheet (the first; ``--sheet`` names another), a header row, then one row per
material: an item's first row holds its fields, the rows below it with the same
事项编码, or with that cell empty (merged cells in Excel), add materials. Headers are
matched by name in Chinese or English (:data:`COLUMNS`); order does not matter. Steps
are one per line in their cell; keywords separated by 、 , ; or spaces; FAQ lines start
问/Q and 答/A. The whole file is checked first; every bad row and column is named and
nothing is written unless all rows are good. Then each item becomes ``<code>.toml`` in
the guide folder (items not in the file are kept; ``--replace`` removes them).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from config.guide import GuideEntry, hall_problems

MAX_PROBLEMS = 50

# field -> header names (first: the template's Chinese header)
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("事项编码", "编码", "code"),
    "name": ("事项名称", "名称", "name"),
    "name_en": ("英文名称", "name_en"),
    "item_code": ("国家事项编码", "实施编码", "item_code"),
    "service": ("取号业务", "业务", "service"),
    "department": ("实施部门", "部门", "department"),
    "zone": ("专区", "zone"),
    "windows": ("窗口", "windows"),
    "legal_basis": ("设定依据", "legal_basis"),
    "conditions": ("申请条件", "conditions"),
    "steps": ("办理流程", "steps"),
    "statutory_days": ("法定时限", "statutory_days"),
    "promised_days": ("承诺时限", "promised_days"),
    "fee": ("收费标准", "fee"),
    "notes": ("注意事项", "notes"),
    "reminder": ("票面提示", "reminder"),
    "phone_consult": ("咨询电话", "phone_consult"),
    "phone_supervise": ("监督电话", "phone_supervise"),
    "bookable": ("可预约", "bookable"),
    "keywords": ("关键词", "keywords"),
    "faqs": ("常见问题", "faqs"),
    "m_name": ("材料名称", "material"),
    "m_name_en": ("材料英文名称", "material_en"),
    "m_form": ("材料形式", "form"),
    "m_copies": ("份数", "copies"),
    "m_note": ("材料说明", "material_note"),
    "m_electronic": ("电子证照", "electronic"),
}
REQUIRED = ("code", "name", "service")
YES = {"是", "可", "可以", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "不可", "不可以", "无", "n", "no", "false", "0", "", "×"}


class GuideImportError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def read_rows(path: Path, sheet: str | None = None) -> list[list[str]]:
    """The cells of the file as text (xlsx through openpyxl, else CSV)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise GuideImportError([f"{path}: not a readable Excel workbook ({e.__class__.__name__}: {e})"])
        try:
            if sheet and sheet not in wb.sheetnames:
                raise GuideImportError([f"{path}: no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})"])
            ws = wb[sheet] if sheet else wb.worksheets[0]
            return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    if path.suffix.lower() == ".xls":
        raise GuideImportError([f"{path}: an old Excel file (.xls): open it in Excel or WPS and save as .xlsx"])
    from kiosk.csv_text import UndecodableText, decode_text
    try:
        text = decode_text(path.read_bytes())
    except UndecodableText as e:
        raise GuideImportError([f"{path}{f':{e.line}' if e.line else ''}: {e.message}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # "" keeps CR-only line ends rows
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append([c.strip() for c in row])
    except csv.Error as e:  # an opening quote never closed swallowed the rest of the file
        line = (sum(r.count("\n") for r in map("".join, rows)) + len(rows) + 1) if rows else 1
        why = ("a quote (\") opens a cell that is never closed" if "end of data" in str(e) or "EOF" in str(e)
               else f"not CSV text ({e})")
        raise GuideImportError([f"{path}:{line}: {why}"]) from None
    return rows


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[、,，;；\s]+", text) if p.strip()]


def _steps(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(\d+|[一二三四五六七八九十]+)\s*[.、．)）]\s*", "", line).strip()
        if line:
            out.append(line)
    return out


def _faqs(text: str) -> list[dict] | str:
    faqs, q = [], None
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        m = re.match(r"^(问|Q)\s*[:：]?\s*(.+)$", line, re.I)
        a = re.match(r"^(答|A)\s*[:：]?\s*(.+)$", line, re.I)
        if m:
            q = m.group(2)
        elif a and q:
            faqs.append({"q": q, "a": a.group(2)})
            q = None
        else:
            return f"line {line[:20]!r}: each question starts with 问 and its answer with 答"
    if q:
        return f"the question {q[:20]!r} has no answer (a line starting with 答)"
    return faqs


def _days(text: str) -> int | None | str:
    t = text.strip()
    if not t:
        return None
    if t in ("即办", "当场办结", "立即办结"):
        return 0
    m = re.fullmatch(r"([0-9]+)\s*(个)?(工作日|日|天)?", t)
    if not m:
        return f"{t!r} is not a time limit in working days (e.g. 5, 5个工作日 or 即办)"
    return int(m.group(1))


def _bool(text: str) -> bool | str:
    t = text.strip().lower()
    if t in YES:
        return True
    if t in NO:
        return False
    return f"{text!r} is not yes or no (是/否)"


def parse_rows(rows: list[list[str]], path: Path | str) -> list[GuideEntry]:
    """Rows (header first) → entries; GuideImportError lists every bad row and column."""
    from pydantic import ValidationError
    problems: list[str] = []
    if not rows:
        raise GuideImportError([f"{path}: the file is empty"])
    header = [h.strip().lower() for h in rows[0]]
    cols: dict[str, int] = {}
    for field, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in {n.lower() for n in names}:
                if field in cols:  # which of the two would win is a guess: say so instead
                    problems.append(f"{path}: row 1, column {_col(i)} ({rows[0][i]}): the same column as "
                                    f"column {_col(cols[field])} ({rows[0][cols[field]]}); keep one")
                    continue
                cols[field] = i
    known = {n.lower() for names in COLUMNS.values() for n in names}
    for i, h in enumerate(header):
        if h and h not in known:
            problems.append(f"{path}: row 1, column {_col(i)} ({rows[0][i]}): unknown column "
                            f"(columns: {'、'.join(n[0] for n in COLUMNS.values())})")
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in cols]
    if missing:
        raise GuideImportError(problems + [f"{path}: row 1: missing column(s) {'、'.join(missing)}"])

    items: list[tuple[int, dict]] = []
    for r, row in enumerate(rows[1:], start=2):
        cell = {f: (row[i] if i < len(row) else "") for f, i in cols.items()}
        if not any(cell.values()):
            continue

        def bad(field: str, why: str, r=r) -> None:
            i = cols[field]
            problems.append(f"{path}: row {r}, column {_col(i)} ({rows[0][i]}): {why}")

        code = cell["code"] = cell["code"].upper()  # scanners and the kiosk keyboard type upper case
        for field, text in cell.items():
            if any(ord(ch) < 32 and ch not in "\n\r\t" or ord(ch) == 127 for ch in text):
                bad(field, "holds a control character (NUL or another byte that is not text)")
        if not code or (items and code == items[-1][1]["code"]):
            if not items:
                bad("code", "the first item has no 事项编码")
                continue
            item = items[-1][1]
            for field in ("name", "service", "department"):  # x01 below X01 was read as X01's material
                if cell.get(field) and cell[field] != item.get(field):
                    bad(field, f"differs from row {items[-1][0]} of 事项编码 {item['code']}: a new item needs "
                               "its own 事项编码 (codes are read in upper case)")
        else:
            item = {"code": code}
            items.append((r, item))
            for field in ("name", "name_en", "item_code", "service", "department", "zone", "legal_basis",
                          "conditions", "fee", "notes", "reminder", "phone_consult", "phone_supervise"):
                if cell.get(field):
                    item[field] = cell[field]
            if cell.get("windows"):
                numbers = _split_list(cell["windows"])
                if all(re.fullmatch(r"[0-9]{1,4}", x) for x in numbers):  # int() takes ٤ and 1_2
                    item["windows"] = [int(x) for x in numbers]
                else:
                    bad("windows", f"{cell['windows']!r}: window numbers separated by 、 (e.g. 4、5)")
            for field in ("statutory_days", "promised_days"):
                if field in cols:
                    v = _days(cell[field])
                    if isinstance(v, str):
                        bad(field, v)
                    elif v is not None:
                        item[field] = v
            if cell.get("bookable"):
                v = _bool(cell["bookable"])
                bad("bookable", v) if isinstance(v, str) else item.__setitem__("bookable", v)
            if cell.get("steps"):
                item["steps"] = _steps(cell["steps"])
            if cell.get("keywords"):
                item["keywords"] = _split_list(cell["keywords"])
            if cell.get("faqs"):
                v = _faqs(cell["faqs"])
                bad("faqs", v) if isinstance(v, str) else item.__setitem__("faqs", v)
        if cell.get("m_name"):
            m: dict = {"name": cell["m_name"]}
            if cell.get("m_name_en"):
                m["name_en"] = cell["m_name_en"]
            if cell.get("m_form"):
                m["form"] = cell["m_form"]
            if cell.get("m_copies"):
                if re.fullmatch(r"[0-9]{1,4}", cell["m_copies"]):  # isdigit() takes ٣, and ² broke int()
                    m["copies"] = int(cell["m_copies"])
                else:
                    bad("m_copies", f"{cell['m_copies']!r} is not a number of copies")
            if cell.get("m_note"):
                m["note"] = cell["m_note"]
            if cell.get("m_electronic"):
                v = _bool(cell["m_electronic"])
                bad("m_electronic", v) if isinstance(v, str) else m.__setitem__("electronic", v)
            m["_row"] = r
            item.setdefault("materials", []).append(m)
        else:
            for field in ("m_name_en", "m_form", "m_copies", "m_note", "m_electronic"):
                if cell.get(field):
                    bad(field, "a material's detail without its 材料名称")

    entries, seen = [], {}
    for r, item in items:
        if item["code"] in seen:
            problems.append(f"{path}: row {r}, column {_col(cols['code'])} ({rows[0][cols['code']]}): "
                            f"事项编码 {item['code']!r} is used twice (first in row {seen[item['code']]})")
            continue
        seen[item["code"]] = r
        mat_rows = [m.pop("_row") for m in item.get("materials", [])]
        try:
            entries.append(GuideEntry.model_validate(item))
        except ValidationError as e:
            for err in e.errors():
                loc = err["loc"]
                row, field = r, loc[0]
                if loc[0] == "materials" and len(loc) > 2:
                    row, field = mat_rows[loc[1]], "m_" + str(loc[2])
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "missing":
                    msg = "required: this cell is empty"
                if err["type"] == "literal_error" and field == "m_form":
                    msg = f"{err.get('input')!r} is not one of 原件, 复印件, 原件及复印件, 电子版"
                col = cols.get(field)
                where = f"column {_col(col)} ({rows[0][col]})" if col is not None else f"field {field}"
                problems.append(f"{path}: row {row}, {where}: {msg}")
    if not items and not problems:  # with --replace an empty sheet removed every item
        problems.append(f"{path}: the file has no items below its header row")
    if problems:
        raise GuideImportError(problems)
    return entries


def _col(i: int) -> str:
    """0 → A, 26 → AA (the spreadsheet's column letters)."""
    s = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        s = chr(65 + rem) + s
    return s


def check_against_hall(entries: list[GuideEntry], config, path) -> None:
    problems = [f"{path}: item {p}" for p in hall_problems(entries, config)]
    if problems:
        raise GuideImportError(problems)


# -- writing the guide files -------------------------------------------------------------
def _q(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_q(x) for x in v) + "]"
    s = str(v)
    if "\n" in s:
        body = s.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        return '"""\n' + body + '"""'
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


def entry_toml(e: GuideEntry) -> str:
    """An entry as a TOML file a person can edit (defaults left out, tables last)."""
    data = e.model_dump(exclude_defaults=True)
    out = [f"# 办事指南: {e.name}" + ("  (sample text, not a real guide)" if e.sample else ""), ""]
    for key, value in data.items():
        if key in ("materials", "faqs"):
            continue
        out.append(f"{key} = {_q(value)}")
    for m in e.materials:
        out += ["", "[[materials]]"]
        out += [f"{k} = {_q(v)}" for k, v in m.model_dump(exclude_defaults=True).items()]
    for f in e.faqs:
        out += ["", "[[faqs]]", f"q = {_q(f.q)}", f"a = {_q(f.a)}"]
    return "\n".join(out) + "\n"


def write_guide(entries: list[GuideEntry], folder: Path, replace: bool = False) -> dict:
    """Write each entry's file (only when changed); with ``replace`` remove the others.
    All or nothing: every file is first written under a temporary name; only then are
    they renamed, with Ctrl+C and SIGTERM held back, so a stop leaves the old guide whole."""
    import signal
    folder.mkdir(parents=True, exist_ok=True)
    written, unchanged, removed, staged = [], [], [], []
    try:
        for e in entries:
            path = folder / f"{e.code}.toml"
            text = entry_toml(e)
            if path.exists() and path.read_text(encoding="utf-8") == text:
                unchanged.append(e.code)
                continue
            tmp = path.with_suffix(".toml.tmp")
            staged.append((tmp, path))
            tmp.write_text(text, encoding="utf-8")
            written.append(e.code)
    except BaseException:  # a full disk or Ctrl+C: nothing of this import stays
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    keep = {e.code for e in entries}
    gone = [p for p in sorted(folder.glob("*.toml")) if p.stem not in keep] if replace else []
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)  # renames are quick: finish them
    try:
        for tmp, path in staged:
            tmp.replace(path)
        for path in gone:
            path.unlink()
            removed.append(path.stem)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return {"written": written, "unchanged": unchanged, "removed": removed}
