"""A backup that ran out of disk space, said as such: which folder's disk is full, how
much is free, that nothing was kept and the hall database is untouched (SQLite reports
some of these as "disk I/O error", which sent technicians looking for corruption)."""
from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

LOW = 1_000_000  # less than this free: an I/O error there is the disk being full


def free_bytes(folder: Path | str) -> int | None:
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def out_of_space(e: BaseException | None, folder: Path | str) -> bool:
    """Is ``e`` (or, with None, the folder's state) a full disk under ``folder``?"""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(e, sqlite3.Error):
        name = getattr(e, "sqlite_errorname", "") or ""
        if name.startswith("SQLITE_FULL") or "disk is full" in str(e):
            return True
        if not (name.startswith("SQLITE_IOERR") or "disk I/O error" in str(e)):
            return False
    elif e is not None and not isinstance(e, OSError):
        return False
    free = free_bytes(folder)
    return free is not None and free < LOW


def size_in_words(n: float | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1024:,.0f} KiB" if n < 2**20 else f"{n / 2**20:,.1f} MiB"


def _same_disk(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def disk_full_message(db: Path, folder: Path) -> str:
    """The one line for a backup of ``db`` into ``folder`` stopped by a full disk."""
    db_dir = db.resolve().parent
    need = size_in_words(db.stat().st_size if db.exists() else None)
    kept = f"nothing was kept; the hall database {db} is untouched"
    folder_free = free_bytes(folder)
    if folder_free is not None and folder_free >= LOW and not _same_disk(db_dir, folder):
        # the backup folder has room: the database's own disk is the full one (SQLite
        # cannot make the -shm it needs to read the database)
        free = size_in_words(free_bytes(db_dir))
        return (f"备份失败：数据库所在磁盘 {db_dir} 已满（剩余 {free}），未保留任何文件，数据库未改动 "
                f"(backup failed: the disk of the database's folder {db_dir} is full, {free} free, so SQLite "
                f"cannot open the database to read it; {kept}, but the hall cannot write either: "
                "free space on that disk now, `df -h` shows it)")
    free = size_in_words(folder_free)
    same = _same_disk(db_dir, folder)
    also = " It is also the database's disk, so the hall cannot write either: free space there now." if same else ""
    also_zh = "；这也是数据库所在的磁盘，大厅也写不进去了，请马上腾出空间" if same else ""
    return (f"备份失败：备份文件夹 {folder} 所在磁盘已满（剩余 {free}），未保留任何文件，数据库未改动{also_zh} "
            f"(backup failed: the disk of the backup folder {folder} is full, {free} free, a copy needs about "
            f"{need}; {kept}. Free space on that disk (`jiaohao backup list` shows old backups) or set "
            f"[backup] folder to a larger disk.{also})")
