"""The start-up heap of long-running programs is frozen once, after start-up
(jiaohao/gc_settle.py; the pauses it removes: benchmarks/gc_pause_bench.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_settle_freezes_the_heap_once_per_process():
    code = ("import gc, json; from jiaohao.gc_settle import settle_after_startup as s; "
            "import config; a = s(); n = gc.get_freeze_count(); b = s(); "
            "print(json.dumps([a, n, b, gc.get_freeze_count(), gc.isenabled()]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    first, count, second, count_after, enabled = json.loads(out.stdout)
    assert first == count > 1000  # the modules imported so far
    assert second == 0 and count_after == count  # a second call changes nothing
    assert enabled  # the collector still runs for what is made later


def test_serve_freezes_once_after_starting_its_parts(tmp_path):
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "hall.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00"}
    env.pop("JIAOHAO_CONFIG", None)
    p = subprocess.run([sys.executable, "-m", "jiaohao", "serve", "--seconds", "1.5"], capture_output=True,
                       text=True, env=env, cwd=ROOT, timeout=90)
    assert p.returncode == 0, p.stderr[-2000:]
    lines = p.stderr.splitlines()
    frozen = [i for i, line in enumerate(lines) if "start-up heap frozen" in line]
    starting = [i for i, line in enumerate(lines) if "starting " in line]
    assert len(frozen) == 1, p.stderr[-3000:]
    assert starting and max(starting) < frozen[0], p.stderr[-3000:]
    assert int(lines[frozen[0]].split("frozen: ")[1].split()[0]) > 10_000
