"""The city database not answering is "try again later" (exit 75, EX_TEMPFAIL) for
`ship` and `city …`, in one line naming host:port and why; what a person must fix is
exit 2. Against a closed loopback port and a listener that never answers."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from city.reach import classify, where
from config import DEMO_HALL
from tests.city_helpers import simulate_days
from tests.polling import free_port


def _jiaohao(*args):
    env = {k: v for k, v in os.environ.items() if k != "JIAOHAO_CITY_PASSWORD"}
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def _hall(tmp_path: Path, url: str) -> tuple[Path, Path]:
    db = tmp_path / "hall.sqlite"
    simulate_days(db, date(2026, 11, 2), days=1, per_day=5, seed=1).close()
    hall = tmp_path / "hall.toml"
    hall.write_text(Path(DEMO_HALL).read_text(encoding="utf-8")
                    + f'\n[city]\ndatabase = "{url}"\nhall_code = "U1"\nconnect_timeout_s = 2\n', encoding="utf-8")
    return hall, db


def _one_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_ship_and_city_commands_on_a_closed_port_exit_75_naming_host_and_port(tmp_path):
    port = free_port()
    url = f"postgresql://hall@127.0.0.1:{port}/city"
    hall, db = _hall(tmp_path, url)
    runs = [("--config", str(hall), "--db", str(db), "ship", "--once"),
            ("--config", str(hall), "--db", str(db), "ship", "--once", "--adopt"),
            ("city", "migrate", url), ("city", "halls", url), ("city", "indicators", url),
            ("report", "--city", url, "--month", "2026-11")]
    for args in runs:
        r = _jiaohao(*args)
        line = _one_line(r)
        assert r.returncode == 75, (args, r.returncode, line)
        assert f"127.0.0.1:{port}" in line and "connection refused" in line and "try again later" in line, line
        assert line.startswith("jiaohao: 市级数据库"), line  # Chinese first
    # ship --status reads only the hall: it works with the city down, and shows the failure
    r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--status")
    assert r.returncode == 0 and "connection refused" in r.stdout, r.stdout + r.stderr


def test_a_city_that_accepts_but_never_answers_is_a_time_out_exit_75(tmp_path):
    with socket.socket() as listener:  # the kernel completes the handshake; nobody ever speaks
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        hall, db = _hall(tmp_path, f"postgresql://hall@127.0.0.1:{port}/city")
        r = _jiaohao("--config", str(hall), "--db", str(db), "ship", "--once")
    line = _one_line(r)
    assert r.returncode == 75 and f"127.0.0.1:{port}" in line and "time-out" in line, line


def test_an_unknown_host_name_is_not_temporary(tmp_path):
    r = _jiaohao("city", "halls", "postgresql://hall@no-such-city-host.invalid:5432/city")
    line = _one_line(r)
    assert r.returncode == 2 and "no-such-city-host.invalid:5432" in line and "no such host name" in line, line


class _Err(Exception):
    pass


@pytest.mark.parametrize("text, temporary", [
    ('connection to server at "10.0.0.5", port 5432 failed: Connection refused', True),
    ('connection to server at "10.0.0.5", port 5432 failed: No route to host', True),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  the database system is starting up', True),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  sorry, too many clients already', True),
    ("failed to resolve host 'city': [Errno -3] Temporary failure in name resolution", True),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  password authentication failed for user "h"',
     False),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.9"', False),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  database "cty" does not exist', False),
    ('connection to server at "10.0.0.5", port 5432 failed: fe_sendauth: no password supplied', False),
])
def test_libpq_reasons_are_sorted_into_try_later_and_fix_first(text, temporary):
    got, reason = classify(_Err(text))
    assert got is temporary and reason and "connection to server at" not in reason


def test_where_names_host_and_default_port():
    assert where("postgresql://u@city-db.example/city") == "city-db.example:5432"
    assert where("postgresql://u@10.0.0.5:6432/city?sslmode=require") == "10.0.0.5:6432"
