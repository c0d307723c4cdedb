"""Disk full and read-only disks: the real reason in one line, nothing half-written.

SQLITE_FULL is made for real, in-process with ``PRAGMA max_page_count`` and through the
command on a 1 MB tmpfs (skipped when mounting is not allowed)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from hall import FixedClock, HallQueue
from hall.dbfile import explain


def jiaohao(db, *args):
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def one_line(p, *words):
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr, p.stderr
    for w in words:
        assert w in p.stderr, p.stderr


def test_disk_full_is_said_not_masked_by_the_rollback(demo_config, tmp_path):
    q = HallQueue(tmp_path / "hall.sqlite", demo_config, clock=FixedClock(datetime(2026, 11, 23, 9, 0)))
    try:
        q.issue("A")
        pages = q._conn.execute("PRAGMA page_count").fetchone()[0]
        q._conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL
        with pytest.raises(sqlite3.Error) as err:
            for _ in range(2000):
                q.issue("A")
        assert "full" in str(err.value), err.value  # not "cannot rollback - no transaction is active"
        problem = explain(err.value, q.path)
        assert problem.kind == "full" and "free space" in problem.fix
        issued = q.issued_today("A")
        q._conn.execute("PRAGMA max_page_count = 1073741823")
        t = q.issue("A")  # nothing half-written: numbering goes on
        assert t.seq == issued + 1
        assert q._conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        q.close()


@contextmanager
def tmpfs(where: Path, size: str = "1m"):
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def test_disk_full_through_the_command(tmp_path):
    with tmpfs(tmp_path / "small") as disk:
        db = disk / "hall.sqlite"
        assert jiaohao(db, "queue", "issue", "A").returncode == 0
        fill(disk)
        for f in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            f.unlink(missing_ok=True)
        p = None
        for _ in range(50):  # until the free pages inside the file are used up
            p = jiaohao(db, "queue", "issue", "A")
            if p.returncode != 0:
                break
        one_line(p, str(db), "disk is full", "free space")
        assert "no transaction is active" not in p.stderr
        os.unlink(disk / "filler")
        again = jiaohao(db, "queue", "issue", "A")
        assert again.returncode == 0, again.stderr


def test_read_only_disk(tmp_path):
    with tmpfs(tmp_path / "ro") as disk:
        db = disk / "hall.sqlite"
        for _ in range(2):
            assert jiaohao(db, "queue", "issue", "A").returncode == 0
        for f in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            f.unlink(missing_ok=True)
        r = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot remount read-only: {r.stderr.strip()}")
        one_line(jiaohao(db, "queue", "issue", "A"), str(db), "read-only")
        status = jiaohao(db, "queue", "status", "--json")
        assert status.returncode == 0, status.stderr
        assert '"waiting": 2' in status.stdout
        report = jiaohao(db, "report", "--format", "csv")
        assert report.returncode == 0, report.stderr
