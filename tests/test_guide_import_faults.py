"""`jiaohao guide import` with the files a hall really sends: CR-only line ends, an
unterminated quote, NUL bytes, a duplicated column, lower-case codes, digits that are
not ASCII, a header with no items, and a stop mid-write. Each is one clear line per
problem and exit 2 with nothing written, or (lower case, CR) imported correctly."""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import DEMO_HALL
from jiaohao import guide_import
from jiaohao.guide_import import parse_rows, write_guide

from .test_guide_data import GOOD

ROOT = Path(__file__).resolve().parents[1]


def csv_bytes(rows, line_end: str = "\r\n") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=line_end).writerows(rows)
    return buf.getvalue().encode("utf-8")


@pytest.fixture
def hall_file(tmp_path):
    shutil.copy(DEMO_HALL, tmp_path / "demo.toml")
    return tmp_path / "demo.toml"


def guide_import_cmd(hall_file: Path, src: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "JIAOHAO_DB": str(hall_file.parent / "h.sqlite"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "jiaohao", "--config", str(hall_file), "guide", "import", str(src),
                           *extra], capture_output=True, text=True, timeout=60, env=env, cwd=hall_file.parent)


def guide_files(hall_file: Path) -> list[str]:
    folder = hall_file.parent / "demo" / "guide"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _zip_of_text() -> bytes:
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("guide.txt", "not a workbook")
    return buf.getvalue()


def edited(change) -> list[list[str]]:
    rows = [r[:] for r in GOOD]
    change(rows)
    return rows


def dup_column(rows):
    rows[0].append(rows[0][1])
    for r in rows[1:]:
        r.append("别的名称")


SAVE_AS = "save it as UTF-8 (Excel: File › Save As › CSV UTF-8 (Comma delimited))"
SAVE_AS_ZH = "请另存为 UTF-8（Excel：文件 › 另存为 › CSV UTF-8（逗号分隔））"


def with_column(header: str, value: str) -> list[list[str]]:
    """GOOD with one more column, ``value`` in X02's row."""
    return [GOOD[0] + [header]] + [r + [""] for r in GOOD[1:4]] + [GOOD[4] + [value]]


