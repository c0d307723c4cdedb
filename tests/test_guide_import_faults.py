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


def edited(change) -> list[list[str]]:
    rows = [r[:] for r in GOOD]
    change(rows)
    return rows


def dup_column(rows):
    rows[0].append(rows[0][1])
    for r in rows[1:]:
        r.append("别的名称")


BAD = [
    ("unterminated-quote", csv_bytes(GOOD).replace(b",\xe7\xbb\x93\xe5\xa9\x9a", b',"\xe7\xbb\x93\xe5\xa9\x9a'),
     ':7: a quote (") opens a cell that is never closed'),
    ("nul-byte", csv_bytes(GOOD).replace("结婚登记".encode(), "结婚\x00登记".encode()),
     "row 5, column B (事项名称): holds a control character"),
    ("duplicated-column", csv_bytes(edited(dup_column)), "row 1, column N (事项名称): the same column as column B"),
    ("codes-differing-in-case", csv_bytes(edited(lambda rows: rows[4].__setitem__(0, "x01"))),
     "row 5, column C (取号业务): differs from row 2 of 事项编码 X01"),
    ("arabic-indic-copies", csv_bytes(edited(lambda rows: rows[1].__setitem__(11, "٣"))),
     "row 2, column L (份数): '٣' is not a number of copies"),
    ("superscript-copies", csv_bytes(edited(lambda rows: rows[1].__setitem__(11, "²"))),
     "row 2, column L (份数): '²' is not a number of copies"),
    ("header-only", csv_bytes(GOOD[:1]), "the file has no items below its header row"),
]


@pytest.mark.parametrize("data, words", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_bad_file_is_refused_in_words_and_nothing_is_written(hall_file, data, words):
    src = hall_file.parent / "guide.csv"
    src.write_bytes(data)
    p = guide_import_cmd(hall_file, src, "--replace")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert words in p.stderr and p.stderr.rstrip().endswith("nothing imported"), p.stderr
    assert guide_files(hall_file) == []


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
