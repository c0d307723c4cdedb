"""The program's version, and what each queue database records of the programs that
opened it.

- ``VERSION`` is the one place the version is written: ``jiaohao --version``, the wheel
  (pyproject.toml reads it) and the database record all take it from here.
- Each database keeps, in ``meta`` (no schema change): ``program_version``, the version
  that last opened it for writing, and ``program_versions``, a JSON list of
  ``[version, first opened at]`` in the order they came (its upgrade and rollback
  history). The ``migrations`` table holds each applied migration with its time.
- A database with a migration this program does not know was upgraded by a newer
  jiaohao: it is refused in words (kind ``newer``) instead of being misread or written
  with the wrong schema.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable

from .dbfile import committed
from .errors import DatabaseProblem

VERSION = "0.2.0.dev0"

NEWER_FIX = ("重新安装那个版本（它的安装包里的 install.sh），或运行升级它的那个安装包的 `install.sh --rollback`，"
             "它会恢复升级前做的备份 (install that version again (its bundle's install.sh), or run "
             "`install.sh --rollback` of the bundle that upgraded it, which restores the backup taken before "
             "the upgrade (docs/install.md, rolling back))")


def applied_migrations(conn: sqlite3.Connection) -> list[tuple[str, float]]:
    """(name, applied at) of every migration the database has, oldest first."""
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT name, applied_at FROM migrations ORDER BY applied_at, name")]
    except sqlite3.OperationalError:  # no migrations table yet: a database being made
        return []


def recorded_version(conn: sqlite3.Connection) -> str:
    """The program version that last opened the database for writing ('' before 0.2)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'program_version'").fetchone()
    return row[0] if row else ""


def version_history(conn: sqlite3.Connection) -> list[list]:
    """``[[version, first opened at (Unix time)], …]`` in the order the versions came."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'program_versions'").fetchone()
    try:
        history = json.loads(row[0]) if row else []
    except ValueError:
        return []
    return [h for h in history if isinstance(h, list) and len(h) == 2] if isinstance(history, list) else []


def unknown_migrations(conn: sqlite3.Connection, known: Iterable[str]) -> list[str]:
    """Migrations the database has that are not in ``known`` (a newer program applied them)."""
    known = set(known)
    return [name for name, _ in applied_migrations(conn) if name not in known]


def refuse_newer(conn: sqlite3.Connection, path: str, known: Iterable[str]) -> None:
    """Refuse a database upgraded by a newer jiaohao, naming its version and what is unknown."""
    unknown = unknown_migrations(conn, known)
    if not unknown:
        return
    newer = recorded_version(conn)
    raise DatabaseProblem(
        "newer", path,
        f"较新的 jiaohao（{newer or '更新的版本'}）升级过它，本 jiaohao {VERSION} 不认识它的数据库变更 "
        f"{'、'.join(unknown)}，不能使用 (a newer jiaohao ({newer or 'a later version'}) has upgraded it: "
        f"this jiaohao {VERSION} does not know its database change{'s' if len(unknown) > 1 else ''} "
        f"{', '.join(unknown)} and cannot use it)",
        NEWER_FIX)


def record_open(conn: sqlite3.Connection) -> bool:
    """Record that this version opened the database for writing; True when that changed it.

    Writes only when the version differs from the last one recorded, so an ordinary start
    adds nothing to the WAL."""
    if recorded_version(conn) == VERSION:
        return False
    conn.execute("BEGIN IMMEDIATE")
    with committed(conn):
        if recorded_version(conn) == VERSION:  # another process did it meanwhile
            conn.execute("ROLLBACK")
            return False
        history = version_history(conn)
        history.append([VERSION, round(time.time(), 3)])
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('program_version', ?)", (VERSION,))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('program_versions', ?)", (json.dumps(history),))
        # page 1 in every commit, as every jiaohao transaction does (hall.dbfile.check_wal)
        tag = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {int(tag)}")
    return True


def describe(conn: sqlite3.Connection, known: Iterable[str]) -> dict:
    """What the database records of versions and migrations, against this program's."""
    known = list(known)
    applied = applied_migrations(conn)
    names = {n for n, _ in applied}
    unknown = [n for n, _ in applied if n not in set(known)]
    pending = [n for n in known if n not in names]
    return {
        "program_version": recorded_version(conn),
        "versions": [{"version": v, "first_opened_at": t} for v, t in version_history(conn)],
        "migrations": [{"name": n, "applied_at": t} for n, t in applied],
        "pending": pending,      # this program applies them when it opens the database
        "unknown": unknown,      # a newer program applied them: this one refuses it
        "state": "newer" if unknown else "needs_migration" if pending else "current",
    }
