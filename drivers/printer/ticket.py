"""What goes on a ticket (plain data) and how it is laid out in printer fonts.

:class:`TicketContent` is the driver's intent, "print this ticket"; the kiosk builds it
from a queue ticket and the hall config (``kiosk/ticket_layout.py``). :func:`write_ticket`
lays it out with :class:`EscPosCommands` for 58 mm (32 columns) or 80 mm (48 columns).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .commands import EscPosCommands, qr_module_dots, qr_quiet_lines, text_columns


@dataclass(frozen=True)
class TicketContent:
    hall: str
    service: str
    number: str
    ahead: int
    issued: str                 # e.g. "2026-11-23 09:00"
    zone: str = ""
    windows: str = ""           # e.g. "1-3、12号窗口"
    qr: str = ""                # QR content; "" for none
    notice: str = ""
    marks: tuple[str, ...] = field(default_factory=tuple)  # e.g. ("绿色通道 优先办理",)
    hall_en: str = ""
    footer: str = ""            # small print at the bottom, e.g. the appointment code
    ahead_text: str = ""        # instead of "您前面还有 N 人等候", small (an offline ticket's estimate)


def _size_for_number(number: str, columns: int) -> int:
    """The largest GS ! magnification (≤6) at which ``number`` fits the paper."""
    for size in range(6, 0, -1):
        if len(number) * size <= columns:
            return size
    return 1


def write_ticket(c: EscPosCommands, t: TicketContent) -> None:
    """The ticket in printer fonts, ending with a cut."""
    cols = c.paper.columns
    c.init()
    wide = text_columns(t.hall, c.encoding) * 2 <= cols
    c.style(align="center", bold=True, width=2 if wide else 1, height=2)
    c.lines(t.hall, width=2 if wide else 1)
    c.style(bold=False, width=1, height=1)
    if t.hall_en:
        c.lines(t.hall_en)
    c.rule()
    c.style(bold=True, width=2, height=2)
    c.lines(t.service, width=2)
    c.style(bold=False, width=1, height=1)
    if t.zone:
        c.lines(t.zone)
    size = _size_for_number(t.number, cols)
    c.style(bold=True, width=size, height=size)
    c.line(t.number)
    for mark in t.marks:
        double = text_columns(f"【{mark}】", c.encoding) * 2 <= cols
        c.style(bold=True, width=2 if double else 1, height=2 if double else 1)
        c.line(f"【{mark}】")
    c.style(bold=False, width=1, height=1)
    if t.ahead_text:
        c.lines(t.ahead_text)
    else:
        c.text("您前面还有 ")
        c.style(bold=True, width=2, height=2)
        c.text(str(t.ahead))
        c.style(bold=False, width=1, height=1)
        c.line(" 人等候")
    c.rule()
    c.style(align="left")
    c.lines(f"取号时间：{t.issued}")
    if t.windows:
        c.lines(f"办理窗口：{t.windows}")
    if t.qr:  # the printer prints the bare symbol: the quiet zone above and below is ours to feed
        module = qr_module_dots(t.qr, 6 if cols >= 48 else 5, c.paper.dots)
        c.style(align="center")
        c.feed(qr_quiet_lines(module))
        c.qr(t.qr, module=module)
        c.feed(qr_quiet_lines(module))
    c.style(align="center")
    if t.notice:
        c.lines(t.notice)
    if t.footer:
        c.lines(t.footer)
    c.cut()


def write_test_page(c: EscPosCommands, title: str, url: str, when: str) -> None:
    """Every character size, Chinese in each encoding's range, a QR code, and a cut."""
    c.init()
    c.style(align="center", bold=True, width=2, height=2)
    c.line("打印测试")
    c.style(bold=False, width=1, height=1)
    c.lines(title)
    c.lines(f"{url}  {c.paper.mm}mm  {c.encoding.upper()}")
    c.lines(when)
    c.rule()
    c.style(align="left")
    for size in range(1, 5):
        c.style(width=size, height=size)
        c.line(f"{size}x 叫号A{size:02d}")
    c.style(width=1, height=1)
    c.style(bold=True)
    c.line("粗体 Bold 0123456789")
    c.style(bold=False)
    c.lines("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 !@#%&*()")
    c.lines("中文：请A023号到5号窗口办理，欢迎您的光临。")
    c.lines("标点：，。；：？！“”（）【】《》、…—￥")
    c.line("No. A023 ￥5 请到5号窗口")
    c.rule()
    c.style(align="center")
    test_qr = "https://example.gov.cn/jiaohao/test?page=1"
    module = qr_module_dots(test_qr, 6 if c.paper.columns >= 48 else 5, c.paper.dots)
    c.feed(qr_quiet_lines(module))
    c.qr(test_qr, module=module)
    c.feed(qr_quiet_lines(module))
    c.line("扫码测试 QR code test")
    c.cut()
