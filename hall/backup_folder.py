"""The folder of backups: where it is, what a backup file is named, which backups it holds,
and rotation (which of them to keep). Taking a backup is ``backup.py``, checking one
``backup_check.py``, restoring one ``backup_restore.py``, scheduling ``backup_schedule.py``.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .errors import HallError

log = logging.getLogger(__name__)

FILE_MODE = 0o640      # owner writes; the group (jiaohao) may read, copy and restore
FOLDER_MODE = 0o2770   # like the database folder: setgid, so files keep group jiaohao
STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})\.sqlite$")


class BackupError(HallError):
    """A backup could not be made, checked or restored; the message says why and what to do."""

    code = "backup"


@dataclass
class BackupInfo:
    """One backup file in a backup folder."""

    path: Path
    taken_at: datetime
    size: int


def backup_name(db: Path | str, at: datetime) -> str:
    """``hall-20261129-093000.sqlite`` for the database ``hall.sqlite``."""
    return f"{Path(db).stem}-{at.strftime(STAMP)}.sqlite"


def default_folder(db: Path | str, folder: str = "") -> Path:
    """The configured folder, or ``backups`` beside the database."""
    return Path(folder).expanduser() if folder else Path(db).resolve().parent / "backups"


def ensure_folder(folder: Path, default: bool) -> None:
    """Create the default folder (mode 2770, like the database's); a configured one must exist.

    A configured folder that is missing is most often an unmounted disk: writing into
    an empty mount point would fill the system disk with "backups" nobody looks for.
    """
    if folder.is_dir():
        return
    if not default:
        raise BackupError(f"备份文件夹 {folder} 不存在 (backup folder does not exist): "
                          "create it or mount its disk, or fix [backup] folder in the hall config")
    try:
        folder.mkdir(mode=FOLDER_MODE)
        os.chmod(folder, FOLDER_MODE)
        same_group(folder, folder.parent)
    except OSError as e:
        raise BackupError(f"建不了备份文件夹 {folder} (cannot create the backup folder): {e.strerror}") from None


def list_backups(folder: Path, stem: str | None = None) -> list[BackupInfo]:
    """Backups in ``folder`` (of the database named ``stem`` when given), newest first."""
    out = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for e in entries:
        m = _NAME.match(e.name)
        if not m or (stem is not None and m["stem"] != stem) or not e.is_file():
            continue
        try:
            taken = datetime.strptime(m["stamp"], STAMP)
            size = e.stat().st_size
        except (ValueError, OSError):
            continue
        out.append(BackupInfo(Path(e.path), taken, size))
    return sorted(out, key=lambda b: b.taken_at, reverse=True)


def to_rotate(backups: list[BackupInfo], keep: int, keep_daily: int) -> list[BackupInfo]:
    """Which backups go: all but the newest ``keep``, and the newest of each of the
    ``keep_daily`` latest days before those (a corruption found a week later still has a
    good copy to go back to)."""
    backups = sorted(backups, key=lambda b: b.taken_at, reverse=True)
    kept = backups[:keep]
    days_kept: set[date] = set()
    for b in backups[keep:]:
        day = b.taken_at.date()
        if day in days_kept or len(days_kept) >= keep_daily:
            continue
        if any(k.taken_at.date() == day for k in kept):
            continue  # that day already has a copy among the newest
        days_kept.add(day)
        kept.append(b)
    return [b for b in backups if b not in kept]


def rotate(folder: Path, stem: str, keep: int, keep_daily: int) -> list[Path]:
    """Remove the backups of ``stem`` that :func:`to_rotate` lets go; the paths removed."""
    removed = []
    for b in to_rotate(list_backups(folder, stem), keep, keep_daily):
        try:
            b.path.unlink()
            removed.append(b.path)
        except OSError as e:
            log.warning("could not remove old backup %s: %s", b.path, e)
    return removed


def same_group(path: Path, like: Path) -> None:
    """Give ``path`` the group of ``like`` (the database's or its folder's: group jiaohao)."""
    try:
        gid = like.stat().st_gid
        if path.stat().st_gid != gid:
            os.chown(path, -1, gid)
    except OSError:
        pass  # not a member of that group: the setgid folder normally gives it anyway


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
