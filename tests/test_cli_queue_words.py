"""`jiaohao queue` as a hall technician uses it: lines Chinese first (the English half
after, as scripts read it), pause reasons in the words the window screen shows, and a
no-show put back in its queue (`queue reactivate`, which docs/manage.md names)."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def _q(tmp_path, *args):
    r = subprocess.run([sys.executable, "-m", "jiaohao", "--db", str(tmp_path / "hall.sqlite"), "queue", *args],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "JIAOHAO_NOW": "2026-11-23T10:00"})
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_a_no_show_is_put_back_and_lines_are_chinese_first(tmp_path):
    assert _q(tmp_path, "issue", "A").stdout.startswith("已取号 issued A001")
    assert _q(tmp_path, "call", "1").stdout.startswith("1号窗口叫号 window 1 calls A001")
    assert _q(tmp_path, "skip", "1").stdout.startswith("已过号 skipped A001")
    r = _q(tmp_path, "reactivate", "a001")  # as a scanner or a hurried technician types it
    assert r.returncode == 0 and r.stdout.startswith("已重新排队 reactivated A001"), r.stdout + r.stderr
    r = _q(tmp_path, "reactivate", "A001", "--json")
    assert r.returncode == 2 and r.stderr.startswith("jiaohao: A001号正在等候，不是过号"), r.stderr
    assert json.loads(_q(tmp_path, "call", "2", "--json").stdout)["number"] == "A001"
    assert _q(tmp_path, "reactivate", "B009").stderr.startswith("jiaohao: 今天没有 B009 号")


def test_pause_reasons_in_either_language(tmp_path):
    r = _q(tmp_path, "pause", "3", "--reason", "午休")
    assert r.returncode == 0 and r.stdout.startswith("3号窗口暂停 window 3: paused (午休 lunch)"), r.stdout + r.stderr
    status = " ".join(_q(tmp_path, "status").stdout.split())
    assert "3 暂停 paused - 等候 waiting 0 lunch" in status, status
    assert _q(tmp_path, "resume", "3").stdout.startswith("3号窗口空闲 window 3: idle")
    r = _q(tmp_path, "pause", "3", "--reason", "睡觉")
    assert r.returncode == 2 and "可选：离岗、午休、会议" in r.stderr