def xlsx_bytes(rows) -> bytes:
    import openpyxl
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# id, the file's name, its bytes, the one line the import prints for it, Chinese first
# (FILE stands for the file's path); after it the count, and nothing is written
BAD = [
    ("unterminated-quote", "guide.csv",
     csv_bytes(GOOD).replace(b",\xe7\xbb\x93\xe5\xa9\x9a", b',"\xe7\xbb\x93\xe5\xa9\x9a'),
     'FILE:7: 这一行的引号（"）开始了一格，却一直没有关上（格内的引号要写两次 ""） '
     '(a quote (") opens a cell that is never closed)'),
    ("nul-byte", "guide.csv", csv_bytes(GOOD).replace("结婚登记".encode(), "结婚\x00登记".encode()),
     "FILE: 第 5 行 B 列（事项名称） (row 5, column B): 含有控制字符（空字节或别的不是文字的字节） "
     "(holds a control character (NUL or another byte that is not text))"),
    ("duplicated-column", "guide.csv", csv_bytes(edited(dup_column)),
     "FILE: 第 1 行 N 列（事项名称） (row 1, column N): 与 B 列（事项名称）是同一列，请只留一列 "
     "(the same column as column B (事项名称); keep one)"),
    ("unknown-column", "guide.csv", csv_bytes(with_column("备注栏", "")),
     "FILE: 第 1 行 N 列（备注栏） (row 1, column N): 不认识的列（认识的列：事项编码、事项名称、英文名称、国家事项编码、取号业务、"
     "实施部门、专区、窗口、设定依据、申请条件、办理流程、法定时限、承诺时限、收费标准、注意事项、票面提示、咨询电话、"
     "监督电话、可预约、关键词、常见问题、材料名称、材料英文名称、材料形式、份数、材料说明、电子证照） "
     "(unknown column: not one of those)"),
    ("missing-columns", "guide.csv", csv_bytes([["名称", "部门"], ["结婚登记", "民政"]]),
     "FILE: 第 1 行 (row 1): 缺少列 事项编码、取号业务 (missing column(s) 事项编码、取号业务)"),
    ("arabic-indic-copies", "guide.csv", csv_bytes(edited(lambda rows: rows[1].__setitem__(11, "٣"))),
     "FILE: 第 2 行 L 列（份数） (row 2, column L): '٣' 不是份数 ('٣' is not a number of copies)"),
    ("superscript-copies", "guide.csv", csv_bytes(edited(lambda rows: rows[1].__setitem__(11, "²"))),
     "FILE: 第 2 行 L 列（份数） (row 2, column L): '²' 不是份数 ('²' is not a number of copies)"),
    ("copies-over-99", "guide.csv", csv_bytes(edited(lambda rows: rows[3].__setitem__(11, "100"))),
     "FILE: 第 4 行 L 列（份数） (row 4, column L): 须不大于 99 (Input should be less than or equal to 99)"),
    ("days-in-words", "guide.csv", csv_bytes(edited(lambda rows: rows[1].__setitem__(4, "三天"))),
     "FILE: 第 2 行 E 列（承诺时限） (row 2, column E): '三天' 不是以工作日计的时限（如 5、5个工作日 或 即办） "
     "('三天' is not a time limit in working days (e.g. 5, 5个工作日 or 即办))"),
    ("yes-or-no", "guide.csv", csv_bytes(edited(lambda rows: rows[1].__setitem__(12, "也许"))),
     "FILE: 第 2 行 M 列（电子证照） (row 2, column M): '也许' 应填“是”或“否” ('也许' is not yes or no (是/否))"),
    ("not-a-form", "guide.csv", csv_bytes(edited(lambda rows: rows[2].__setitem__(10, "扫描件"))),
     "FILE: 第 3 行 K 列（材料形式） (row 3, column K): '扫描件' 不是 原件、复印件、原件及复印件、电子版 之一 "
     "('扫描件' is not one of 原件, 复印件, 原件及复印件, 电子版)"),
    ("empty-name", "guide.csv", csv_bytes(edited(lambda rows: rows[4].__setitem__(1, ""))),
     "FILE: 第 5 行 B 列（事项名称） (row 5, column B): 必填：这一格是空的 (required: this cell is empty)"),
    ("name-too-long", "guide.csv", csv_bytes(edited(lambda rows: rows[4].__setitem__(1, "长" * 101))),
     "FILE: 第 5 行 B 列（事项名称） (row 5, column B): 最多 100 个字符 (String should have at most 100 characters)"),
    ("code-with-a-space", "guide.csv", csv_bytes(edited(lambda rows: rows[4].__setitem__(0, "X 02"))),
     "FILE: 第 5 行 A 列（事项编码） (row 5, column A): 'X 02' 不能作事项编码：只能用字母、数字、- 和 _，以字母或数字开头，最多 40 个 "
     "('X 02' is not an item code: letters, digits, - and _, starting with a letter or digit, at most 40)"),
    ("first-item-without-code", "guide.csv", csv_bytes([GOOD[0], [""] + GOOD[1][1:]]),
     "FILE: 第 2 行 A 列（事项编码） (row 2, column A): 第一个事项没有事项编码 (the first item has no 事项编码)"),
    ("duplicate-item-code", "guide.csv", csv_bytes(GOOD + [["X01", "重复", "A"] + [""] * 10]),
     "FILE: 第 6 行 A 列（事项编码） (row 6, column A): 事项编码 'X01' 用了两次（第一次在第 2 行） "
     "(事项编码 'X01' is used twice (first in row 2))"),
    ("detail-without-material", "guide.csv", csv_bytes(GOOD + [["X03", "x", "A"] + [""] * 7 + ["原件", "", ""]]),
     "FILE: 第 6 行 K 列（材料形式） (row 6, column K): 有材料的说明却没有材料名称 (a material's detail without its 材料名称)"),
    ("not-a-phone", "guide.csv", csv_bytes(with_column("咨询电话", "找王科长")),
     "FILE: 第 5 行 N 列（咨询电话） (row 5, column N): '找王科长' 不是电话号码（数字、- 和空格，如 0551-12345678） "
     "('找王科长' is not a telephone number (digits, - and spaces, e.g. 0551-12345678))"),
    ("windows-in-words", "guide.csv", csv_bytes(with_column("窗口", "四号")),
     "FILE: 第 5 行 N 列（窗口） (row 5, column N): '四号'：窗口号用 、 隔开（如 4、5） ('四号': window numbers separated by 、 (e.g. 4、5))"),
    ("question-without-answer", "guide.csv", csv_bytes(with_column("常见问题", "问：可以代办吗")),
     "FILE: 第 5 行 N 列（常见问题） (row 5, column N): 问题 '可以代办吗' 没有回答（以“答”开头的一行） "
     "(the question '可以代办吗' has no answer (a line starting with 答))"),
    ("faq-line-neither", "guide.csv", csv_bytes(with_column("常见问题", "随便写")),
     "FILE: 第 5 行 N 列（常见问题） (row 5, column N): '随便写' 这一行：问题以“问”开头，回答以“答”开头 "
     "(line '随便写': each question starts with 问 and its answer with 答)"),
    ("unknown-service", "guide.csv", csv_bytes(edited(lambda rows: rows[4].__setitem__(2, "Q"))),
     "FILE: 事项 X02 (item X02): service: 本大厅没有业务 'Q'（本大厅的业务：A、B、C、D、E、F、G、H） "
     "(unknown service 'Q' (the hall's services: A, B, C, D, E, F, G, H))"),
    ("unknown-window", "guide.csv", csv_bytes(with_column("窗口", "99")),
     "FILE: 事项 X02 (item X02): windows: 本大厅没有 99 号窗口 (the hall has no window 99)"),
    ("header-only", "guide.csv", csv_bytes(GOOD[:1]),
     "FILE: 表头下面没有事项 (the file has no items below its header row)"),
    ("empty", "guide.csv", b"", "FILE: 文件是空的 (the file is empty)"),
    # encodings and files that are not spreadsheet text (kiosk/csv_text.py's words, as the appointments')
    ("utf16-without-bom", "guide.csv", csv_bytes(GOOD).decode().encode("utf-16-le"),
     f"FILE: 这像是没有字节顺序标记（BOM）的 UTF-16 文本；{SAVE_AS_ZH} "
     f"(this looks like UTF-16 text without its byte-order mark; {SAVE_AS})"),
    # line 8: the steps cell holds two line ends
    ("utf16-bom-truncated", "guide.csv", csv_bytes(GOOD).decode().encode("utf-16")[:-1],
     f"FILE:8: 文件标明是 UTF-16，这里却不是有效的 UTF-16；{SAVE_AS_ZH} "
     f"(the file says it is UTF-16 but is not valid UTF-16 here; {SAVE_AS})"),
    ("not-gbk", "guide.csv", csv_bytes(GOOD).decode().encode("gbk").replace("结婚".encode("gbk"), b"\x81\x20"),
     "FILE:7: 字节 81 20 既不是 UTF-8 也不是 GBK/GB18030（是 Big5、Shift-JIS，还是根本不是文本？）；"
     f"{SAVE_AS_ZH} (the bytes 81 20 are neither UTF-8 nor GBK/GB18030 (is it Big5, Shift-JIS or "
     f"not text at all?); {SAVE_AS})"),
    ("big5", "guide.csv", "事項編碼,事項名稱,取號業務\nX01,結婚登記,H\n".encode("big5"),
     "FILE:1: 文件不是 UTF-8，按 GBK 读出来是 'ㄆ兜絪絏'，不是中文：可能是 Big5（繁体中文）或 Shift-JIS（日文）；"
     f"{SAVE_AS_ZH} (the file is not UTF-8, and read as GBK it gives 'ㄆ兜絪絏', which is no Chinese text: "
     f"it may be Big5 (Traditional Chinese) or Shift-JIS (Japanese); {SAVE_AS})"),
    ("png", "guide.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
     f"FILE: 这是PNG 图片，不是 CSV 文本；{SAVE_AS_ZH} (this is a PNG image, not CSV text; {SAVE_AS})"),
    ("xlsx-named-csv", "guide.csv", xlsx_bytes(GOOD),
     "FILE: 这是 Excel 工作簿（.xlsx）或别的 ZIP 压缩包，不是 CSV 文本：如果是工作簿，请把文件名改为 .xlsx "
     "(this is an Excel workbook (.xlsx) or another ZIP archive, not CSV text: if it is a workbook, name it .xlsx)"),
    ("csv-named-xlsx", "guide.xlsx", csv_bytes(GOOD),
     "FILE: 这是文本文件，不是 Excel 工作簿（.xlsx）：如果它是 CSV，请把文件名改为 .csv "
     "(this is a text file, not an Excel workbook (.xlsx): if it is CSV, name it .csv)"),
    ("png-named-xlsx", "guide.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     "FILE: 这是PNG 图片，不是 Excel 工作簿（.xlsx） (this is a PNG image, not an Excel workbook (.xlsx))"),
    ("zip-not-a-workbook", "guide.xlsx", _zip_of_text(),
     "FILE: 打不开这个 Excel 工作簿：文件损坏了，或不是 .xlsx；请用 Excel 或 WPS 打开，另存为 .xlsx "
     "(not a readable Excel workbook (KeyError: \"There is no item named '[Content_Types].xml' in the archive\"))"),
    ("old-xls", "guide.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
     "FILE: 这是旧版 Excel 文件（.xls）：请用 Excel 或 WPS 打开，另存为 .xlsx "
     "(an old Excel file (.xls): open it in Excel or WPS and save as .xlsx)"),
]


@pytest.mark.parametrize("name, data, line", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_bad_file_is_refused_in_words_and_nothing_is_written(hall_file, name, data, line):
    src = hall_file.parent / name
    src.write_bytes(data)
    p = guide_import_cmd(hall_file, src, "--replace")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr == line.replace("FILE", str(src)) + "\n1 处问题，未导入任何事项 (1 problem(s), nothing imported)\n"
    assert guide_files(hall_file) == []


def test_codes_differing_in_case_name_each_cell_that_differs(hall_file):
    src = hall_file.parent / "guide.csv"
    src.write_bytes(csv_bytes(edited(lambda rows: rows[4].__setitem__(0, "x01"))))
    p = guide_import_cmd(hall_file, src)
    assert p.returncode == 2, p.stderr
    assert p.stderr.splitlines() == [
        f"{src}: 第 5 行 {col} (row 5, column {col[0]}): 与第 2 行（事项编码 X01）的不同：新的事项要有自己的事项编码（编码按大写读） "
        "(differs from row 2 of 事项编码 X01: a new item needs its own 事项编码 (codes are read in upper case))"
        for col in ("B 列（事项名称）", "C 列（取号业务）", "D 列（实施部门）")] + ["3 处问题，未导入任何事项 (3 problem(s), nothing imported)"]
    assert guide_files(hall_file) == []


def test_the_good_file_is_checked_then_imported_in_both_languages(hall_file):
    src = hall_file.parent / "guide.csv"
    src.write_bytes(csv_bytes(GOOD))
    p = guide_import_cmd(hall_file, src, "--check")
    assert p.returncode == 0 and p.stdout == "已检查 2 个事项，全部无误（未写入） (checked 2 item(s): all good (nothing written))\n"
    folder = hall_file.parent / "demo" / "guide"
    p = guide_import_cmd(hall_file, src, "--replace")
    assert p.returncode == 0 and p.stdout == (f"已导入 2 个事项到 {folder}：写入 2 个，未变 0 个，删除 0 个 (imported 2 "
                                              f"item(s) into {folder}: 2 written, 0 unchanged, 0 removed)\n")
    assert guide_files(hall_file) == ["X01.toml", "X02.toml"]


def test_a_folder_is_not_a_spreadsheet(hall_file):
    p = guide_import_cmd(hall_file, hall_file.parent)
    assert p.returncode == 2 and p.stderr == (f"jiaohao: {hall_file.parent}: 是文件夹，请给出 .xlsx 或 .csv 文件 "
                                              "(is a folder: give an .xlsx or .csv file)\n"), p.stderr


def test_cr_only_line_ends_import(hall_file):
    """Old Mac exports end lines with CR alone: the csv module raised a traceback."""
    src = hall_file.parent / "guide.csv"
    src.write_bytes(csv_bytes(GOOD).replace(b"\r\n", b"\r"))  # the quoted steps cell keeps its \n
    p = guide_import_cmd(hall_file, src)
    assert p.returncode == 0, p.stderr
    assert guide_files(hall_file) == ["X01.toml", "X02.toml"]


def test_lower_case_codes_are_upper_cased():
    rows = edited(lambda rows: (rows[1].__setitem__(0, "x01"), rows[3].__setitem__(0, "x01")))
    entries = parse_rows(rows, "g.csv")
    assert [e.code for e in entries] == ["X01", "X02"] and len(entries[0].materials) == 3


def test_a_stop_while_writing_leaves_the_old_guide_whole(tmp_path, monkeypatch):
    entries = parse_rows(GOOD, "g.csv")
    folder = tmp_path / "guide"
    write_guide(entries[:1], folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real, calls = guide_import.entry_toml, []

    def stopped(e):  # Ctrl+C after the first file of the new import was written
        calls.append(e.code)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(e).replace("二手房", "二手房（新）")

    monkeypatch.setattr(guide_import, "entry_toml", stopped)
    with pytest.raises(KeyboardInterrupt):
        write_guide(entries, folder, replace=True)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no .tmp left, X01 unchanged


def test_a_guide_file_nested_thousands_deep_is_one_line(hall_file):
    """A damaged or hostile guide file: the TOML parser's recursion was a traceback."""
    folder = hall_file.parent / "demo" / "guide"
    folder.mkdir(parents=True)
    good = (Path(DEMO_HALL).parent / "demo" / "guide" / "A01.toml").read_text(encoding="utf-8")
    (folder / "A01.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n" + good, encoding="utf-8")
    env = {**os.environ, "JIAOHAO_DB": str(hall_file.parent / "h.sqlite"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    p = subprocess.run([sys.executable, "-m", "jiaohao", "--config", str(hall_file), "guide", "check"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 2 and p.stderr == (f"{folder / 'A01.toml'}:1: x: 列表或表嵌套超过 64 层；办事指南文件最多"
                                              "只要两层 (lists or tables nested more than 64 deep; a guide file "
                                              "needs two levels at most)\n"), p.stderr


def test_a_sheet_the_workbook_does_not_have_is_named_with_those_it_has(hall_file):
    src = hall_file.parent / "guide.xlsx"
    src.write_bytes(xlsx_bytes(GOOD))
    p = guide_import_cmd(hall_file, src, "--sheet", "表2")
    assert p.returncode == 2 and p.stderr == (f"{src}: 没有名为 '表2' 的工作表（工作表有：Sheet） (no sheet '表2' "
                                              "(sheets: Sheet))\n1 处问题，未导入任何事项 (1 problem(s), nothing imported)\n")


def test_over_50_problems_shows_50_and_counts_the_rest(hall_file):
    src = hall_file.parent / "guide.csv"
    src.write_bytes(csv_bytes([GOOD[0]] + [[f"Y{i}", "x", "A", "", "三天"] + [""] * 8 for i in range(60)]))
    p = guide_import_cmd(hall_file, src)
    lines = p.stderr.splitlines()
    assert p.returncode == 2 and len(lines) == 51, p.stderr
    assert lines[-1] == "60 处问题（另有 10 处未列出），未导入任何事项 (60 problem(s) (10 more not shown), nothing imported)"
