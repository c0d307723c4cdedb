"""打印材料清单: an item's checklist on the kiosk's ticket printer, in text mode (GBK).

The checklist is the item, where and when, and one line per material with a box to tick
(□, which GBK has; the screen's ☐ it lacks), wrapped to the paper with the continuation
indented under the material's name. It goes out on the issuer's printer as one job,
under the issuer's lock, so it never interleaves with a ticket.
"""
from __future__ import annotations

from datetime import datetime

from drivers.printer.commands import EscPosCommands, text_columns, wrap
from hall.guide_text import checklist_lines


NO_LINE_START = set("，。、；：？！）》」』”’…%")  # 避头: punctuation that never starts a line


def _wrap(text: str, cols: int, encoding: str) -> list[str]:
    """The driver's wrap, then a closing mark that would start a line pulls the last
    character of the line before down with it."""
    lines = wrap(text, cols, encoding)
    for i in range(1, len(lines)):
        if lines[i][:1] in NO_LINE_START and len(lines[i - 1]) > 1:
            lines[i - 1], lines[i] = lines[i - 1][:-1], lines[i - 1][-1] + lines[i]
    return lines


def _hanging(c: EscPosCommands, text: str, indent: int) -> None:
    """``text`` wrapped to the paper, lines after the first indented by ``indent`` columns."""
    cols = c.paper.columns
    first, *rest = _wrap(text, cols, c.encoding) or [""]
    c.line(first)
    if rest:
        for ln in _wrap(("" if not text.isascii() else " ").join(rest), cols - indent, c.encoding):
            c.line(" " * indent + ln)


def write_checklist(c: EscPosCommands, entry, guide, hall: str, when: str) -> None:
    """The checklist in printer fonts, ending with a cut."""
    c.init()
    c.style(align="center", bold=True, width=2, height=2)
    c.lines("材料清单", width=2)
    c.style(bold=False, width=1, height=1)
    c.lines(hall)
    c.rule()
    wide = text_columns(entry.name, c.encoding) * 2 <= c.paper.columns
    c.style(align="left", bold=True, width=2 if wide else 1, height=2)
    c.lines(entry.name, width=2 if wide else 1)
    c.style(bold=False, width=1, height=1)
    for line in checklist_lines(entry, guide)[1:]:
        if line.startswith("□"):
            c.style(bold=True)
            _hanging(c, line, 5)
            c.style(bold=False)
        elif line.startswith("    "):
            _hanging(c, line, 4)
        else:
            _hanging(c, line, 0)
    c.rule()
    c.lines(f"打印时间：{when}")
    c.lines("请按清单备齐材料后取号办理")
    c.cut()


def checklist_bytes(printer, entry, guide, hall: str, now: datetime | None = None) -> bytes:
    job = bytearray()
    write_checklist(printer.commands(job.extend), entry, guide, hall,
                    (now or datetime.now()).strftime("%Y-%m-%d %H:%M"))
    return bytes(job)


def print_checklist(issuer, entry, guide, now: datetime | None = None) -> None:
    """Print ``entry``'s checklist on ``issuer``'s printer (PrinterError when it did not come out)."""
    with issuer._lock:
        job = checklist_bytes(issuer.printer, entry, guide, issuer.config.hall.name, now)
        issuer.printer.send_job(job, f"guide checklist {entry.code}")
