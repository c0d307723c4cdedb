"""config/file_place.py: the one writer of a place in a file, Chinese first, for every
import line a technician reads (the guide's spreadsheet, the appointment CSV)."""
from __future__ import annotations

import pytest

from config.file_place import place


@pytest.mark.parametrize("kw, words", [
    (dict(row=4, column="L", header="份数"), "第 4 行 L 列（份数） (row 4, column L)"),
    (dict(row=1, column="AA", header="备注栏"), "第 1 行 AA 列（备注栏） (row 1, column AA)"),
    (dict(row=1), "第 1 行 (row 1)"),
    (dict(column=4, header="name"), "第 4 列（name） (column 4)"),
    (dict(column=4), "第 4 列 (column 4)"),
    (dict(row=7, field="materials"), "第 7 行 materials 字段 (row 7, field materials)"),
    (dict(item="X02"), "事项 X02 (item X02)"),
])
def test_a_place_is_said_in_chinese_then_in_english_in_brackets(kw, words):
    assert place(**kw) == words
