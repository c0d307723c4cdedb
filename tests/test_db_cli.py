"""`--db` / JIAOHAO_DB at things that are not this hall's database: exit 2 and one line naming
the file and what to do, never a traceback, never a silent new hall. Real subprocesses."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

MAKE_HALL = """
import os, sys
from datetime import datetime
from config import DEMO_HALL, load_hall
from hall import FixedClock, HallQueue
q = HallQueue(sys.argv[1], load_hall(DEMO_HALL), clock=FixedClock(datetime(2026, 11, 23, 9, 0)))
q._checkpointer.stop()
if sys.argv[3] == "clean":
    q._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
for _ in range(int(sys.argv[2])):
    q.issue("A")
if sys.argv[3] == "clean":
    q.close()
else:
    os._exit(0)  # killed: its last tickets are only in its -wal
"""


def jiaohao(db, *args, timeout=60):
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def make_hall(db: Path, tickets: int, how: str = "clean") -> None:
    subprocess.run([sys.executable, "-c", MAKE_HALL, str(db), str(tickets), how], check=True, timeout=60)


def one_line(p, *words):
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr, p.stderr
    for w in words:
        assert w in p.stderr, p.stderr
    return p.stderr


def _folder(tmp):
    (tmp / "a-folder").mkdir()
    return tmp / "a-folder"


def _text(tmp):
    (tmp / "notes.txt").write_text("hall notes, not a database\n" * 20)
    return tmp / "notes.txt"


def _empty(tmp):
    (tmp / "hall.sqlite").touch()
    return tmp / "hall.sqlite"


def _other_sqlite(tmp):
    c = sqlite3.connect(tmp / "other.sqlite")
    c.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    c.commit()
    c.close()
    return tmp / "other.sqlite"


def _missing_folder(tmp):
    return tmp / "jiaohoa" / "hall.sqlite"  # a typing mistake


CASES = {
    "directory": (_folder, ["is a folder"]),
    "text-file": (_text, ["not a SQLite database"]),
    "dev-null": (lambda tmp: Path("/dev/null"), ["not a regular file"]),
    "empty-file": (_empty, ["empty (0 bytes)", "jiaohao restore"]),
    "other-program": (_other_sqlite, ["not made by jiaohao"]),
    "missing-folder": (_missing_folder, ["does not exist"]),
}


@pytest.mark.parametrize("command", [["queue", "issue", "A"], ["queue", "status"], ["report"]],
                         ids=["issue", "status", "report"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_not_this_halls_database(tmp_path, case, command):
    make, words = CASES[case]
    db = make(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    if command == ["report"] and case == "missing-folder":
        words = ["no queue database"]  # report's own check (any missing file)
    one_line(jiaohao(db, *command), str(db), *words)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no folder, no file made
    if db.is_file() and case != "empty-file":
        assert db.stat().st_size > 0


def test_missing_file_in_existing_folder_is_a_new_hall_said_on_stderr(tmp_path):
    db = tmp_path / "hall.sqlite"
    p = jiaohao(db, "queue", "issue", "A")
    assert p.returncode == 0, p.stderr
    assert "new, empty hall" in p.stderr and str(db) in p.stderr
    p = jiaohao(db, "queue", "issue", "A")
    assert p.returncode == 0 and p.stderr == ""  # said once, when it was made
    assert "A002" in p.stdout


def test_failed_command_leaves_no_new_hall(tmp_path):
    db = tmp_path / "hall.sqlite"
    one_line(jiaohao(db, "queue", "issue", "Z"), "unknown service")
    assert not db.exists()


def test_status_of_a_missing_database_is_refused(tmp_path):
    db = tmp_path / "hall.sqlite"
    one_line(jiaohao(db, "queue", "status"), str(db), "no database here")
    assert not db.exists()


def test_foreign_wal_is_refused_and_the_hall_kept(tmp_path):
    a, b = tmp_path / "a" / "hall.sqlite", tmp_path / "b" / "hall.sqlite"
    a.parent.mkdir()
    b.parent.mkdir()
    make_hall(a, 3, "clean")
    make_hall(b, 7, "killed")
    for f in (Path(f"{a}-wal"), Path(f"{a}-shm")):
        f.unlink(missing_ok=True)
    shutil.copy(f"{b}-wal", f"{a}-wal")  # a stale -wal of another hall beside hall a
    for command in (["queue", "issue", "A"], ["queue", "status"]):
        one_line(jiaohao(a, *command), str(a), "belongs to another database")
    # the refusal changed nothing: moved away, hall a is whole with its 3 tickets
    os.rename(f"{a}-wal", tmp_path / "foreign-wal")
    Path(f"{a}-shm").unlink(missing_ok=True)
    p = jiaohao(a, "queue", "issue", "A")
    assert p.returncode == 0 and "A004" in p.stdout, p.stdout + p.stderr


def test_own_wal_after_a_crash_is_replayed(tmp_path):
    db = tmp_path / "hall.sqlite"
    make_hall(db, 5, "killed")
    assert Path(f"{db}-wal").stat().st_size > 0
    p = jiaohao(db, "queue", "issue", "A")
    assert p.returncode == 0 and "A006" in p.stdout, p.stdout + p.stderr


HOLD_LOCK = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_write_lock_held_past_the_timeout_is_busy(tmp_path):
    db = tmp_path / "hall.sqlite"
    make_hall(db, 1)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "40"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        one_line(jiaohao(db, "queue", "issue", "A"), str(db), "busy", "fuser")
        status = jiaohao(db, "queue", "status")  # reading is not blocked by a writer
        assert status.returncode == 0, status.stderr
    finally:
        holder.kill()
        holder.wait()


CURSOR_ONLY = """
import os, sys, sqlite3
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA wal_autocheckpoint = 0")
c.execute("INSERT INTO meta VALUES ('cursor:announcer', '7') ON CONFLICT (key) DO UPDATE SET value = excluded.value")
os._exit(0)
"""


def test_foreign_wal_without_page_1_is_refused(tmp_path):
    """A -wal of another hall that holds only a cursor write (no page 1) is still refused:
    the hall id read through it does not match the file's header."""
    a, b = tmp_path / "a" / "hall.sqlite", tmp_path / "b" / "hall.sqlite"
    a.parent.mkdir()
    b.parent.mkdir()
    make_hall(a, 3, "clean")
    make_hall(b, 3, "clean")
    subprocess.run([sys.executable, "-c", CURSOR_ONLY, str(b)], check=True, timeout=60)
    for f in (Path(f"{a}-wal"), Path(f"{a}-shm")):
        f.unlink(missing_ok=True)
    shutil.copy(f"{b}-wal", f"{a}-wal")
    one_line(jiaohao(a, "queue", "issue", "A"), str(a), "belongs to another database")
