"""`jiaohao bookings …` as a manager or technician runs it: real subprocesses on a hall
with booking slots; masked output, a lift needs its reason, refusals in one line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

from hall import FixedClock, HallQueue
from tests.booking_helpers import booking_hall, valid_id


def run(tmp_path, *args, now="2026-11-25T12:00"):
    env = {**os.environ, "JIAOHAO_CONFIG": str(tmp_path / "hall.toml"), "JIAOHAO_DB": str(tmp_path / "h.sqlite"),
           "JIAOHAO_NOW": now}
    return subprocess.run([sys.executable, "-m", "jiaohao", "bookings", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_slots_list_suspensions_and_lift(tmp_path):
    cfg = booking_hall(tmp_path)[1]
    q = HallQueue(tmp_path / "h.sqlite", cfg, FixedClock(datetime(2026, 11, 23, 10, 0)))
    for day in (24, 25):
        q.book("A", datetime(2026, 11, day, 9, 0), "张三", "13800138000", valid_id(1))
    q.close()
    p = run(tmp_path, "slots", "A", "--day", "2026-11-26", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["slots"][0]["left"] == 3
    p = run(tmp_path, "sweep", "--json")
    assert json.loads(p.stdout) == {"no_shows": 2}
    p = run(tmp_path, "list", "--day", "2026-11-24")
    assert "no_show" in p.stdout and "张*" in p.stdout and "138****8000" in p.stdout and "13800138000" not in p.stdout
    p = run(tmp_path, "suspensions", "--json")
    [s] = json.loads(p.stdout)["suspensions"]
    assert s["active"] and valid_id(1) not in p.stdout
    p = run(tmp_path, "lift", str(s["id"]), "--reason", "x")
    assert p.returncode == 2 and "请填写解除原因" in p.stderr and "Traceback" not in p.stderr
    p = run(tmp_path, "lift", str(s["id"]), "--reason", "本人住院，有证明", "--by", "M0900")
    assert p.returncode == 0 and "本人住院" in p.stdout
    p = run(tmp_path, "suspensions", "--all")
    assert "lifted" in p.stdout and "M0900" in p.stdout
    p = run(tmp_path, "cancel", "NOPE2345")
    assert p.returncode == 2 and "没有找到这个预约" in p.stderr
