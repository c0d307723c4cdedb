"""Start-up of the `jiaohao` command: a subcommand imports only what it needs.

Timings are in benchmarks/cli_startup.py; here, what is imported (which does not depend
on the machine's speed)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from config import DEMO_HALL
from jiaohao.cli import build_parser, chosen_command
from jiaohao.commands import COMMAND_ZH, COMMANDS

PROBE = """
import json, sys
from jiaohao.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def run_env(tmp_path) -> dict:
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "s.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00",
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("JIAOHAO_CONFIG", None)
    return env


def modules_after(tmp_path, *argv) -> set[str]:
    p = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=run_env(tmp_path),
                       timeout=60)
    assert p.returncode == 0, p.stderr
    # (the new-hall notice may follow at exit: the probe's line is the JSON list)
    return set(json.loads(next(line for line in p.stderr.splitlines() if line.startswith("["))))


@pytest.mark.parametrize("argv", [["queue", "issue", "A"], ["queue", "status"]])
def test_queue_commands_import_no_other_subcommand_nor_heavy_library(tmp_path, argv):
    loaded = modules_after(tmp_path, *argv)
    others = {f"jiaohao.commands.{m}" for _, m, _ in COMMANDS if m != "queue_cmd"}
    assert not loaded & others
    for heavy in ("numpy", "PySide6", "serial", "escpos", "hall.reports", "jiaohao.report", "jiaohao.diag"):
        assert heavy not in loaded, heavy


@pytest.mark.parametrize("argv", [["queue", "status"], ["queue", "issue", "A"], ["queue", "call", "1"]])
def test_queue_commands_with_a_warm_cache_import_no_pydantic(tmp_path, argv):
    modules_after(tmp_path, "queue", "issue", "A")  # the first run validates the hall and keeps it
    loaded = modules_after(tmp_path, *argv)
    assert "pydantic" not in loaded and "config.schema" not in loaded
    assert "config.views" in loaded


def jiaohao(tmp_path, *argv):
    return subprocess.run([sys.executable, "-m", "jiaohao", *argv], capture_output=True, text=True,
                          env=run_env(tmp_path), timeout=60)


def test_an_edited_hall_file_is_seen_by_the_next_queue_command(tmp_path):
    hall = tmp_path / "hall.toml"
    shutil.copy(DEMO_HALL, hall)
    jiaohao(tmp_path, "--config", str(hall), "queue", "issue", "A")
    assert json.loads(jiaohao(tmp_path, "--config", str(hall), "queue", "status", "--json").stdout)["hall"] \
        == "瑶海区政务服务中心"
    assert len(list((tmp_path / "cache" / "jiaohao" / "halls").glob("*.pickle"))) == 1  # $XDG_CACHE_HOME
    text = hall.read_text(encoding="utf-8")
    hall.write_text(text.replace("瑶海区政务服务中心", "瑶海区政务中心"), encoding="utf-8")
    assert json.loads(jiaohao(tmp_path, "--config", str(hall), "queue", "status", "--json").stdout)["hall"] \
        == "瑶海区政务中心"
    hall.write_text(text.replace('services = ["C"]', 'services = ["Q"]', 1), encoding="utf-8")
    p = jiaohao(tmp_path, "--config", str(hall), "queue", "issue", "A")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == f"jiaohao: 配置错误 (config error): {hall}:155: windows[3].services[0]: 没有业务 'Q' (unknown service 'Q')\n"


def test_help_lists_every_command_without_importing_them(tmp_path):
    p = subprocess.run([sys.executable, "-c", "import sys; from jiaohao.cli import main\n"
                        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
                        "import json; print(json.dumps(sorted(sys.modules)), file=sys.stderr)"],
                       capture_output=True, text=True, timeout=60)
    for name, _, help_ in COMMANDS:
        assert name in p.stdout and help_.split()[0] in p.stdout
    loaded = set(json.loads(p.stderr))
    assert not loaded & ({f"jiaohao.commands.{m}" for _, m, _ in COMMANDS} | {"config", "hall", "pydantic"})


def test_the_table_help_is_the_help_each_module_registers():
    p = build_parser()
    sub = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction")
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert registered == {name: help_ if help_.startswith(COMMAND_ZH[name]) else f"{COMMAND_ZH[name]}：{help_}"
                          for name, _, help_ in COMMANDS}


@pytest.mark.parametrize("argv,command", [
    (["queue", "issue", "A"], "queue"),
    (["--config", "x.toml", "--db", "q.sqlite", "-v", "report", "--from", "2026-01-01"], "report"),
    (["--db=q.sqlite", "diag", "--gui"], "diag"),
    (["--help"], None),
    ([], None),
])
def test_the_command_is_found_before_any_module_is_imported(argv, command):
    assert chosen_command(argv) == command


def test_a_parser_built_for_one_command_parses_it_as_the_full_parser_does():
    argv = ["--db", "q.sqlite", "queue", "transfer", "3", "--to-window", "5", "--json"]
    one, full = build_parser(argv).parse_args(argv), build_parser().parse_args(argv)
    assert vars(one) == vars(full)
