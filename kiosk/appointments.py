"""Appointments from a CSV file (columns code, service, slot, name) into the queue.

The whole file is checked first, then written in ONE transaction: one bad line (or a
kill, or Ctrl-C, mid-import) and nothing is imported; every error names its line and
column (``bookings.csv:7: slot …``). Encodings: UTF-8 with or without a BOM, UTF-16
with a BOM, GBK/GB18030 as Excel saves it on a Chinese Windows PC; anything else is
refused rather than stored garbled (kiosk/csv_text.py). ``service`` is a service code
(A) or its exact name (社会保障); ``slot`` is ``2026-11-23 09:30`` (``T`` or ``/``
accepted). Codes are stored in capitals — scanners and the kiosk's keypad type capitals —
so two codes that differ only in case are the same code.
"""
from __future__ import annotations

import csv
import io
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from config import HallConfig
from config.file_place import place

from .csv_text import UndecodableText, decode_text

COLUMNS = ("code", "service", "slot", "name")
REQUIRED = ("code", "service", "slot")
MAX_ERRORS = 100  # a file wrong on every line says so in 100 lines, not 100,000
MAX_BYTES = 200 * 1024 * 1024
YEARS = (2000, 2099)  # a slot outside these is a typo (0001-01-01), not a booking
_CODE = re.compile(r"^[A-Za-z0-9-]{3,32}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# 2026-11-23 09:30, 2026-11-23T09:30, 2026/11/23 09:30, each with optional :SS (strptime is 10x slower)
_SLOT = re.compile(r"(\d{4})(?:-(\d{1,2})-(\d{1,2})[ T]|/(\d{1,2})/(\d{1,2}) )(\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII)


class AppointmentFileError(ValueError):
    """The CSV cannot be imported; ``errors`` lists every problem as ``file:line: message``."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Appointment:
    code: str
    service: str
    slot: datetime
    name: str
    line: int


def scanned_code(text: str) -> str:
    """The appointment code in what a scanner typed: the code itself, or a booking URL
    (``https://…/check-in?code=YY001`` or ``https://…/a/YY001``) printed as a QR code."""
    text = text.strip()
    if "://" in text or "?" in text:
        from urllib.parse import parse_qs, urlsplit
        parts = urlsplit(text)
        query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
        for key in ("code", "appointment", "id"):
            if query.get(key):
                return query[key][-1].strip().upper()
        segments = [p for p in parts.path.split("/") if p]
        return segments[-1].upper() if segments else ""
    return text.upper()


def read_file(path: Path | str) -> str:
    """The text of a booking file, or AppointmentFileError (never blocks on a pipe or a device)."""
    path = Path(path)
    try:
        kind = _not_a_file(os.stat(path).st_mode)
        if not kind:
            # non-blocking: a pipe put there after the check still cannot hang the import
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
            with os.fdopen(fd, "rb") as f:
                kind = _not_a_file(os.fstat(f.fileno()).st_mode)
                data = b"" if kind else f.read(MAX_BYTES + 1)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        why = getattr(e, 'strerror', None) or e
        raise AppointmentFileError([f"{path}: 读不了这个文件 (cannot read ({why}))"]) from None
    if kind:
        raise AppointmentFileError([f"{path}: 是{_KIND_ZH[kind]}，不是 CSV 文件 (is {kind}, not a CSV file)"])
    if len(data) > MAX_BYTES:
        raise AppointmentFileError([f"{path}: 文件超过 {MAX_BYTES >> 20} MB，是不是选错了文件？ "
                                    f"(the file is over {MAX_BYTES >> 20} MB; is it the right file?)"])
    return decode(data, str(path))


_KIND_ZH = {"a folder": "文件夹", "a named pipe": "命名管道", "a device": "设备"}


def _not_a_file(mode: int) -> str:
    if stat.S_ISREG(mode):
        return ""
    return "a folder" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode) else "a device"


def decode(data: bytes, source: str = "<csv>") -> str:
    """The text of a CSV file's bytes (see kiosk/csv_text.py), or AppointmentFileError with
    the line and column of the first byte that is not text."""
    try:
        return decode_text(data)
    except UndecodableText as e:
        if e.line is None:
            raise AppointmentFileError([f"{source}: {e.zh} ({e.message})"]) from None
        where = _column(e.first_line, e.before)
        raise AppointmentFileError([f"{source}:{e.line}: {where + ': ' if where else ''}{e.zh} ({e.message})"]) from None


def _column(header_line: str, before: str) -> str:
    """``第 4 列（name） (column 4)`` for the field that ``before`` (the line up to a point) ends in."""
    try:
        index = len(next(csv.reader([before]), [""])) - 1 if before else 0
        names = [h.strip().lower() for h in next(csv.reader([header_line]), [])]
    except csv.Error:
        return ""
    name = names[index] if index < len(names) and names[index] in COLUMNS else ""
    return place(column=index + 1, header=name)


def parse_slot(text: str) -> datetime:
    text = text.strip()
    m = _SLOT.fullmatch(text)
    try:
        if not m:
            raise ValueError
        year, month, day = int(m[1]), int(m[2] or m[4]), int(m[3] or m[5])
        slot = datetime(year, month, day, int(m[6]), int(m[7]), int(m[8] or 0))
    except ValueError:
        raise ValueError(f"时段 {text!r} 不是日期和时间，应形如 2026-11-23 09:30 "
                         f"(slot {text!r} is not a date and time like 2026-11-23 09:30)") from None
    if not YEARS[0] <= slot.year <= YEARS[1]:
        raise ValueError(f"时段 {text!r} 不是预约日期：年份须在 {YEARS[0]}-{YEARS[1]} 之间 "
                         f"(slot {text!r} is not a booking date: the year must be {YEARS[0]}-{YEARS[1]})")
    return slot


def _rows(text: str, source: str, errors: list[str]):
    """(first line, cells, last line) of every CSV record; a record the csv module cannot read
    ends the file with an error. Lines end in LF, CRLF or CR alone (old Mac Excel); a header
    with tabs and no comma means tab-separated (Excel's "Unicode text" is UTF-16 and tabs)."""
    header = re.split(r"\r\n|\r|\n", text.lstrip("\r\n"), maxsplit=1)[0]
    tabs = "\t" in header and "," not in header
    reader = csv.reader(io.StringIO(text, newline=None), delimiter="\t" if tabs else ",")
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            why = ("有一格太长：是不是少了一个后引号？ (a field is too long: is a closing quote missing?)"
                   if "field limit" in str(e) else f"不能按 CSV 读 (not readable as CSV ({e}))")
            errors.append(f"{source}:{start}: {why}")
            return
        yield start, row, reader.line_num
        start = reader.line_num + 1


def _header(names: list[str], source: str) -> str | None:
    """What is wrong with the header line, or None."""
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h and h not in COLUMNS]
    twice = sorted({h for h in names if h and names.count(h) > 1})
    what, what_zh = [], []
    if missing:
        what.append(f"missing column(s) {', '.join(missing)}")
        what_zh.append(f"缺少列 {'、'.join(missing)}")
    if unknown:
        what.append(f"unknown column(s) {', '.join(unknown)}")
        what_zh.append(f"不认识的列 {'、'.join(unknown)}")
    for h in twice:
        where = [str(i + 1) for i, n in enumerate(names) if n == h]
        what.append(f"column {h} is there twice (columns {' and '.join(where)})")
        what_zh.append(f"列 {h} 出现了两次（第 {' 和 '.join(where)} 列）")
    if not what:
        return None
    return (f"{source}:1: {'；'.join(what_zh)}，表头应为 {','.join(COLUMNS)} "
            f"({'; '.join(what)} (expected {','.join(COLUMNS)}))")


def _cell_problem(cell: str, last_line: int) -> str | None:
    if "\n" in cell:
        return (f"引号没有关上：这一格一直延续到第 {last_line} 行（请补上引号；格内的引号要写两次 \"\"） "
                f"(a quote is not closed: the field runs on to line {last_line} "
                "(close the quote; a quote inside a field is written twice, \"\"))")
    m = _CONTROL.search(cell)
    if m:
        what, what_zh = ("a NUL byte", "空字节") if m.group() == "\x00" else ("a control character", "控制字符")
        return (f"第 {m.start() + 1} 个字符是{what_zh}（U+{ord(m.group()):04X}）：这真的是 CSV 文本文件吗？ "
                f"(contains {what} (U+{ord(m.group()):04X}) at character {m.start() + 1}: "
                "is this really a CSV text file?)")
    return None


def parse_appointments(text: str, config: HallConfig, source: str = "<csv>") -> list[Appointment]:
    """Every row of the CSV as an :class:`Appointment`, or AppointmentFileError listing all errors."""
    errors: list[str] = []
    rows = _rows(text, source, errors)
    first = next(rows, None)
    if first is None:
        raise AppointmentFileError(errors or [f"{source}: 文件是空的，第一行应是表头 {','.join(COLUMNS)} "
                                              f"(the file is empty (expected a header line: {','.join(COLUMNS)}))"])
    _, header, last = first
    names = [h.strip().lower() for h in header]
    for i, cell in enumerate(header):
        problem = _cell_problem(cell, last)
        if problem:
            raise AppointmentFileError([f"{source}:1: {place(column=i + 1)}: {problem}"])
    problem = _header(names, source)
    if problem:
        raise AppointmentFileError([problem])
    by_name = {s.name: s.code for s in config.services}
    codes = {s.code for s in config.services}
    suspect = '"' in text or _CONTROL.search(text) is not None  # else no cell can have a problem
    seen: dict[str, tuple[int, str]] = {}
    out = []
    for line, row, last in rows:
        if len(errors) >= MAX_ERRORS:
            errors.append(f"{source}: 发现 {MAX_ERRORS} 处问题后停止检查；请改正这些后再检查 "
                          f"(stopped after {MAX_ERRORS} problems; fix these and check again)")
            break
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            errors.append(f"{source}:{line}: 这一行有 {len(row)} 格，表头只有 {len(names)} 格 "
                          f"({len(row)} fields, the header has {len(names)})")
            continue
        cell_problems = [f"{source}:{line}: {names[i] or place(column=i + 1)}: {p}" for i, cell in enumerate(row)
                         if suspect and (p := _cell_problem(cell, last))]
        if cell_problems:
            errors.extend(cell_problems)
            continue
        rec = {n: (row[i].strip() if i < len(row) else "") for i, n in enumerate(names)}
        problems = []
        typed = rec.get("code", "")
        code = typed.upper()
        if not typed:
            problems.append("预约码是空的 (code is empty)")
        elif not _CODE.match(typed):
            problems.append(f"预约码 {typed!r} 须为 3-32 个字母、数字或 '-' (code {typed!r} must be 3-32 letters, "
                            "digits or '-')")
        elif code in seen:
            first_line, first_typed = seen[code]
            same = typed == first_typed
            problems.append(f"预约码 {typed} 在第 {first_line} 行已有"
                            + ("" if same else f"（写作 {first_typed}：预约码按大写读，扫码枪和键盘输入的都是大写）")
                            + f" (code {typed} is already on line {first_line}"
                            + ("" if same else f" as {first_typed} (codes are read in capitals, as scanners and "
                                               "the keypad type them)") + ")")
        service = rec.get("service", "")
        svc = service.upper() if service.upper() in codes else by_name.get(service)
        if svc is None:
            problems.append(f"业务 {service!r} 不是本大厅的业务代码或名称（{'、'.join(sorted(codes))}） "
                            f"(service {service!r} is not a service code or name of this hall "
                            f"({', '.join(sorted(codes))}))")
        slot = None
        try:
            slot = parse_slot(rec.get("slot", ""))
        except ValueError as e:
            problems.append(str(e))
        if problems:
            errors.extend(f"{source}:{line}: {p}" for p in problems)
            continue
        seen[code] = (line, typed)
        out.append(Appointment(code, svc, slot, rec.get("name", ""), line))
    if errors:
        raise AppointmentFileError(errors)
    return out


def import_file(path: Path | str, queue) -> list[Appointment]:
    """Check the whole file, then add every appointment in one transaction (nothing on any
    error, nothing if the process dies or is interrupted before the commit)."""
    appointments = parse_appointments(read_file(path), queue.config, str(path))
    queue.add_appointments((a.code, a.service, a.slot, a.name) for a in appointments)
    return appointments
