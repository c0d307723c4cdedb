"""`jiaohao demo` with windows on real X servers (Xvfb) of three sizes: every window on
screen, none overlapping another, tiled where it fits and one window on a laptop screen.
Each run is a real `jiaohao demo` process that saves the desktop and where each window
was (``--screenshots``) when its few simulated minutes are over."""
from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from jiaohao.demo.layout import Rect
from tests.xvfb_helpers import Xvfb

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not Xvfb.available(), reason="Xvfb is not installed (apt-get install xvfb)")


@pytest.fixture
def xvfb(request):
    """An X server of the size the test is parametrized with (``screen``), stopped after it."""
    width, height = request.param
    with Xvfb(width, height) as x:
        yield x


def run_demo(x: Xvfb, out: Path, *extra: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "jiaohao", "demo", "--minutes", "4", "--speed", "120", "--seed", "5",
         "--screenshots", str(out), *extra],
        cwd=ROOT, env=x.env(), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert (out / "demo-desktop.png").stat().st_size > 10_000
    return json.loads((out / "demo-desktop.json").read_text())


def frames(report: dict) -> dict[str, Rect]:
    return {n: Rect(*w["frame"]) for n, w in report["windows"].items() if w["visible"]}


@pytest.mark.parametrize("xvfb,mode", [((1366, 768), "single"), ((1920, 1080), "tiled"), ((2560, 1440), "tiled")],
                         indirect=["xvfb"], ids=["1366x768", "1920x1080", "2560x1440"])
def test_windows_on_screen_without_overlap(xvfb, mode, tmp_path):
    width, height = xvfb.size
    report = run_demo(xvfb, tmp_path)
    assert report["screen"] == [0, 0, width, height]
    assert report["mode"] == mode, report["reason"]
    shown = frames(report)
    screen = Rect(*report["screen"])
    expected = {"hall"} if mode == "single" else {"screen", "kiosk", "control", "caller-1", "caller-12"}
    assert set(shown) == expected
    for name, r in shown.items():
        assert r.inside(screen), f"{name} {r} is not all on the {width}×{height} screen"
    for (a, ra), (b, rb) in combinations(shown.items(), 2):
        assert not ra.overlaps(rb), f"{a} {ra} overlaps {b} {rb}"
    if mode == "tiled":  # the screen is used, not a cascade in a corner
        assert sum(r.w * r.h for r in shown.values()) > 0.85 * width * height
    else:
        assert shown["hall"] == screen


@pytest.mark.parametrize("xvfb", [(1920, 1080)], indirect=True, ids=["1920x1080"])
def test_forced_single_window_on_a_large_screen(xvfb, tmp_path):
    report = run_demo(xvfb, tmp_path, "--layout", "single")
    assert report["mode"] == "single" and report["reason"] == "forced"
    assert set(frames(report)) == {"hall"}
