"""Taking an online backup of the queue database.

A backup is one call of SQLite's online backup API copying every page in a single step:
that is one read transaction on the live database, so in WAL mode writers go on while it
runs (a stepped backup would restart from scratch at every commit of another process).
The copy is written under a hidden ``.part`` name, checked (``PRAGMA quick_check`` and
"is this a jiaohao database"), synced and only then renamed into place, so every file
named like a backup was good when it was taken. The folder, names and rotation are in
``backup_folder.py``, scheduling in ``backup_schedule.py``.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .backup_check import check_backup, jiaohao_problem, open_readonly
from .backup_folder import FILE_MODE, BackupError, backup_name, fsync_dir, rotate, same_group
from .backup_space import disk_full_message, out_of_space

log = logging.getLogger(__name__)


@dataclass
class BackupResult:
    path: Path
    size: int
    copy_s: float    # the read transaction on the live database lasted this long
    check_s: float


def make_backup(db: Path | str, dest: Path | str, full_check: bool = False) -> BackupResult:
    """Copy the live database ``db`` to ``dest`` (a file that must not exist yet), checked."""
    db, dest = Path(db), Path(dest)
    if not db.is_file():
        raise BackupError(f"没有数据库 {db}，无可备份 (no database at {db}: nothing to back up)")
    if dest.exists():
        raise BackupError(f"{dest} 已存在，请换个名字，备份从不覆盖文件 "
                          "(already exists; choose another name: a backup never overwrites a file)")
    part = dest.with_name(f".{dest.name}.part")
    part.unlink(missing_ok=True)
    try:
        src = open_readonly(db)
    except sqlite3.Error as e:
        raise BackupError(f"打不开 {db}，无法备份 (cannot open it to back it up): {e}") from None
    try:
        problem = jiaohao_problem(src)
        if problem:
            if problem.startswith("is not a readable") and (out_of_space(None, db.resolve().parent)
                                                             or out_of_space(None, part.parent)):
                raise BackupError(disk_full_message(db, part.parent))
            raise BackupError(f"{db} 不能备份，什么也没备份 ({problem}; nothing was backed up)")
        try:
            os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
            os.chmod(part, FILE_MODE)
        except OSError as e:
            _raise_full(e, db, part)
            raise BackupError(f"不能在 {part.parent} 写备份 (cannot write a backup there): {e.strerror}") from None
        t = time.perf_counter()
        dst = sqlite3.connect(str(part), isolation_level=None)
        try:
            src.backup(dst)  # every page in one step: one read transaction, writers go on
        except sqlite3.Error as e:
            part.unlink(missing_ok=True)
            _raise_full(e, db, part)
            raise BackupError(f"备份 {db} 到 {part.parent} 失败 (backup failed): {e}") from None
        finally:
            dst.close()
        copy_s = time.perf_counter() - t
        try:
            _rollback_journal(part)
        except (OSError, sqlite3.Error) as e:
            part.unlink(missing_ok=True)
            _raise_full(e, db, part)
            raise
    finally:
        src.close()
    t = time.perf_counter()
    result = check_backup(part, "full" if full_check else "quick")
    check_s = time.perf_counter() - t
    if not result.ok:
        part.unlink(missing_ok=True)
        _raise_full(None, db, part)
        raise BackupError(f"刚写好的备份没通过检查，已删除 (the backup just written failed its check and was removed): "
                          f"{result.problem}")
    try:
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        same_group(part, db)
        os.replace(part, dest)
    except OSError as e:
        part.unlink(missing_ok=True)
        _raise_full(e, db, part)
        raise
    fsync_dir(dest.parent)
    size = dest.stat().st_size
    log.info("backed up %s to %s (%.0f MiB, %.1f s + %.1f s check)", db, dest, size / 2**20, copy_s, check_s)
    return BackupResult(dest, size, copy_s, check_s)


def _raise_full(e: BaseException | None, db: Path, part: Path) -> None:
    """:class:`BackupError` in words when ``e`` (None: a failed check) was a full disk."""
    if out_of_space(e, part.parent):
        raise BackupError(disk_full_message(db, part.parent)) from None


def backup_into(db: Path | str, folder: Path, keep: int | None = None, keep_daily: int = 0,
                now: datetime | None = None) -> tuple[BackupResult, list[Path]]:
    """A backup named by the time into ``folder``, then rotation when ``keep`` is given."""
    now = now or datetime.now()
    dest = folder / backup_name(db, now)
    while dest.exists():  # two backups in one second (a manual one beside the schedule)
        now = datetime.fromtimestamp(now.timestamp() + 1)
        dest = folder / backup_name(db, now)
    result = make_backup(db, dest)
    removed = rotate(folder, Path(db).stem, keep, keep_daily) if keep else []
    return result, removed


def _rollback_journal(path: Path) -> None:
    """A backup is one self-contained file: switch the copy out of WAL mode (opening it
    read-only later then needs no -wal/-shm beside it)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
