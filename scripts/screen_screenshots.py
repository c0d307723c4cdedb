"""Draw the hall screen with a realistic morning of the demo hall into PNGs (offscreen).

    python scripts/screen_screenshots.py [OUT_DIR]   (default docs/screenshots)

Writes screen-1080p.png and screen-4k.png: a call just made (flashing, drawn in its
red phase), recent calls, windows serving / paused (午休, 离岗, 会议) / closed, and
waiting counts per zone.
"""
from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from config import DEMO_HALL, load_hall  # noqa: E402
from display.screen import HallScreen  # noqa: E402
from display.screen_model import ScreenModel  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402


def seeded_queue(path: Path) -> HallQueue:
    cfg = load_hall(DEMO_HALL)
    clock = FixedClock(datetime(2026, 11, 23, 8, 31))
    q = HallQueue(path, cfg, clock)
    for code, n in {"A": 19, "B": 9, "C": 11, "D": 7, "E": 6, "F": 8, "G": 4, "H": 3}.items():
        for _ in range(n):
            q.issue(code, priority=(code == "A" and _ == 5))
            clock.advance(seconds=40)
    for window in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 1, 2, 3, 4, 6, 7, 8, 12, 1, 3):
        q.call_next(window)
        clock.advance(minutes=2)
    q.finish(9)
    q.pause(5, "lunch")
    q.pause(9, "meeting")
    q.pause(11, "away")
    q.logout(10)
    clock.set(datetime(2026, 11, 23, 10, 12, 35))
    return q


def main(out_dir: str = "docs/screenshots") -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])  # noqa: F841
    with tempfile.TemporaryDirectory() as tmp:
        q = seeded_queue(Path(tmp) / "hall.sqlite")
        t = [0.0]
        model = ScreenModel(q, clock=lambda: t[0])
        q.call_next(2)          # the call everyone is looking for, made just now
        model.update()
        for name, size in (("screen-1080p.png", (1920, 1080)), ("screen-4k.png", (3840, 2160))):
            widget = HallScreen(model)
            widget.resize(*size)
            widget.refresh()
            widget.flash_on = True
            path = out / name
            widget.grab().save(str(path), "PNG")
            print(f"{path}: {size[0]}x{size[1]}, highlight {model.highlight.text_zh}")
        q.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
