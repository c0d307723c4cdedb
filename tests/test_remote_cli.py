"""`jiaohao queue --server …`, `diag check --server`, the apps' start on a server, and the
choice of hall (jiaohao/context.py), against a real hall server on 127.0.0.1: the same
output as on the local file, errors in words."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest

from hall import FixedClock, HallQueue
from jiaohao.context import CommandError, Context
from tests.polling import free_port
from tests.remote_helpers import START, LiveHall, live  # noqa: E402,F401 - fixtures


def run(tmp_path, *args, token=None, env_extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("JIAOHAO_CONFIG", "JIAOHAO_SERVER", "JIAOHAO_TOKEN", "JIAOHAO_TOKEN_FILE")}
    env.update({"JIAOHAO_DB": str(tmp_path / "unused.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00",
                "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
                **(env_extra or {})})
    if token:
        env["JIAOHAO_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def js(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_queue_issue_over_the_server(live, tmp_path):
    token = live.token("controller")
    t = js(run(tmp_path, "queue", "--server", live.url, "issue", "A", "--json", token=token))
    assert (t["number"], t["service"], t["status"], t["ahead"]) == ("A001", "A", "waiting", 0)
    assert live.queue.ticket(t["id"]).number == "A001"  # in the server's database
    assert not (tmp_path / "unused.sqlite").exists()  # and no local one was made
    live.queue.login(1, "0517")
    called = js(run(tmp_path, "queue", "call", "1", "--json", token=token, env_extra={"JIAOHAO_SERVER": live.url}))
    assert (called["number"], called["window"], called["status"]) == ("A001", 1, "called")
    text = run(tmp_path, "queue", "--server", live.url, "finish", "1", token=token)
    assert text.returncode == 0 and text.stdout.startswith("已办结 finished A001"), text.stderr


def test_status_is_the_same_as_on_the_database(live, tmp_path):
    token = live.token("screen")
    live.queue.issue("A")
    live.queue.issue("B")
    live.queue.login(2, "0517")
    live.queue.call_next(2)
    remote = _tokens_out(run(tmp_path, "queue", "--server", live.url, "status", "--json", token=token))
    here = _tokens_out(run(tmp_path, "--db", str(live.queue.path), "queue", "status", "--json"))
    assert remote == here
    remote_text = run(tmp_path, "queue", "--server", live.url, "status", token=token).stdout
    assert remote_text == run(tmp_path, "--db", str(live.queue.path), "queue", "status").stdout


def test_refusals_are_one_line_in_words(live, tmp_path):
    kiosk = live.token("kiosk")
    live.queue.login(1, "0517")
    p = run(tmp_path, "queue", "--server", live.url, "call", "1", token=kiosk)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.startswith("jiaohao: ") and len(p.stderr.strip().splitlines()) == 1
    p = run(tmp_path, "queue", "--server", live.url, "issue", "ZZ", token=kiosk)
    assert p.returncode == 2 and "ZZ" in p.stderr and "Traceback" not in p.stderr
    p = run(tmp_path, "queue", "--server", live.url, "issue", "A", token="wrong")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert live.queue.waiting_by_service()["A"] == 0


def test_a_server_that_does_not_answer(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    p = run(tmp_path, "queue", "--server", url, "issue", "A", token="t")
    assert p.returncode == 75 and "Traceback" not in p.stderr  # EX_TEMPFAIL: try again later
    assert f"cannot reach the hall server at {url}" in p.stderr
    p = run(tmp_path, "queue", "--server", "ftp://x", "issue", "A", token="t")
    assert p.returncode == 2 and "http://" in p.stderr


def test_the_servers_config_is_kept_for_a_start_while_it_is_down(live, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for k in ("JIAOHAO_CONFIG", "JIAOHAO_SERVER", "JIAOHAO_TOKEN_FILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("JIAOHAO_TOKEN", live.token("kiosk"))
    ctx = Context(server=live.url)
    assert [s.code for s in ctx.config.services] == [s.code for s in live.queue.config.services]
    ctx.close()
    live.server.stop()
    ctx = Context(server=live.url)
    assert [w.number for w in ctx.config.windows] == [w.number for w in live.queue.config.windows]
    err = capsys.readouterr().err
    assert "does not answer" in err and f"jiaohao: 注意：大厅服务器 {live.url} 没有应答" in err, err
    ctx.close()


def test_a_local_config_of_another_hall_is_refused(live, tmp_path, monkeypatch):
    from config import DEMO_HALL, HALLS_DIR
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("JIAOHAO_TOKEN", live.token("kiosk"))
    ctx = Context(config=str(HALLS_DIR / "large.toml"), server=live.url)
    with pytest.raises(CommandError) as e:
        ctx.config
    assert "does not describe the same hall as the server" in str(e.value)
    assert f"large.toml 和服务器 {live.url} 说的不是同一个大厅：" in str(e.value), str(e.value)
    assert "。去掉 --config 就用服务器的配置，或把主控机的大厅文件复制过来 (" in str(e.value), str(e.value)
    same = Context(config=str(DEMO_HALL), server=live.url)
    assert same.config.hall.name == live.queue.config.hall.name


def test_the_token_comes_from_the_flag_env_or_a_file(tmp_path, monkeypatch):
    for k in ("JIAOHAO_TOKEN", "JIAOHAO_TOKEN_FILE", "JIAOHAO_CONFIG", "JIAOHAO_SERVER"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    f = tmp_path / "device.token"
    f.write_text("abc123\n")
    assert Context(server="http://h:1", token_file=str(f)).token == "abc123"
    monkeypatch.setenv("JIAOHAO_TOKEN", "from-env")
    assert Context(server="http://h:1").token == "from-env"
    assert Context(server="http://h:1", token_file=str(f)).token == "abc123"  # the flag wins
    with pytest.raises(CommandError) as e:
        Context(server="http://h:1", token_file=str(tmp_path / "missing")).token
    assert "no token file" in str(e.value) and f": 没有令牌文件 {tmp_path / 'missing'}：" in str(e.value)
    monkeypatch.setenv("JIAOHAO_SERVER", "http://h:2")
    assert Context(remote_ok=True).server == "http://h:2"
    assert Context().server is None  # a command that cannot be a client ignores it (serve, report …)


def test_diag_check_on_a_client_pc(live, tmp_path):
    token = live.token("kiosk")
    p = run(tmp_path, "diag", "check", "--server", live.url, "--json", token=token)
    assert "Traceback" not in p.stderr, p.stderr
    found = {d["device"]: d for d in json.loads(p.stdout)["devices"]}
    assert found[f"hall server {live.url}"]["ok"] is True
    assert live.queue.config.hall.name in found[f"hall server {live.url}"]["detail"]
    assert found[f"token for {live.url}"]["ok"] is True
    assert "已接受 accepted，角色 role kiosk (" in found[f"token for {live.url}"]["detail"]  # GET /whoami
    assert found[f"token for {live.url}"]["device_zh"] == "本机令牌"
    assert not any(d.startswith(("database", "backup", "bus ")) for d in found)  # the server's, not this PC's
    p = run(tmp_path, "diag", "check", "--server", live.url, "--json", token="revoked-or-wrong")
    found = {d["device"]: d for d in json.loads(p.stdout)["devices"]}
    assert p.returncode == 1 and found[f"token for {live.url}"]["ok"] is False
    assert "jiaohao devices add" in found[f"token for {live.url}"]["fix"]
    url = f"http://127.0.0.1:{free_port()}"
    p = run(tmp_path, "diag", "check", "--server", url, token=token)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert f"故障 (FAIL) 大厅服务器 hall server {url}: 没有应答：连接不上叫号服务器 ({url}) (no answer: cannot reach " \
        f"the hall server at {url}" in p.stdout, p.stdout


@pytest.mark.parametrize("args, role", [
    (["kiosk", "--printer", "sim://remote-cli-shot", "--size", "1080x1920"], "kiosk"),
    (["screen", "--size", "1280x720"], "screen"),
    (["caller", "--window", "3"], None),  # no token: the login screen
    (["caller", "--window", "3"], "caller"),
])
def test_the_apps_start_on_the_server(live, tmp_path, args, role):
    png = tmp_path / "shot.png"
    token = live.token(role) if role else None
    p = run(tmp_path, *args, "--server", live.url, "--screenshot", str(png), token=token,
            env_extra={"QT_QPA_PLATFORM": "offscreen"})
    assert p.returncode == 0, p.stderr
    assert png.stat().st_size > 1000
    assert not (tmp_path / "unused.sqlite").exists()


QUEUE_SESSION = [
    ["issue", "A", "--json"], ["issue", "A", "--priority"], ["issue", "B", "--json"], ["issue", "ZZ"],
    ["call", "1", "--json"], ["recall", "1"], ["skip", "1", "--json"], ["call", "1"],
    ["transfer", "1", "--to-service", "B", "--json"], ["transfer", "1", "--to-window", "1"], ["call", "1"],
    ["finish", "1", "--json"], ["rate", "1", "5"], ["rate", "1", "4", "--json"],
    ["pause", "1", "--reason", "lunch", "--json"], ["call", "1"], ["resume", "1"], ["resume", "1", "--json"],
    ["call", "99"], ["status", "--json"], ["status"],
]


def _tokens_out(proc) -> tuple:
    """(status, stdout, stderr) with each ticket's random token (migration 0008) blanked."""
    # and the status page's address: the server knows where it listens ([server] public_url
    # when set, as a hall sets it), a command on the database file alone does not
    blank = lambda text: re.sub(r"https?://[^/\"]+/t/", "URL/t/", re.sub(r"[0-9a-f]{32}", "TOKEN", text))  # noqa: E731
    return proc.returncode, blank(proc.stdout), blank(proc.stderr)


def test_every_queue_command_prints_the_same_as_on_the_database(live, tmp_path):
    token = live.token("controller")
    local_db = tmp_path / "local.sqlite"
    HallQueue(local_db, live.queue.config, FixedClock(START)).close()  # (no "made a new hall" notice)
    differ = []
    for args in QUEUE_SESSION:
        here = run(tmp_path, "--db", str(local_db), "queue", *args)
        there = run(tmp_path, "queue", "--server", live.url, *args, token=token)
        here, there = (_tokens_out(p) for p in (here, there))  # two halls: their tickets' tokens differ
        if here != there:
            differ.append(f"{' '.join(args)}:\n  local  {here!r}\n  remote {there!r}")
    assert not differ, "\n".join(differ)
