"""Checking a backup (or any file said to be a queue database): is it a sound jiaohao
database, and whose hall's is it. Opened read-only, a backup as immutable, so a look
never writes beside it.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .db import readonly_uri


@dataclass
class BackupCheck:
    """What a look inside a backup found."""

    path: Path
    ok: bool
    problem: str = ""
    hall_id: str = ""
    hall_name: str = ""
    tickets: int = 0
    last_day: str = ""


def open_readonly(path: Path | str, immutable: bool = False) -> sqlite3.Connection:
    """Read-only; ``immutable`` for a backup file: no locks and no -wal/-shm created beside it."""
    # the live database through readonly_uri: a non-writer never makes its -wal/-shm
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1" if immutable else readonly_uri(str(path))
    return sqlite3.connect(uri, uri=True, timeout=15.0,
                           isolation_level=None, check_same_thread=False)


def jiaohao_problem(conn: sqlite3.Connection) -> str:
    """Why ``conn`` is not a readable jiaohao queue database ("is damaged …"); "" when it is."""
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as e:
        if "malformed" in str(e) or "corrupt" in str(e):
            return f"is damaged (SQLite: {e})"
        return f"is not a readable SQLite database ({e})"
    missing = {"migrations", "meta", "tickets", "events"} - names
    if missing:
        return "is not a jiaohao queue database (no " + ", ".join(sorted(missing)) + " table)"
    return ""


def read_identity(conn: sqlite3.Connection) -> tuple[str, str]:
    """(hall_id, hall_name) from ``meta``; empty strings for a database made before they existed."""
    rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('hall_id', 'hall_name')").fetchall())
    return rows.get("hall_id", ""), rows.get("hall_name", "")


def check_backup(path: Path | str, level: str = "full") -> BackupCheck:
    """Is ``path`` a sound jiaohao database? ``level``: "full" runs integrity_check (restore),
    "quick" quick_check (after taking a backup), "look" only opens it (diag check: seconds
    count there, and a backup was checked when it was taken)."""
    path = Path(path)
    if not path.is_file():
        return BackupCheck(path, False, "文件不存在 (the file does not exist)")
    try:
        with open(path, "rb") as f:
            header = f.read(16)
    except OSError as e:
        return BackupCheck(path, False, f"读不了 (cannot read it): {e.strerror}")
    if header != b"SQLite format 3\x00":
        return BackupCheck(path, False, "不是 SQLite 数据库文件 (it is not an SQLite database file)")
    if Path(f"{path}-wal").exists():
        return BackupCheck(path, False, f"旁边有 -wal 文件（{path}-wal）：正在使用或在使用中被复制，不是完成的备份 "
                                        "(it has a -wal file beside it: it is in use or was copied while in use, "
                                        "not a finished backup)")
    try:
        conn = open_readonly(path, immutable=True)
    except sqlite3.Error as e:
        return BackupCheck(path, False, f"SQLite 打不开 (SQLite cannot open it): {e}")
    try:
        problem = jiaohao_problem(conn)
        if problem:
            return BackupCheck(path, False, problem.removeprefix("is "))
        pragma = {"full": "integrity_check(20)", "quick": "quick_check(20)"}.get(level)
        rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}")] if pragma else ["ok"]
        if rows != ["ok"]:
            return BackupCheck(path, False, "已损坏 (SQLite finds it damaged): " + "; ".join(rows[:3]))
        hall_id, hall_name = read_identity(conn)
        tickets = conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
        day = conn.execute("SELECT value FROM meta WHERE key = 'day'").fetchone()
        return BackupCheck(path, True, "", hall_id, hall_name, tickets, day[0] if day else "")
    except sqlite3.DatabaseError as e:
        return BackupCheck(path, False, f"已损坏 (SQLite finds it damaged): {e}")
    finally:
        conn.close()
