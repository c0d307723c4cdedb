"""The demo's window layout as arithmetic (no screen): tiled without overlap on the
screen from 1920×1080 to 4K, one window below that, forced modes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jiaohao.demo.layout import GAP, Frame, Rect, plan

# The demo hall's windows' minimum client sizes, as Qt reports them (kiosk portrait, callers).
MINIMUM = {"kiosk": (369, 770), "caller": (646, 563), "screen": (640, 360), "control": (330, 370)}  # control: at 15 px
CALLERS = ["caller-1", "caller-12"]
WM = Frame(top=30, left=2, right=2, bottom=2)


def check_tiled(p, avail: Rect, frame: Frame, names: list[str]) -> None:
    assert p.mode == "tiled", p.reason
    assert sorted(p.frames) == sorted(names)
    rects = list(p.frames.items())
    for i, (name, r) in enumerate(rects):
        assert r.inside(avail), f"{name} {r} is off {avail}"
        c = frame.client(r)
        kind = "caller" if name.startswith("caller-") else name
        assert (c.w, c.h) >= (0, 0) and c.w >= MINIMUM[kind][0] and c.h >= MINIMUM[kind][1], (name, c)
        for other, r2 in rects[i + 1:]:
            assert not r.overlaps(r2), f"{name} {r} overlaps {other} {r2}"


@pytest.mark.parametrize("w,h", [(1920, 1080), (1920, 1040), (2560, 1440), (2560, 1400), (3840, 2160)])
@pytest.mark.parametrize("frame", [Frame(), WM], ids=["no-wm", "wm"])
def test_tiled_without_overlap_on_screen(w, h, frame):
    avail = Rect(0, 28, w, h - 28)  # a top panel takes 28 px
    p = plan(avail, CALLERS, MINIMUM, frame)
    check_tiled(p, avail, frame, ["kiosk", "screen", "control", *CALLERS])


def test_windows_grow_with_the_screen():
    small = plan(Rect(0, 0, 1920, 1080), CALLERS, MINIMUM)
    large = plan(Rect(0, 0, 3840, 2160), CALLERS, MINIMUM)
    for name in ("kiosk", "screen", "control", "caller-1"):
        assert large.frames[name].w * large.frames[name].h > 1.8 * small.frames[name].w * small.frames[name].h, name
    assert large.frames["screen"].w / large.frames["screen"].h == pytest.approx(16 / 9, rel=0.02)
    # big screens: the control window is a full-height column
    assert large.frames["control"].h == 2160
    # the space is used: windows cover most of the screen
    covered = sum(r.w * r.h for r in large.frames.values())
    assert covered > 0.9 * 3840 * 2160


@pytest.mark.parametrize("w,h", [(1366, 768), (1280, 800), (1600, 900), (1680, 1050)])
def test_one_window_where_tiling_cannot_fit(w, h):
    p = plan(Rect(0, 0, w, h), CALLERS, MINIMUM)
    assert p.mode == "single"
    assert p.frames == {"hall": Rect(0, 0, w, h)}
    assert "too small" in p.reason


def test_forced_modes():
    big = Rect(0, 0, 2560, 1440)
    assert plan(big, CALLERS, MINIMUM, mode="single").mode == "single"
    forced = plan(Rect(0, 0, 1366, 768), CALLERS, MINIMUM, mode="tiled")
    assert forced.mode == "tiled" and "below their minimum" in forced.reason
    rects = list(forced.frames.values())
    assert all(not a.overlaps(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    with pytest.raises(ValueError, match="auto, tiled or single"):
        plan(big, CALLERS, MINIMUM, mode="cascade")


def test_more_callers_go_in_rows_and_missing_windows_leave_no_hole():
    callers = [f"caller-{n}" for n in (1, 2, 3, 4)]
    avail = Rect(0, 0, 3840, 2160)
    p = plan(avail, callers, MINIMUM)
    check_tiled(p, avail, Frame(), ["kiosk", "screen", "control", *callers])
    rows = sorted({p.frames[c].y for c in callers})
    assert len(rows) == 2
    no_kiosk = plan(Rect(0, 0, 1920, 1080), CALLERS, MINIMUM, has_kiosk=False)
    assert "kiosk" not in no_kiosk.frames
    assert max(r.right for r in no_kiosk.frames.values()) > 1920 - GAP - 40  # the space is used


def test_frame_client_and_rect_helpers():
    r = Rect(10, 20, 300, 200)
    assert WM.client(r) == Rect(12, 50, 296, 168)
    assert WM.outer_size(296, 168) == (300, 200)
    assert r.overlaps(Rect(309, 219, 5, 5)) and not r.overlaps(Rect(310, 20, 5, 5))
    assert r.inside(Rect(0, 0, 310, 220)) and not r.inside(Rect(0, 0, 309, 220))


def test_an_unknown_layout_is_refused_in_words():
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "demo", "--layout", "cascade"],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--layout" in proc.stderr and "tiled" in proc.stderr and "Traceback" not in proc.stderr
