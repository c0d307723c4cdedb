"""The `jiaohao` command as a user runs it: real subprocesses, JSON out, exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from jiaohao.cli import build_parser


def run(tmp_path, *args, env_extra=None):
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "cli.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00",
           **(env_extra or {})}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def js(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_issue_call_finish_rate_flow(tmp_path):
    t = js(run(tmp_path, "queue", "issue", "A", "--json"))
    assert {k: t[k] for k in ("number", "service", "status", "window", "ahead")} == \
        {"number": "A001", "service": "A", "status": "waiting", "window": None, "ahead": 0}
    assert js(run(tmp_path, "queue", "issue", "A", "--priority", "--json"))["priority"] is True
    called = js(run(tmp_path, "queue", "call", "1", "--json"))
    assert (called["number"], called["window"], called["status"]) == ("A002", 1, "called")
    assert js(run(tmp_path, "queue", "recall", "1", "--json"))["number"] == "A002"
    assert js(run(tmp_path, "queue", "finish", "1", "--json"))["status"] == "finished"
    assert js(run(tmp_path, "queue", "rate", "1", "5", "--json"))["number"] == "A002"
    status = js(run(tmp_path, "queue", "status", "--json"))
    assert {s["code"]: s["waiting"] for s in status["services"]}["A"] == 1
    assert status["windows"][0]["state"] == "idle"


def test_call_on_empty_queue_prints_null_and_exits_0(tmp_path):
    assert js(run(tmp_path, "queue", "call", "4", "--json")) == {"number": None, "ticket": None}


def test_transfer_skip_pause_resume(tmp_path):
    run(tmp_path, "queue", "issue", "A")
    run(tmp_path, "queue", "call", "1")
    moved = js(run(tmp_path, "queue", "transfer", "1", "--to-window", "12", "--json"))
    assert (moved["status"], moved["target_window"]) == ("waiting", 12)
    assert js(run(tmp_path, "queue", "call", "12", "--json"))["number"] == "A001"
    assert js(run(tmp_path, "queue", "skip", "12", "--json"))["status"] == "skipped"
    paused = js(run(tmp_path, "queue", "pause", "12", "--reason", "lunch", "--json"))
    assert (paused["state"], paused["pause_reason"]) == ("paused", "lunch")
    assert js(run(tmp_path, "queue", "resume", "12", "--json"))["state"] == "idle"


@pytest.mark.parametrize("args,words", [
    (["queue", "issue", "Z"], "unknown service 'Z'"),
    (["queue", "call", "99"], "unknown window 99"),
    (["queue", "rate", "1", "7"], "score must be 1-5"),
    (["queue", "finish", "3"], "no current ticket"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, words):
    p = run(tmp_path, *args)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and words in p.stderr and "Traceback" not in p.stderr


def test_paused_window_calling_exits_2(tmp_path):
    run(tmp_path, "queue", "pause", "2")
    p = run(tmp_path, "queue", "call", "2")
    assert p.returncode == 2 and "paused" in p.stderr


def test_outside_hours_refuses(tmp_path):
    p = run(tmp_path, "queue", "issue", "A", env_extra={"JIAOHAO_NOW": "2026-11-23T12:30:00"})
    assert p.returncode == 2 and "not open now" in p.stderr


def test_config_check(tmp_path):
    summary = js(run(tmp_path, "config", "check", "--json"))
    assert (summary["ok"], summary["services"], summary["windows"]) == (True, 8, 12)


def test_broken_config_exits_2_naming_file_line_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[hall]\nname = "x"\n[[services]]\ncode = "A"\nname = "a"\n'
                   '[[windows]]\nnumber = 1\nservices = ["B"]\n', encoding="utf-8")
    p = run(tmp_path, "--config", str(bad), "config", "check")
    assert p.returncode == 2
    assert f"{bad}:8: windows[0].services[0]: 没有业务 'B' (unknown service 'B')" in p.stderr
    assert "Traceback" not in p.stderr


def _walk(parser, path=()):
    yield path, parser
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                assert helps.get(name), f"`jiaohao {' '.join(path + (name,))}` has no help text"
                yield from _walk(sub, path + (name,))


def test_every_subcommand_has_help():
    assert len(list(_walk(build_parser()))) > 10


def test_a_kept_demo_database_goes_on_the_next_morning(tmp_path, demo_config):
    from datetime import date, datetime, timedelta

    from hall import FixedClock, HallQueue
    from jiaohao.commands.demo_cmd import next_free_morning

    db = tmp_path / "demo.sqlite"
    assert next_free_morning(db, (8, 30)) is None                      # a new database: today
    today = datetime.combine(date.today(), datetime.min.time())
    HallQueue(db, demo_config, FixedClock(today.replace(hour=17))).close()
    assert next_free_morning(db, (8, 30)) == today + timedelta(days=1, hours=8, minutes=30)
    old = tmp_path / "old.sqlite"
    HallQueue(old, demo_config, FixedClock(today - timedelta(days=3))).close()
    assert next_free_morning(old, (8, 30)) is None                     # an old one: today again


def test_a_clock_set_back_a_day_goes_on_with_the_same_day(tmp_path):
    assert js(run(tmp_path, "queue", "issue", "A", "--json", env_extra={"JIAOHAO_NOW": "2026-11-24T09:00"}))["day"] \
        == "2026-11-24"
    p = run(tmp_path, "queue", "issue", "A", "--json", env_extra={"JIAOHAO_NOW": "2026-11-23T09:00"})
    t = js(p)
    assert (t["number"], t["day"]) == ("A002", "2026-11-24")
    assert "behind the latest time" in p.stderr  # said loudly, once
    p = run(tmp_path, "queue", "call", "1", "--json", env_extra={"JIAOHAO_NOW": "2026-11-23T09:01"})
    assert js(p)["number"] == "A001" and p.stderr == ""
