"""Where in a file a problem is, in words, Chinese first: ``第 4 行 L 列（份数） (row 4, column L)``.

The imports' lines are ``FILE: PLACE: 中文 (English)`` (the guide's spreadsheet) or
``FILE:LINE: PLACE: …`` (the appointment CSV); :func:`place` writes every PLACE that is
words, for the technicians who read them. Standard library only.
"""
from __future__ import annotations


def place(*, row: int | None = None, column: int | str | None = None, header: str = "",
          field: str = "", item: str = "") -> str:
    """``第 4 行 L 列（份数） (row 4, column L)``. ``column``: a spreadsheet's letter (``"L"``,
    said ``L 列``) or a number counted from 1 (``4``, said ``第 4 列``); ``header``: the
    column's heading as the file has it, said once, in the Chinese part; ``field``: a
    field no column of the file holds; ``item``: a guide item's code."""
    zh: list[str] = []
    en: list[str] = []
    if item:
        zh.append(f"事项 {item}")
        en.append(f"item {item}")
    if row is not None:
        zh.append(f"第 {row} 行")
        en.append(f"row {row}")
    if column is not None:
        zh.append((f"第 {column} 列" if isinstance(column, int) else f"{column} 列")
                  + (f"（{header}）" if header else ""))
        en.append(f"column {column}")
    if field:
        zh.append(f"{field} 字段")
        en.append(f"field {field}")
    return f"{' '.join(zh)} ({', '.join(en)})"
