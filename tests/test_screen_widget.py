"""The hall screen widget (pytest-qt, offscreen) and the `jiaohao screen` command."""
from __future__ import annotations

import sys
from dataclasses import replace

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QBrush, QColor, QImage, QPainter  # noqa: E402

from display.screen import FLASH, PANEL, HallScreen  # noqa: E402
from display.screen_model import ScreenModel  # noqa: E402
from jiaohao.cli import main  # noqa: E402
from jiaohao.commands.screen_cmd import parse_size, parse_windows  # noqa: E402
from jiaohao.context import CommandError  # noqa: E402


@pytest.fixture
def ticker():
    return [0.0]


@pytest.fixture
def screen(qtbot, queue, ticker):
    widget = HallScreen(ScreenModel(queue, clock=lambda: ticker[0]), poll_ms=50)
    qtbot.addWidget(widget)
    widget.resize(1920, 1080)
    widget.show()
    return widget


def panel_pixel(widget) -> QColor:
    u = widget.u
    return widget.grab().toImage().pixelColor(int(60 * u), int(200 * u))


def test_a_call_appears_large_and_flashes(qtbot, screen, queue, ticker):
    queue.issue("A")
    queue.call_next(1)
    qtbot.waitUntil(lambda: screen.state.highlight is not None, timeout=3000)
    assert screen.state.highlight.text_zh == "请A001号到1号窗口"
    assert screen.state.flashing
    screen.flash_on = True
    assert panel_pixel(screen) == FLASH
    screen.flash_on = False
    assert panel_pixel(screen) == PANEL
    ticker[0] = 100.0                                  # long after the flash time
    qtbot.waitUntil(lambda: not screen.state.flashing, timeout=3000)
    qtbot.wait(600)                                    # one blink period: back to steady
    assert screen.flash_on and panel_pixel(screen) == PANEL
    assert screen.state.highlight.number == "A001"      # still shown, no longer flashing


def test_layout_scales_with_the_window(qtbot, screen):
    assert screen.u == pytest.approx(1.0)
    screen.resize(3840, 2160)
    assert screen.u == pytest.approx(2.0)
    image = screen.grab().toImage()
    assert (image.width(), image.height()) == (3840, 2160)
    # the header band spans the whole width at both sizes
    assert image.pixelColor(3800, 20) == image.pixelColor(40, 4)


def test_paused_window_reason_is_in_the_state_the_widget_draws(qtbot, screen, queue):
    queue.pause(5, "lunch")
    qtbot.waitUntil(lambda: any(w.label_zh == "午休" for w in screen.state.windows), timeout=3000)


@pytest.mark.parametrize("text, size", [("1920x1080", (1920, 1080)), ("3840X2160", (3840, 2160)),
                                        (" 1280 x 720 ", (1280, 720))])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["big", "100x100", "1920", "99999x1080"])
def test_parse_size_rejects(text):
    with pytest.raises(CommandError):
        parse_size(text)


def test_screenshot_command_writes_a_png(tmp_path, qtbot, monkeypatch, capsys):
    monkeypatch.setenv("JIAOHAO_NOW", "2026-11-23T09:30:00")
    out = tmp_path / "screen.png"
    db = tmp_path / "hall.sqlite"
    assert main(["--db", str(db), "queue", "issue", "A"]) == 0
    assert main(["--db", str(db), "screen", "--screenshot", str(out), "--size", "1280x720"]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)
    assert "1280x720" in capsys.readouterr().out


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_pyside_void_calls_keep_none_alive(qtbot):
    """PySide6 6.12.0 decrements None's refcount on every void method: a TV screen painting
    25 times a second aborts with 'deallocating None' within minutes (pyproject excludes it)."""
    image = QImage(10, 10, QImage.Format_RGB32)
    brush = QBrush(QColor("red"))
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for _ in range(500):
        painter.setBrush(brush)
    after = sys.getrefcount(None)
    painter.end()
    assert after >= before - 5, f"None lost {before - after} references in 500 void calls"


def test_many_windows_rotate_in_readable_pages(qtbot, screen):
    big = replace(screen.state, windows=tuple(screen.state.windows) * 6)   # 72 cells
    visible, page, pages, cols = screen._window_pages(big)
    assert pages > 1 and page == 0 and len(visible) < 72
    cell_w = (screen._windows_rect().width() - 28) / cols
    assert cell_w >= 220                                   # never smaller than MIN_CELL
    screen._page = 1
    assert screen._window_pages(big)[1] == 1


def test_window_filter(qtbot, queue, ticker):
    widget = HallScreen(ScreenModel(queue, clock=lambda: ticker[0]), windows={1, 2, 12})
    qtbot.addWidget(widget)
    widget.resize(1920, 1080)
    visible, _, pages, _ = widget._window_pages(widget.state)
    assert [w.number for w in visible] == [1, 2, 12] and pages == 1


@pytest.mark.parametrize("text, numbers", [("1-3,7", {1, 2, 3, 7}), ("12", {12}), (" 5 - 6 ", {5, 6})])
def test_parse_windows(text, numbers):
    assert parse_windows(text) == numbers


@pytest.mark.parametrize("text", ["a", "3-1", "1,,2"])
def test_parse_windows_rejects(text):
    with pytest.raises(CommandError):
        parse_windows(text)
