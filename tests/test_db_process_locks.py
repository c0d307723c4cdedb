"""A process that opens a further connection while it holds others (`jiaohao serve` with
the hall API's readers) keeps its SQLite locks: another process closing its last
connection must not take the WAL away from under it (found by the end-to-end tests:
the API's readers opened the file to check its header, closing that descriptor dropped
serve's POSIX locks, and a `jiaohao queue issue` then deleted serve's -wal; every later
commit of serve was lost)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from hall import HallQueue
from hall.db import connect_readonly
from hall.readonly import ReadOnlyQueue

ROOT = Path(__file__).resolve().parents[1]


def issue_elsewhere(db: Path, service: str) -> str:
    env = dict(os.environ, JIAOHAO_NOW="2026-11-23T09:00")
    r = subprocess.run([sys.executable, "-m", "jiaohao", "--db", str(db), "queue", "issue", service, "--json"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["number"]


def test_another_process_closing_does_not_take_the_wal_of_a_process_with_more_connections(
        demo_config, clock, db_path):
    q = HallQueue(db_path, demo_config, clock)
    try:
        q.issue("A")
        readers = [ReadOnlyQueue(db_path, demo_config, clock), connect_readonly(str(db_path))]
        assert issue_elsewhere(db_path, "A") == "A002"
        assert Path(f"{db_path}-wal").exists(), "the other process removed the WAL of a hall still open"
        assert q.issue("A").number == "A003"
        for r in readers:
            r.close()
    finally:
        q.close()
    conn = sqlite3.connect(db_path)
    try:
        numbers = [r[0] for r in conn.execute("SELECT number FROM events WHERE kind = 'issued' ORDER BY id")]
    finally:
        conn.close()
    assert numbers == ["A001", "A002", "A003"]
