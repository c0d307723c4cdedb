"""`jiaohao devices …` and `jiaohao staff …` as a technician runs them: real subprocesses,
passwords on stdin, the printed token checked against the database."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from config import DEMO_HALL, load_hall
from hall import FixedClock, HallQueue
from hall.access import Access


def jiaohao(db, *args, stdin: str | None = None, timeout=60):
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, env=env,
                          input=stdin if stdin is not None else "", timeout=timeout)


def access_of(db):
    from datetime import datetime
    q = HallQueue(db, load_hall(DEMO_HALL), FixedClock(datetime(2026, 11, 23, 9, 0)))
    return q, Access(q)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "hall.sqlite"


def test_devices_add_json_prints_exactly_name_role_token_and_the_token_works(db):
    p = jiaohao(db, "devices", "add", "kiosk-2", "--role", "kiosk", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert list(out) == ["name", "role", "token"] and p.stdout.count("\n") == 1
    assert (out["name"], out["role"]) == ("kiosk-2", "kiosk") and out["token"].startswith("jhd_")
    q, a = access_of(db)
    try:
        p = a.principal_for(out["token"])
        assert (p.kind, p.name, p.role) == ("device", "kiosk-2", "kiosk")
    finally:
        a.close()
        q.close()


def test_devices_list_and_revoke(db):
    token = json.loads(jiaohao(db, "devices", "add", "caller-5", "--role", "caller", "--window", "5",
                               "--json").stdout)["token"]
    p = jiaohao(db, "devices", "list", "--json")
    assert json.loads(p.stdout)["devices"][0] | {"created_at": None} == {
        "name": "caller-5", "role": "caller", "windows": [5], "created_at": None, "last_seen_at": None,
        "revoked_at": None}
    text = jiaohao(db, "devices", "list").stdout
    assert "caller-5" in text and "有效 active" in text and token not in text
    p = jiaohao(db, "devices", "revoke", "caller-5")
    assert p.returncode == 0 and "已吊销" in p.stdout and "revoked" in p.stdout
    assert "revoked" in jiaohao(db, "devices", "list").stdout
    q, a = access_of(db)
    try:
        assert a.principal_for(token) is None
    finally:
        a.close()
        q.close()


@pytest.mark.parametrize("args, says", [
    (["devices", "add", "kiosk 2", "--role", "kiosk"], "device name"),
    (["devices", "add", "k", "--role", "printer"], "invalid choice"),
    (["devices", "add", "k", "--role", "kiosk", "--window", "5"], "only a caller"),
    (["devices", "add", "c", "--role", "caller", "--window", "999"], "unknown window 999"),
    (["devices", "revoke", "nobody"], "no device named nobody"),
    (["staff", "disable", "9999"], "no staff number 9999"),
])
def test_bad_input_is_one_line_and_exit_2(db, args, says):
    p = jiaohao(db, *args)
    assert p.returncode == 2 and says in p.stderr and "Traceback" not in p.stderr
    assert p.stdout == ""


def test_staff_add_with_password_stdin_then_the_password_logs_in(db):
    p = jiaohao(db, "staff", "add", "0517", "--name", "张三", "--role", "staff", "--password-stdin",
                stdin="secret-pass-1\n")
    assert p.returncode == 0, p.stderr
    assert "张三" in p.stdout and "0517" in p.stdout and "secret-pass-1" not in p.stdout + p.stderr
    q, a = access_of(db)
    try:
        assert a.login("0517", "secret-pass-1", window=1).staff.name == "张三"
    finally:
        a.close()
        q.close()
    listed = json.loads(jiaohao(db, "staff", "list", "--json").stdout)["staff"]
    assert [(m["staff"], m["name"], m["role"], m["disabled_at"]) for m in listed] == [("0517", "张三", "staff", None)]


@pytest.mark.parametrize("stdin, says", [("short7!\n", "at least 8 characters"), ("", "no password")])
def test_a_short_or_missing_password_is_refused_and_nothing_is_added(db, stdin, says):
    q, a = access_of(db)  # an existing hall
    a.close()
    q.close()
    p = jiaohao(db, "staff", "add", "0517", "--name", "张三", "--role", "staff", "--password-stdin", stdin=stdin)
    assert p.returncode == 2 and says in p.stderr and "Traceback" not in p.stderr
    assert "密码" in p.stderr or "password" in p.stderr
    assert json.loads(jiaohao(db, "staff", "list", "--json").stdout) == {"staff": []}


def test_without_a_terminal_the_password_is_not_asked_but_refused(db):
    p = jiaohao(db, "staff", "add", "0517", "--name", "张三", "--role", "staff", stdin="secret-pass-1\n")
    assert p.returncode == 2 and "--password-stdin" in p.stderr


def test_staff_passwd_and_disable(db):
    jiaohao(db, "staff", "add", "0517", "--name", "张三", "--role", "manager", "--password-stdin",
            stdin="secret-pass-1\n")
    p = jiaohao(db, "staff", "passwd", "0517", "--password-stdin", stdin="secret-pass-2\n")
    assert p.returncode == 0, p.stderr
    p = jiaohao(db, "staff", "disable", "0517")
    assert p.returncode == 0 and "已停用" in p.stdout
    assert "already disabled" in jiaohao(db, "staff", "disable", "0517").stdout
    assert "disabled" in jiaohao(db, "staff", "list").stdout
    assert jiaohao(db, "staff", "enable", "0517").returncode == 0
    q, a = access_of(db)
    try:
        assert a.login("0517", "secret-pass-2").staff.role == "manager"
    finally:
        a.close()
        q.close()


def _on_a_terminal(db, args, answers: list[str], timeout=60) -> tuple[int, str]:
    """Run `jiaohao ARGS` on a pseudo-terminal, typing each answer after each prompt."""
    import pty
    import select
    import time
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal
        os.execve(sys.executable, [sys.executable, "-m", "jiaohao", *args], env)
    out, deadline, pending = b"", time.monotonic() + timeout, list(answers)
    prompts = 0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child has closed the terminal
                break
            if not chunk:
                break
            out += chunk
        seen = out.count(b": ")
        if pending and seen > prompts and out.rstrip().endswith(b":"):
            prompts = seen
            os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_on_a_terminal_the_password_is_asked_twice_without_echo(db):
    code, out = _on_a_terminal(db, ["staff", "add", "0517", "--name", "张三", "--role", "staff"],
                               ["secret-pass-1", "secret-pass-1"])
    assert code == 0, out
    assert "新密码" in out and "再输入一次" in out and "secret-pass-1" not in out
    code, out = _on_a_terminal(db, ["staff", "passwd", "0517"], ["secret-pass-2", "secret-pass-3"])
    assert code == 2 and "differ" in out
    q, a = access_of(db)
    try:
        assert a.login("0517", "secret-pass-1").staff.staff == "0517"
    finally:
        a.close()
        q.close()
