"""Appointments from a CSV file (columns code, service, slot, name) into the queue.

The file is checked completely before anything is written: one bad line and nothing
is imported, and every error names its line (``bookings.csv:7: slot …``). Files
saved by Excel on a Chinese Windows PC come as GBK, others as UTF-8 with or without a
BOM: both are read. ``service`` is a service code (A) or its exact name (社会保障);
``slot`` is ``2026-11-23 09:30`` (``T`` or ``/`` separators accepted).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from config import HallConfig

COLUMNS = ("code", "service", "slot", "name")
REQUIRED = ("code", "service", "slot")
_CODE = re.compile(r"^[A-Za-z0-9-]{3,32}$")
_SLOT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                 "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


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


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030 (what Excel writes on Chinese Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def parse_slot(text: str) -> datetime:
    text = text.strip()
    for fmt in _SLOT_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"slot {text!r} is not a date and time like 2026-11-23 09:30")


def parse_appointments(text: str, config: HallConfig, source: str = "<csv>") -> list[Appointment]:
    """Every row of the CSV as an :class:`Appointment`, or AppointmentFileError listing all errors."""
    reader = csv.reader(io.StringIO(text))
    errors: list[str] = []
    try:
        header = next(reader)
    except StopIteration:
        raise AppointmentFileError([f"{source}: the file is empty (expected a header line: "
                                    f"{','.join(COLUMNS)})"]) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h and h not in COLUMNS]
    if missing or unknown:
        what = []
        if missing:
            what.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            what.append(f"unknown column(s) {', '.join(unknown)}")
        raise AppointmentFileError([f"{source}:1: {'; '.join(what)} (expected {','.join(COLUMNS)})"])
    by_name = {s.name: s.code for s in config.services}
    codes = {s.code for s in config.services}
    seen: dict[str, int] = {}
    out = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            errors.append(f"{source}:{line}: {len(row)} fields, the header has {len(names)}")
            continue
        rec = {n: (row[i].strip() if i < len(row) else "") for i, n in enumerate(names)}
        problems = []
        code = rec.get("code", "")
        if not code:
            problems.append("code is empty")
        elif not _CODE.match(code):
            problems.append(f"code {code!r} must be 3-32 letters, digits or '-'")
        elif code in seen:
            problems.append(f"code {code} is already on line {seen[code]}")
        service = rec.get("service", "")
        svc = service.upper() if service.upper() in codes else by_name.get(service)
        if svc is None:
            problems.append(f"service {service!r} is not a service code or name of this hall "
                            f"({', '.join(sorted(codes))})")
        slot = None
        try:
            slot = parse_slot(rec.get("slot", ""))
        except ValueError as e:
            problems.append(str(e))
        if problems:
            errors.extend(f"{source}:{line}: {p}" for p in problems)
            continue
        seen[code] = line
        out.append(Appointment(code, svc, slot, rec.get("name", ""), line))
    if errors:
        raise AppointmentFileError(errors)
    return out


def import_file(path: Path | str, queue) -> list[Appointment]:
    """Check the whole file, then add every appointment to the queue (nothing on any error)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise AppointmentFileError([f"{path}: cannot read ({e.strerror or e})"]) from e
    appointments = parse_appointments(decode(data), queue.config, str(path))
    for a in appointments:
        queue.add_appointment(a.code, a.service, a.slot, a.name)
    return appointments
