"""A window screen's block (35 registers, a 79-byte request: 91 ms on the wire at 9600
baud 8E1) over a bus that takes real wire time: the reply time-out counts from the end
of the request, so the write is answered, and no late reply is taken for the answer
to the next request. `jiaohao diag screen` on the demo hall said "no answer" before."""
from __future__ import annotations

import subprocess
import sys

from config import DEMO_HALL, load_hall
from drivers.windowbus import ScreenState
from jiaohao.diag.bus import _open


def test_screen_writes_at_9600_baud_are_answered_each_by_its_own_reply():
    cfg = load_hall(DEMO_HALL)
    assert cfg.buses["floor1"].baud == 9600 and cfg.buses["floor1"].timeout_ms == 100
    proto = _open(cfg, "floor1")  # the demo's simulator, emulating wire time
    try:
        for i in range(4):
            proto.write_screen(101 + i, ScreenState(f"A00{i}", "请到窗口", flash_s=3))
        st = proto.master.stats
        assert (st.requests, st.replies, st.timeouts, st.garbage_bytes) == (4, 4, 0, 0), st
    finally:
        proto.close()


def test_diag_screen_on_the_demo_hall():
    r = subprocess.run([sys.executable, "-m", "jiaohao", "diag", "screen", "--address", "101", "--text", "测试"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "测试" in r.stdout, r.stdout + r.stderr
