"""The ticket's QR code on paper: the right symbol, with the quiet zone the QR standard asks.

ISO/IEC 18004 wants 4 light modules on every side of the symbol. The printer prints the
bare symbol (GS ( k, and the simulator likewise), so the driver feeds the space above
and below in text mode and draws it into the image in raster mode (issue 18: the notice
line used to follow the symbol directly). The test prints a ticket through the
simulator, finds the symbol in the page image by its module pattern (the same matrix
the content encodes to), and measures the white margin on each side in modules.
"""
from __future__ import annotations

import numpy as np
import pytest
import qrcode

from drivers.printer import PAPERS, PrinterSimulator, TicketContent, TicketPrinter
from drivers.printer.commands import QR_QUIET_ZONE, qr_module_dots

QR = "https://zwfw.example.gov.cn/t/42"
TICKET = TicketContent(hall="瑶海区政务服务中心", service="不动产登记", number="C107", ahead=3,
                       issued="2026-11-23 09:00", windows="4、5号窗口", qr=QR,
                       notice="请留意叫号，过号需重新取号", footer="预约码 123456")


def qr_matrix(content: str) -> np.ndarray:
    q = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    q.add_data(content)
    q.make(fit=True)
    return np.array(q.get_matrix(), dtype=bool)


def find_symbol(page: np.ndarray, content: str, module: int) -> tuple[int, int, int]:
    """(top, left, size in dots) of ``content``'s symbol printed at ``module`` dots a module.
    ``page`` is True where black. Every module of the symbol must read back right."""
    symbol = np.kron(qr_matrix(content), np.ones((module, module), dtype=bool))
    size = symbol.shape[0]
    first = symbol[0]
    windows = np.lib.stride_tricks.sliding_window_view(page, size, axis=1)  # (rows, x, size)
    for y, x in zip(*np.nonzero((windows == first).all(axis=2))):
        if y + size <= page.shape[0] and (page[y:y + size, x:x + size] == symbol).all():
            return int(y), int(x), size
    raise AssertionError("the QR symbol is not on the page as the content encodes it")


def quiet_zone(page: np.ndarray, top: int, left: int, size: int, module: int) -> dict[str, float]:
    """White margin on each side, in modules: from the symbol to the first black dot (or the
    paper's edge) within the quiet zone's square."""
    band = QR_QUIET_ZONE * module  # the zone is the symbol's square grown by 4 modules on each side
    cols = slice(max(0, left - band), left + size + band)
    rows = slice(max(0, top - band), top + size + band)

    def run(lines) -> int:
        n = 0
        for line in lines:
            if line.any():
                break
            n += 1
        return n
    return {
        "top": run(page[y, cols] for y in range(top - 1, -1, -1)) / module,
        "bottom": run(page[y, cols] for y in range(top + size, page.shape[0])) / module,
        "left": run(page[rows, x] for x in range(left - 1, -1, -1)) / module,
        "right": run(page[rows, x] for x in range(left + size, page.shape[1])) / module,
    }


def printed(mode: str, paper_mm: int) -> np.ndarray:
    sim = PrinterSimulator(paper_mm=paper_mm)
    sim.feed(TicketPrinter("sim://x", paper_mm, mode).ticket_bytes(TICKET))
    return np.array(sim.images[-1].convert("L")) < 128


@pytest.mark.parametrize("mode", ["text", "raster"])
@pytest.mark.parametrize("paper_mm", [58, 80])
def test_quiet_zone_on_every_side(mode, paper_mm):
    page = printed(mode, paper_mm)
    module = qr_module_dots(QR, 6 if paper_mm == 80 else 5, PAPERS[paper_mm].dots)
    top, left, size = find_symbol(page, QR, module)
    zone = quiet_zone(page, top, left, size, module)
    assert min(zone.values()) >= QR_QUIET_ZONE, zone
    assert page[top + size:].any()  # and the notice is still printed below it


def test_a_long_qr_shrinks_its_modules_to_keep_the_quiet_zone():
    long = "https://zwfw.example.gov.cn/jiaohao/ticket?" + "x" * 400
    module = qr_module_dots(long, 5, PAPERS[58].dots)
    assert module < 5
    sim = PrinterSimulator(paper_mm=58)
    ticket = TicketContent(hall="大厅", service="社保", number="A001", ahead=0, issued="09:00", qr=long, notice="请留意叫号")
    sim.feed(TicketPrinter("sim://x", 58, "text").ticket_bytes(ticket))
    page = np.array(sim.images[-1].convert("L")) < 128
    top, left, size = find_symbol(page, long, module)
    assert min(quiet_zone(page, top, left, size, module).values()) >= QR_QUIET_ZONE
