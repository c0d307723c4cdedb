"""How long the hall screen takes to paint (offscreen), full frame and the notice ticker strip.

    python benchmarks/screen_paint.py

The ticker repaints 25 times a second and the rest at least once a second; on a hall
PC both must stay far below 40 ms a frame.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from display.screen import HallScreen  # noqa: E402
from display.screen_model import ScreenModel  # noqa: E402
from screen_screenshots import seeded_queue  # noqa: E402


def paint_ms(widget, rect=None, rounds=20) -> float:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QRegion
    image = QImage(widget.size(), QImage.Format_RGB32)
    region = QRegion(rect) if rect is not None else QRegion(widget.rect())
    start = time.perf_counter()
    for _ in range(rounds):
        widget.render(image, QPoint(0, 0), region)
    return (time.perf_counter() - start) / rounds * 1000


def main() -> int:
    app = QApplication.instance() or QApplication([])  # noqa: F841
    with tempfile.TemporaryDirectory() as tmp:
        q = seeded_queue(Path(tmp) / "hall.sqlite")
        model = ScreenModel(q)
        for size in ((1920, 1080), (3840, 2160)):
            w = HallScreen(model)
            w.resize(*size)
            w.refresh()
            start = time.perf_counter()
            for _ in range(50):
                model.update()
            update = (time.perf_counter() - start) / 50 * 1000
            print(f"{size[0]}x{size[1]}: full paint {paint_ms(w):.1f} ms, "
                  f"ticker strip {paint_ms(w, w._ticker_rect().toAlignedRect()):.1f} ms, "
                  f"clock header {paint_ms(w, w._header_rect().toAlignedRect()):.1f} ms, "
                  f"model update {update:.2f} ms")
        q.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
