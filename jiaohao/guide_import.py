"""`jiaohao guide import`: the 办事指南 spreadsheet a hall already keeps → guide files.

One sheet (the first; ``--sheet`` names another), a header row, then one row per
material: an item's first row holds its fields, the rows below it with the same
事项编码, or with that cell empty (merged cells in Excel), add materials. Headers are
matched by name in Chinese or English (:data:`COLUMNS`); order does not matter. Steps
are one per line in their cell; keywords separated by 、 , ; or spaces; FAQ lines start
问/Q and 答/A. The whole file is checked first; every bad row and column is named and
nothing is written unless all rows are good. Then each item becomes ``<code>.toml`` in
the guide folder (items not in the file are kept; ``--replace`` removes them). The file's
cells are read by jiaohao/guide_sheet.py; every refusal is ``中文 (English)`` after the
file and the place (config/file_place.py: ``第 4 行 L 列（份数） (row 4, column L)``).
"""
from __future__ import annotations

import re
from pathlib import Path

from config.file_place import place
from config.guide import GuideEntry, hall_problems

from .guide_sheet import GuideImportError, column_letter as _col, days, faqs, read_rows, split_list, steps, yes_no

__all__ = ["COLUMNS", "GuideImportError", "check_against_hall", "entry_toml", "parse_rows", "read_rows",
           "write_guide"]

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
def parse_rows(rows: list[list[str]], path: Path | str) -> list[GuideEntry]:
    """Rows (header first) → entries; GuideImportError lists every bad row and column."""
    from pydantic import ValidationError
    problems: list[str] = []
    if not rows:
        raise GuideImportError([f"{path}: 文件是空的 (the file is empty)"])
    header = [h.strip().lower() for h in rows[0]]

    def cell_at(r: int, i: int) -> str:  # 第 4 行 L 列（份数） (row 4, column L)
        return place(row=r, column=_col(i), header=rows[0][i])

    cols: dict[str, int] = {}
    for field, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in {n.lower() for n in names}:
                if field in cols:  # which of the two would win is a guess: say so instead
                    c0, h0 = _col(cols[field]), rows[0][cols[field]]
                    problems.append(f"{path}: {cell_at(1, i)}: 与 {c0} 列（{h0}）是同一列，"
                                    f"请只留一列 (the same column as column {c0} ({h0}); keep one)")
                    continue
                cols[field] = i
    known = {n.lower() for names in COLUMNS.values() for n in names}
    for i, h in enumerate(header):
        if h and h not in known:
            problems.append(f"{path}: {cell_at(1, i)}: 不认识的列（认识的列："
                            f"{'、'.join(n[0] for n in COLUMNS.values())}） (unknown column: not one of those)")
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in cols]
    if missing:
        raise GuideImportError(problems + [f"{path}: {place(row=1)}: 缺少列 {'、'.join(missing)} "
                                           f"(missing column(s) {'、'.join(missing)})"])

    items: list[tuple[int, dict]] = []
    for r, row in enumerate(rows[1:], start=2):
        cell = {f: (row[i] if i < len(row) else "") for f, i in cols.items()}
        if not any(cell.values()):
            continue

        def bad(field: str, why: str, r=r) -> None:
            problems.append(f"{path}: {cell_at(r, cols[field])}: {why}")

        code = cell["code"] = cell["code"].upper()  # scanners and the kiosk keyboard type upper case
        for field, text in cell.items():
            if any(ord(ch) < 32 and ch not in "\n\r\t" or ord(ch) == 127 for ch in text):
                bad(field, "含有控制字符（空字节或别的不是文字的字节） "
                           "(holds a control character (NUL or another byte that is not text))")
        if not code or (items and code == items[-1][1]["code"]):
            if not items:
                bad("code", "第一个事项没有事项编码 (the first item has no 事项编码)")
                continue
            item = items[-1][1]
            for field in ("name", "service", "department"):  # x01 below X01 was read as X01's material
                if cell.get(field) and cell[field] != item.get(field):
                    r0, c0 = items[-1][0], item["code"]
                    bad(field, f"与第 {r0} 行（事项编码 {c0}）的不同：新的事项要有自己的事项编码（编码按大写读） "
                               f"(differs from row {r0} of 事项编码 {c0}: a new item needs its own 事项编码 "
                               "(codes are read in upper case))")
        else:
            item = {"code": code}
            items.append((r, item))
            for field in ("name", "name_en", "item_code", "service", "department", "zone", "legal_basis",
                          "conditions", "fee", "notes", "reminder", "phone_consult", "phone_supervise"):
                if cell.get(field):
                    item[field] = cell[field]
            if cell.get("windows"):
                numbers = split_list(cell["windows"])
                if all(re.fullmatch(r"[0-9]{1,4}", x) for x in numbers):  # int() takes ٤ and 1_2
                    item["windows"] = [int(x) for x in numbers]
                else:
                    w = cell["windows"]
                    bad("windows", f"{w!r}：窗口号用 、 隔开（如 4、5） ({w!r}: window numbers separated by 、 (e.g. 4、5))")
            for field in ("statutory_days", "promised_days"):
                if field in cols:
                    v = days(cell[field])
                    if isinstance(v, str):
                        bad(field, v)
                    elif v is not None:
                        item[field] = v
            if cell.get("bookable"):
                v = yes_no(cell["bookable"])
                bad("bookable", v) if isinstance(v, str) else item.__setitem__("bookable", v)
            if cell.get("steps"):
                item["steps"] = steps(cell["steps"])
            if cell.get("keywords"):
                item["keywords"] = split_list(cell["keywords"])
            if cell.get("faqs"):
                v = faqs(cell["faqs"])
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
                    bad("m_copies", f"{cell['m_copies']!r} 不是份数 ({cell['m_copies']!r} is not a number of copies)")
            if cell.get("m_note"):
                m["note"] = cell["m_note"]
            if cell.get("m_electronic"):
                v = yes_no(cell["m_electronic"])
                bad("m_electronic", v) if isinstance(v, str) else m.__setitem__("electronic", v)
            m["_row"] = r
            item.setdefault("materials", []).append(m)
        else:
            for field in ("m_name_en", "m_form", "m_copies", "m_note", "m_electronic"):
                if cell.get(field):
                    bad(field, "有材料的说明却没有材料名称 (a material's detail without its 材料名称)")

    entries, seen = [], {}
    for r, item in items:
        if item["code"] in seen:
            code, first = item["code"], seen[item["code"]]
            problems.append(f"{path}: {cell_at(r, cols['code'])}: "
                            f"事项编码 {code!r} 用了两次（第一次在第 {first} 行） "
                            f"(事项编码 {code!r} is used twice (first in row {first}))")
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
                msg = _why(err, loc, field)
                col = cols.get(field)
                where = cell_at(row, col) if col is not None else place(row=row, field=field)
                problems.append(f"{path}: {where}: {msg}")
    if not items and not problems:  # with --replace an empty sheet removed every item
        problems.append(f"{path}: 表头下面没有事项 (the file has no items below its header row)")
    if problems:
        raise GuideImportError(problems)
    return entries


def _why(err: dict, loc: tuple, field: str) -> str:
    """One of pydantic's errors as ``中文 (English)``: the cell's own words where a clerk
    needs them, else config/loader.py's wording of pydantic's errors."""
    from config.loader import _plain
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        return "必填：这一格是空的 (required: this cell is empty)"
    if kind == "literal_error" and field == "m_form":
        forms = ("原件", "复印件", "原件及复印件", "电子版")
        return f"{value!r} 不是 {'、'.join(forms)} 之一 ({value!r} is not one of {', '.join(forms)})"
    if kind == "string_pattern_mismatch" and field == "code":
        return (f"{value!r} 不能作事项编码：只能用字母、数字、- 和 _，以字母或数字开头，最多 40 个 "
                f"({value!r} is not an item code: letters, digits, - and _, starting with a letter or digit, "
                "at most 40)")
    en, zh = _plain(kind, err["msg"], loc, value, err.get("ctx") or {})
    return f"{zh} ({en})" if zh else en


def check_against_hall(entries: list[GuideEntry], config, path) -> None:
    problems = [f"{path}: {p}" for p in hall_problems(entries, config)]
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
