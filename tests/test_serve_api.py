"""`jiaohao serve --listen`: a real server process on loopback issues and calls over HTTP."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

import httpx
import pytest

from config import DEMO_HALL, load_hall
from hall import FixedClock, HallQueue

NOW = "2026-11-23T09:00"


def start_serve(db, *args, env_extra=None) -> subprocess.Popen:
    env = {**os.environ, "JIAOHAO_NOW": NOW, "PYTHONUNBUFFERED": "1", **(env_extra or {})}
    return subprocess.Popen([sys.executable, "-m", "jiaohao", "--db", str(db), "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_address(p: subprocess.Popen, timeout: float = 60) -> tuple[str, list[str]]:
    """The base URL the server logs, and the lines read until then."""
    lines: list[str] = []
    found: list[str] = []

    def read():
        for line in p.stderr:
            lines.append(line)
            m = re.search(r"hall API listening on (http://\S+)/api/v1", line)
            if m and not found:
                found.append(m.group(1))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert found, "".join(lines)[-3000:]
    return found[0], lines


def add_device(db, name: str, role: str) -> str:
    """A token as a technician gets it: `jiaohao devices add NAME --role ROLE --json`."""
    p = subprocess.run([sys.executable, "-m", "jiaohao", "--db", str(db), "devices", "add", name, "--role", role,
                        "--json"], capture_output=True, text=True, timeout=60, env={**os.environ, "JIAOHAO_NOW": NOW})
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["name"], out["role"]) == (name, role)
    return out["token"]


@pytest.fixture
def hall_db(tmp_path):
    db = tmp_path / "hall.sqlite"
    q = HallQueue(db, load_hall(DEMO_HALL), FixedClock(datetime(2026, 11, 23, 9, 0)))
    q.login(1, "0517")
    q.close()
    return db, {"kiosk": add_device(db, "kiosk-1", "kiosk"), "caller": add_device(db, "caller-1", "caller")}


def test_serve_listens_issues_and_calls(hall_db):
    db, tokens = hall_db
    p = start_serve(db, "--listen", "127.0.0.1:0", "--seconds", "60")
    try:
        base, lines = wait_for_address(p)
        assert base.startswith("http://127.0.0.1:") and not base.endswith(":0")
        with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
            assert http.get("/health").json()["ok"] is True
            kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
            caller = {"Authorization": f"Bearer {tokens['caller']}"}
            r = http.post("/tickets", json={"service": "A", "priority": False}, headers=kiosk)
            assert r.status_code == 201 and r.json()["number"] == "A001", r.text
            r = http.post("/windows/1/call", headers=caller)
            assert r.status_code == 200 and r.json()["number"] == "A001", r.text
            assert http.post("/windows/1/call", headers=kiosk).status_code == 403
            assert http.post("/windows/1/call", headers=caller).status_code == 204
            assert http.get("/openapi.json").json()["info"]["title"] == "jiaohao hall API"
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
        assert "Traceback" not in "".join(lines)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    q = HallQueue(db, load_hall(DEMO_HALL), FixedClock(datetime(2026, 11, 23, 9, 0)))
    try:  # the same events a keypad makes, in the one event log
        kinds = [e.kind for e in q.events_after(0)]
        assert kinds.count("issued") == 1 and kinds.count("called") == 1 and kinds.count("finished") == 1
    finally:
        q.close()


def test_serve_without_server_section_does_not_listen(hall_db):
    db, _ = hall_db
    p = start_serve(db, "--seconds", "1.5")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-2000:]
    assert "hall API" not in err


def test_serve_refuses_a_port_in_use_in_words(hall_db):
    import socket
    db, _ = hall_db
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = start_serve(db, "--listen", f"127.0.0.1:{port}", "--seconds", "30")
        out, err = p.communicate(timeout=60)
    assert p.returncode == 2, err[-2000:]
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("jiaohao: 大厅接口无法在 127.0.0.1:") and "--listen" in last, last
    assert " (the hall API cannot listen on 127.0.0.1:" in last, last


def test_serve_refuses_a_bad_listen_address(hall_db):
    db, _ = hall_db
    p = start_serve(db, "--listen", "localhost", "--seconds", "30")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 2 and "HOST:PORT" in err.strip().splitlines()[-1], err[-2000:]


def test_serve_listens_where_the_config_says(hall_db, tmp_path):
    import socket
    db, tokens = hall_db
    with socket.socket() as s:  # a port free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "hall.toml"
    cfg.write_text(DEMO_HALL.read_text(encoding="utf-8") + f'\n[server]\nlisten = "127.0.0.1:{port}"\n',
                   encoding="utf-8")
    p = start_serve(db, "--seconds", "60", env_extra={"JIAOHAO_CONFIG": str(cfg)})
    try:
        base, _ = wait_for_address(p)
        assert base == f"http://127.0.0.1:{port}"
        r = httpx.get(base + "/api/v1/config", headers={"Authorization": f"Bearer {tokens['kiosk']}"}, timeout=10)
        assert r.status_code == 200 and f'listen = "127.0.0.1:{port}"' in r.json()["toml"]
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
