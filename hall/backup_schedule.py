"""The scheduled backup that `jiaohao serve` runs, and the age of the last good backup.

Rule: a backup every ``interval_minutes`` while the hall's record changes (new events),
and one right after the business day is closed (the ``day_closed`` event at the first
operation of a new day). A quiet night or a closed weekend makes no identical copies, so
``keep`` copies reach back over real working hours, not over empty nights.
"""
from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from config.schema import Backup

from .backup import backup_into
from .backup_check import check_backup, open_readonly
from .backup_folder import BackupError, BackupInfo, default_folder, ensure_folder, list_backups
from .checkpointer import Checkpointer

log = logging.getLogger(__name__)

RETRY_S = 300.0  # after a failed backup (disk full, folder gone): try again in 5 minutes


def last_event_id(path: Path | str, backup: bool = False) -> int:
    """The newest event id in a database (0 for none), read without writing anything."""
    conn = open_readonly(path, immutable=backup)
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    finally:
        conn.close()


def day_closed_after(path: Path | str, event_id: int) -> bool:
    conn = open_readonly(path)
    try:
        return conn.execute("SELECT 1 FROM events WHERE id > ? AND kind = 'day_closed' LIMIT 1",
                            (event_id,)).fetchone() is not None
    finally:
        conn.close()


def created_at(path: Path | str) -> float:
    """When the database was created (its first migration), as a timestamp."""
    try:
        conn = open_readonly(path)
        try:
            return conn.execute("SELECT coalesce(min(applied_at), 0) FROM migrations").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0.0  # unreadable: as old as can be, so a missing backup is reported


def remove_leftovers(folder: Path, stem: str) -> None:
    """Half-written backups of a run that was killed (serve stopped in the middle)."""
    for p in folder.glob(f".{stem}-*.sqlite.part*"):
        try:
            p.unlink()
            log.info("删除了未完成的备份 (removed an unfinished backup) %s", p)
        except OSError:
            pass


def free_space_problem(db: Path, folder: Path) -> str:
    """A sentence when the backup folder's disk cannot take one more copy of ``db``."""
    need = db.stat().st_size * 1.1 + 64 * 2**20
    free = shutil.disk_usage(folder).free
    if free < need:
        return (f"{folder} 所在磁盘只剩 {free / 2**20:,.0f} MiB，备份这个数据库约需 {need / 2**20:,.0f} MiB；"
                f"调小 [backup] keep 或把备份文件夹放到更大的磁盘上 (the disk of {folder} has {free / 2**20:,.0f} MiB "
                f"free; a backup of this database needs about {need / 2**20:,.0f} MiB: lower [backup] keep or put "
                "the folder on a larger disk)")
    return ""


class BackupSchedule:
    """Takes the hall's backups from a background thread; a component of `jiaohao serve`."""

    name = "backups"

    def __init__(self, db: Path | str, cfg: Backup, poll_s: float = 30.0, first_delay_s: float = 60.0,
                 clock=datetime.now):
        self.db = Path(db)
        self.cfg = cfg
        self.folder = default_folder(db, cfg.folder)
        self.poll_s = poll_s
        self.first_delay_s = first_delay_s
        self.clock = clock
        self.taken: list[BackupInfo] = []
        self.last_error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backups", daemon=True)
        self._backed_event = -1   # newest event id in the newest backup
        self._next_try = 0.0      # monotonic time before which no backup is attempted

    def start(self) -> None:
        if self.cfg.interval_minutes <= 0:
            log.info("定时备份已关闭 (scheduled backups are off: [backup] interval_minutes = 0)")
            return
        self._next_try = time.monotonic() + self.first_delay_s
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)  # a backup running now finishes or is abandoned (daemon)

    def _run(self) -> None:
        Checkpointer.background_priority()  # the copy competes with the queue for the CPU
        try:
            ensure_folder(self.folder, default=not self.cfg.folder)
            remove_leftovers(self.folder, self.db.stem)
            newest = list_backups(self.folder, self.db.stem)
            if newest:
                self._backed_event = last_event_id(newest[0].path, backup=True)
        except (BackupError, sqlite3.Error, OSError) as e:
            self._failed(str(e))
        while not self._stop.wait(min(self.poll_s, max(0.05, self._next_try - time.monotonic()))):
            if time.monotonic() < self._next_try:
                continue
            try:
                if self.due():
                    self.run_once()
            except (BackupError, sqlite3.Error, OSError) as e:
                self._failed(str(e))

    def due(self) -> bool:
        """A backup is due when events were added since the last one and the interval has
        passed, or at once when the business day has been closed since."""
        if not self.db.exists():
            return False
        current = last_event_id(self.db)
        if current <= self._backed_event:
            return False
        if self._backed_event >= 0 and day_closed_after(self.db, self._backed_event):
            return True
        newest = list_backups(self.folder, self.db.stem)
        if not newest:
            return True
        age = (self.clock() - newest[0].taken_at).total_seconds()
        return age >= self.cfg.interval_minutes * 60 - self.poll_s / 2

    def run_once(self) -> BackupInfo:
        ensure_folder(self.folder, default=not self.cfg.folder)
        problem = free_space_problem(self.db, self.folder)
        if problem:
            raise BackupError(problem)
        event = last_event_id(self.db)  # read first: the copy holds at least this much
        result, removed = backup_into(self.db, self.folder, self.cfg.keep, self.cfg.keep_daily, now=self.clock())
        self._backed_event = max(event, last_event_id(result.path, backup=True))
        self.last_error = ""
        info = BackupInfo(result.path, self.clock(), result.size)
        self.taken.append(info)
        log.info("backup %s: %.0f MiB, read for %.1f s, checked in %.1f s; %d old backup(s) removed",
                 result.path.name, result.size / 2**20, result.copy_s, result.check_s, len(removed))
        return info

    def _failed(self, why: str) -> None:
        self.last_error = why
        self._next_try = time.monotonic() + RETRY_S
        log.error("备份失败 (backup failed): %s；%.0f 分钟后重试 (trying again in %.0f minutes)", why, RETRY_S / 60, RETRY_S / 60)


