"""Restoring a backup. It never destroys anything: the current database and its
``-wal``/``-shm`` are renamed aside together (the WAL may hold the newest transactions),
and it is refused while any process still has the database open or when the backup is
another hall's.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .backup_check import BackupCheck, check_backup, open_readonly, read_identity
from .backup_folder import STAMP, BackupError, fsync_dir, same_group
from .db_users import users_of

log = logging.getLogger(__name__)


@dataclass
class RestoreResult:
    restored_from: Path
    database: Path
    kept_aside: list[Path] = field(default_factory=list)
    check: BackupCheck | None = None


def restore(backup: Path | str, db: Path | str, allow_other_hall: bool = False,
            expect_hall_name: str = "", now: datetime | None = None) -> RestoreResult:
    """Put ``backup`` in place of ``db``; the current database (and its -wal/-shm) is kept aside.

    Same hall: the backup's ``hall_id`` must be the current database's; when the current
    one cannot be read (the usual reason to restore), its hall name must be
    ``expect_hall_name`` (the config's). ``allow_other_hall`` skips both.
    """
    backup, db = Path(backup), Path(db)
    if backup.resolve() == db.resolve():
        raise BackupError(f"{backup} 就是数据库本身，请给出一个备份文件 (is the database itself; name a backup file)")
    if not db.parent.is_dir():
        raise BackupError(f"数据库文件夹 {db.parent} 不存在，检查 --db 或 $JIAOHAO_DB "
                          "(the database folder does not exist; check --db / $JIAOHAO_DB)")
    found = check_backup(backup, "full")
    if not found.ok:
        raise BackupError(f"{backup} 不能恢复 (cannot be restored): {found.problem}")
    users = users_of(db)
    if users:
        who = "; ".join(f"pid {pid}: {cmd}" for pid, cmd in users)
        raise BackupError(f"数据库 {db} 正被 {len(users)} 个程序打开（{who}），先停掉它们再恢复 "
                          f"(the database is open in {len(users)} process(es); stop them first: "
                          "sudo systemctl stop jiaohao-serve; systemctl --user stop jiaohao-kiosk "
                          "jiaohao-screen on the kiosk and screen PCs; then restore again)")
    if not allow_other_hall:
        current = _current_identity(db) if db.exists() else None
        if current and current[0] and found.hall_id:
            other = current[0] != found.hall_id
            this = current[1] or current[0]
        else:
            other = bool(expect_hall_name and found.hall_name and found.hall_name != expect_hall_name)
            this = expect_hall_name
        if other:
            raise BackupError(f"{backup} 是另一个大厅（{found.hall_name or found.hall_id}）的备份，不是本大厅"
                              f"（{this}）的；只有确实要替换本大厅的记录时才加 --other-hall "
                              f"(a backup of another hall, not of this one; add --other-hall only if you really "
                              "mean to replace this hall's records)")
    now = now or datetime.now()
    staged = db.with_name(f".{db.name}.restoring")
    staged.unlink(missing_ok=True)
    try:
        os.close(os.open(staged, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o660))
        os.chmod(staged, 0o660)  # the database is shared by serve and the kiosk (group jiaohao)
        src = open_readonly(backup, immutable=True)
        dst = sqlite3.connect(str(staged), isolation_level=None)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        with open(staged, "rb+") as f:
            os.fsync(f.fileno())
        same_group(staged, db.parent)
    except (OSError, sqlite3.Error) as e:
        staged.unlink(missing_ok=True)
        raise BackupError(f"在 {db.parent} 写不了恢复出来的数据库，什么也没改 "
                          f"(cannot write the restored database beside {db}; nothing was changed): {e}") from None
    aside = _set_aside(db, now)
    os.replace(staged, db)
    fsync_dir(db.parent)
    log.info("restored %s from %s; the previous database is kept as %s", db, backup,
                ", ".join(map(str, aside)) or "(there was none)")
    return RestoreResult(backup, db, aside, found)


def _current_identity(db: Path) -> tuple[str, str] | None:
    try:
        conn = open_readonly(db)
        try:
            return read_identity(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # damaged: the reason to restore; nothing to compare with


def _set_aside(db: Path, now: datetime) -> list[Path]:
    """Rename the database and its -wal/-shm to ``<name>.before-restore-<time>[-wal|-shm]``.

    They move together, so SQLite can still open the set-aside copy with its WAL, and no
    stale -wal/-shm stays beside the restored file to be mistaken for its own.
    """
    base = db.with_name(f"{db.name}.before-restore-{now.strftime(STAMP)}")
    moved = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        src = Path(f"{db}{suffix}")
        if src.exists():
            target = Path(f"{base}{suffix}")
            os.replace(src, target)
            moved.append(target)
    return moved
