"""serve's nice value reaches its session's CPU group (jiaohao/cpu_priority.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jiaohao.cpu_priority import autogroup_nice, share_nice_with_session

ROOT = Path(__file__).resolve().parents[1]
PROBE = ("import json, os; from jiaohao.cpu_priority import share_nice_with_session as s, autogroup_nice as g; "
         "before = g(); after = s(); print(json.dumps([before, after, g(), os.getpriority(os.PRIO_PROCESS, 0)]))")

needs_autogroups = pytest.mark.skipif(autogroup_nice() is None, reason="kernel without autogroups")


def run(nice: int, new_session: bool) -> list:
    def setup():
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, check=True,
                         preexec_fn=setup, start_new_session=new_session)
    return json.loads(out.stdout)


@needs_autogroups
def test_a_session_leader_gives_its_group_its_nice_value():
    nice = 5 if os.geteuid() else -5  # lowering below 0 needs root or LimitNICE
    before, after, seen, own = run(nice, new_session=True)
    assert before == 0 and after == seen == own == nice


@needs_autogroups
def test_a_process_inside_someone_elses_session_leaves_the_group_alone():
    before, after, seen, own = run(7, new_session=False)
    assert own == 7 and before == after == seen == autogroup_nice()


def test_without_autogroups_nothing_is_done(tmp_path):
    assert share_nice_with_session(str(tmp_path / "absent")) is None


def test_a_refusal_is_logged_and_the_value_kept(tmp_path, caplog, monkeypatch):
    group = tmp_path / "autogroup"
    group.write_text("/autogroup-7 nice 0\n")
    group.chmod(0o444)
    monkeypatch.setattr(os, "getsid", lambda _: os.getpid())
    monkeypatch.setattr(os, "getpriority", lambda *_: -10)
    if os.geteuid() == 0:  # root writes a read-only file: refuse as the kernel would
        real_open = open

        def refusing_open(path, mode="r", **kw):
            if str(path) == str(group) and "w" in mode:
                raise PermissionError(1, "Operation not permitted")
            return real_open(path, mode, **kw)
        monkeypatch.setattr("builtins.open", refusing_open)
    assert share_nice_with_session(str(group)) == 0
    assert "LimitNICE=-10" in caplog.text
