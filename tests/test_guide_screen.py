"""公示 on the hall screen: the guide's items rotate in the notice band (display/guide_notice.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from config import DEMO_HALL  # noqa: E402
from config.guide import GuideFiles, guide_folder  # noqa: E402
from display.guide_notice import GuideRotation, publicity_text  # noqa: E402
from display.screen import HallScreen  # noqa: E402
from display.screen_model import ScreenModel  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def test_publicity_text():
    guide = GuideFiles(guide_folder(DEMO_HALL)).current()
    assert publicity_text(guide.get("C01")) == (
        "【办事公示】二手房转移登记  承诺时限：3个工作日  收费：住宅80元/件；证书工本费每增加一本10元",
        "[Service notice] Transfer of ownership (second-hand home)  time limit: 3 working days  "
        "fee: 住宅80元/件；证书工本费每增加一本10元")
    assert publicity_text(guide.get("H01"))[0] == "【办事公示】结婚登记  承诺时限：即办  收费：不收费"
    assert publicity_text(guide.get("H01"))[1].endswith("free of charge")


def test_the_notice_band_rotates_the_items(qtbot, queue, tmp_path):
    t = [0.0]
    source = GuideFiles(guide_folder(DEMO_HALL), queue.config)
    model = ScreenModel(queue, rotation=GuideRotation(source, 30, clock=lambda: t[0]))
    first = model.state().notice
    assert first.startswith(queue.config.hall.notice) and "【办事公示】城乡居民养老保险参保登记" in first
    t[0] = 29.9
    assert model.state().notice == first
    t[0] = 30.0
    assert "【办事公示】社会保障卡申领" in model.state().notice
    t[0] = 30.0 * 18  # after every item, the first again
    assert model.state().notice == first
    # without the setting the notice is the hall's own
    assert ScreenModel(queue).state().notice == queue.config.hall.notice

    widget = HallScreen(model, poll_ms=50)
    qtbot.addWidget(widget)
    widget.resize(1920, 1080)
    widget.show()
    t[0] = 30.0 * 4  # 不动产: a long fee
    qtbot.wait(300)
    widget.ticker_offset = widget.width() * 0.9  # scrolled to the item
    widget.update()
    qtbot.wait(100)
    img = widget.grab()
    img.save(str(tmp_path / "screen-guide-notice.png"))
    if os.environ.get("JIAOHAO_SCREENSHOTS") == "docs":
        img.save(str(DOCS / "screen-guide-notice.png"))
    # the next item restarts the band's scroll from its start
    widget.ticker_offset = 10_000.0  # far into the scroll
    t[0] = 30.0 * 5
    qtbot.wait(300)  # the model polled
    widget.grab()  # painted
    assert widget.ticker_offset < 2_000


def test_screen_command_reads_the_rotation_setting(tmp_path):
    hall = tmp_path / "demo.toml"
    hall.write_text(DEMO_HALL.read_text(encoding="utf-8") + "\n[guide]\nscreen_rotation = true\n"
                    "rotation_seconds = 20\n", encoding="utf-8")
    import shutil
    shutil.copytree(guide_folder(DEMO_HALL), tmp_path / "demo" / "guide")
    png = tmp_path / "s.png"
    r = subprocess.run([sys.executable, "-m", "jiaohao", "--config", str(hall), "--db", str(tmp_path / "h.sqlite"),
                        "screen", "--screenshot", str(png)], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r.stderr
    assert png.exists()
