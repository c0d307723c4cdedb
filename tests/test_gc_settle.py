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


def test_full_collections_wait_for_a_quiet_moment_but_not_for_ever():
    from jiaohao.gc_settle import FullCollections
    now, quiet = [1000.0], [False]
    full = FullCollections(quiet=lambda: quiet[0], clock=lambda: now[0], every_s=600, latest_s=1800)
    now[0] += 599
    quiet[0] = True
    assert not full.due()  # not yet, however quiet
    now[0] += 2
    assert full.due()
    quiet[0] = False
    assert not full.due()  # due, but a request is in flight
    now[0] += 1200
    assert full.due()  # never quiet for half an hour: collected anyway
    full.collect()
    assert full.runs == 1 and full.last == now[0] and not full.due()


def test_serve_s_collector_takes_over_full_collections_and_still_frees_cycles():
    code = ("import gc, json; from jiaohao.gc_settle import FullCollections, FULL_OFF\n"
            "before = gc.get_threshold()[2]; full = FullCollections(); full.start()\n"
            "during = gc.get_threshold()[2]\n"
            "class Node: pass\n"
            "pairs = []\n"
            "for _ in range(100):\n"
            "    a, b = Node(), Node(); a.other, b.other = b, a; pairs.append(a)\n"
            "gc.collect(1); gc.collect(1)\n"  # they survive into the oldest generation
            "del pairs, a, b\n"
            "young = gc.collect(1)\n"  # the younger generations' collections do not see them
            "found = full.collect(); full.stop()\n"
            "print(json.dumps([before, during == FULL_OFF, young, found, gc.get_threshold()[2], full.runs]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    before, off, young, found, after, runs = json.loads(out.stdout)
    assert off  # CPython starts no full collection of its own while serve's collector runs
    assert young == 0 and found >= 200  # the old cycles are freed by serve's own full collection
    assert after == before and runs == 1  # stopped: CPython's setting is back
