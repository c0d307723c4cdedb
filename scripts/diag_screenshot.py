"""Screenshot of the diagnostics panel on the demo hall's simulators, with the printer
out of paper and one keypad unplugged, after a bus scan: docs/screenshots/diag-gui.png.

    QT_QPA_PLATFORM=offscreen python scripts/diag_screenshot.py [OUT.png]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from config import DEMO_HALL, load_hall  # noqa: E402
from drivers.led import BoardSimulator  # noqa: E402
from drivers.printer import PrinterSimulator  # noqa: E402
from drivers.transport import register_sim  # noqa: E402
from drivers.windowbus import BusSimulator  # noqa: E402
from jiaohao.context import Context  # noqa: E402
from jiaohao.diag.gui import DiagnosticsPanel  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots/diag-gui.png")
    tmp = Path(tempfile.mkdtemp(prefix="jiaohao-diag-shot-"))
    os.environ["JIAOHAO_NOW"] = "2026-11-23T10:05"
    config = load_hall(DEMO_HALL)
    config = config.model_copy(update={"voice": config.voice.model_copy(update={"output": str(tmp / "voice")})})
    printer = PrinterSimulator(output_dir=tmp / "tickets")
    bus = BusSimulator.for_config(config, "floor1", wire_time=False)
    board = config.boards[0]
    register_sim("kiosk1", printer)
    register_sim("floor1", bus)
    register_sim("board1", BoardSimulator.for_board(board))
    ctx = Context(db=str(tmp / "hall.sqlite"))
    ctx.__dict__["config"] = config
    q = ctx.queue
    for code in "AABCDDEFA":
        q.issue(code)
    for w in (1, 2, 4, 6):
        q.call_next(w)
    q.finish(1)
    q.rate(1, 5)
    printer.set_status("paper_out")
    bus.keypad(5).silent = True

    app = QApplication.instance() or QApplication([])
    panel = DiagnosticsPanel(ctx)
    panel.show()
    deadline = time.monotonic() + 60
    while (not panel.results or panel.busy) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    panel.say_button.click()
    while panel.busy and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    panel.run_action("bus", __import__("jiaohao.diag.actions", fromlist=["x"]).scan_bus, config, "floor1")
    while panel.busy and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    panel.refresh_figures()
    app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    panel.grab().save(str(out))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