@dataclass
class BackupAge:
    """How old the newest good backup is, in words, and whether that is too old."""

    ok: bool
    detail: str
    fix: str = ""


def _age_parts(seconds: float) -> list[tuple[int, str]]:
    """An age as at most two (count, unit) parts, unit ``d``/``h``/``m``; [] under a minute."""
    m = int(seconds // 60)
    if m < 60:
        return [(m, "m")] if m >= 1 else []
    h, m = divmod(m, 60)
    if h < 48:
        return [(h, "h")] + ([(m, "m")] if m and h < 10 else [])
    d, h = divmod(h, 24)
    return [(d, "d")] + ([(h, "h")] if h else [])


_EN = {"d": "day", "h": "hour", "m": "minute"}
_ZH = {"d": "天", "h": "小时", "m": "分钟"}


def in_words(seconds: float) -> str:
    """``3 hours 20 minutes`` … ``2 days 4 hours``: an age a technician reads at a glance."""
    parts = _age_parts(seconds)
    if not parts:
        return "less than a minute"
    return " ".join(f"{n} {_EN[u]}{'s' * (n != 1 or u == 'd')}" for n, u in parts)


def in_words_zh(seconds: float) -> str:
    """``3 小时 20 分钟`` … ``2 天 4 小时``: :func:`in_words` for a Chinese reader."""
    parts = _age_parts(seconds)
    return " ".join(f"{n} {_ZH[u]}" for n, u in parts) if parts else "不到 1 分钟"


def ago(seconds: float) -> str:
    """``14 分钟前 (14 minutes ago)``: an age, Chinese first."""
    seconds = max(0.0, seconds)
    return f"{in_words_zh(seconds)}前 ({in_words(seconds)} ago)"


def backup_age(db: Path | str, cfg: Backup, now: datetime | None = None) -> BackupAge:
    """The newest backup of ``db`` that passes a quick look, its age, and a warning past
    ``warn_after_hours`` (or when backups are off)."""
    db = Path(db)
    now = now or datetime.now()
    folder = default_folder(db, cfg.folder)
    if not db.exists():
        return BackupAge(True, f"还没有数据库 {db}，无需备份 (no database yet, nothing to back up)")
    for b in list_backups(folder, db.stem):
        found = check_backup(b.path, "look")
        if not found.ok:
            continue
        age = (now - b.taken_at).total_seconds()
        zh, en = in_words_zh(max(0.0, age)), in_words(max(0.0, age))
        when = f"{b.taken_at:%Y-%m-%d %H:%M}, {b.path}"
        if age > cfg.warn_after_hours * 3600:
            return BackupAge(False, f"最近一次完好的备份：{zh}前，超过 {cfg.warn_after_hours:g} 小时了 "
                                    f"(last good backup {en} ago, older than {cfg.warn_after_hours:g} hours; {when})",
                             "jiaohao serve 在运行吗？它的日志写着备份为什么失败（journalctl -u jiaohao-serve | grep "
                             "backup）；现在就用 `jiaohao backup` 备份一次 (is `jiaohao serve` running? Its log says "
                             "why backups fail; take one now with `jiaohao backup`)")
        return BackupAge(True, f"最近一次完好的备份：{zh}前 (last good backup {en} ago; {when})")
    age = now.timestamp() - created_at(db)
    if age < cfg.warn_after_hours * 3600:
        return BackupAge(True, f"{folder} 里还没有备份；数据库建立才 {in_words_zh(age)}，jiaohao serve 会做第一次备份 "
                               f"(no backup yet; the database is {in_words(age)} old: `jiaohao serve` takes the first one)")
    return BackupAge(False, f"{folder} 里没有完好的备份 (no good backup in {folder})",
                     "启动 jiaohao serve（它定时备份）或现在就用 `jiaohao backup` 备份一次；检查大厅配置里的 "
                     "[backup] folder (start `jiaohao serve`, it takes the backups, or take one now with "
                     "`jiaohao backup`; check [backup] folder in the hall config)")
