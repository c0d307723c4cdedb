"""Online backups of the queue database, checking a backup, and restoring one.

A backup is one call of SQLite's online backup API copying every page in a single step:
that is one read transaction on the live database, so in WAL mode writers go on while it
runs (a stepped backup would restart from scratch at every commit of another process).
The copy is written under a hidden ``.part`` name, checked (``PRAGMA quick_check`` and
"is this a jiaohao database"), synced and only then renamed into place, so every file
named like a backup was good when it was taken. Scheduling lives in ``schedule.py``.

Restoring never destroys anything: the current database and its ``-wal``/``-shm`` are
renamed aside together (the WAL may hold the newest transactions), and it is refused
while any process still has the database open.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import struct
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from .backup_space import disk_full_message, out_of_space
from .db import readonly_uri
from .errors import HallError

log = logging.getLogger(__name__)

FILE_MODE = 0o640      # owner writes; the group (jiaohao) may read, copy and restore
FOLDER_MODE = 0o2770   # like the database folder: setgid, so files keep group jiaohao
_STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})\.sqlite$")


class BackupError(HallError):
    """A backup could not be made, checked or restored; the message says why and what to do."""

    code = "backup"


@dataclass
class BackupResult:
    path: Path
    size: int
    copy_s: float    # the read transaction on the live database lasted this long
    check_s: float


@dataclass
class BackupInfo:
    """One backup file in a backup folder."""

    path: Path
    taken_at: datetime
    size: int


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


@dataclass
class RestoreResult:
    restored_from: Path
    database: Path
    kept_aside: list[Path] = field(default_factory=list)
    check: BackupCheck | None = None


# -- names and folders --------------------------------------------------------
def backup_name(db: Path | str, at: datetime) -> str:
    """``hall-20261129-093000.sqlite`` for the database ``hall.sqlite``."""
    return f"{Path(db).stem}-{at.strftime(_STAMP)}.sqlite"


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
        _same_group(folder, folder.parent)
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
            taken = datetime.strptime(m["stamp"], _STAMP)
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
    removed = []
    for b in to_rotate(list_backups(folder, stem), keep, keep_daily):
        try:
            b.path.unlink()
            removed.append(b.path)
        except OSError as e:
            log.warning("could not remove old backup %s: %s", b.path, e)
    return removed


# -- taking a backup -------------------------------------------------------------
def _open_ro(path: Path | str, immutable: bool = False) -> sqlite3.Connection:
    """Read-only; ``immutable`` for a backup file: no locks and no -wal/-shm created beside it."""
    # the live database through readonly_uri: a non-writer never makes its -wal/-shm
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1" if immutable else readonly_uri(str(path))
    return sqlite3.connect(uri, uri=True, timeout=15.0,
                           isolation_level=None, check_same_thread=False)


def _same_group(path: Path, like: Path) -> None:
    try:
        gid = like.stat().st_gid
        if path.stat().st_gid != gid:
            os.chown(path, -1, gid)
    except OSError:
        pass  # not a member of that group: the setgid folder normally gives it anyway


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        src = _open_ro(db)
    except sqlite3.Error as e:
        raise BackupError(f"打不开 {db}，无法备份 (cannot open it to back it up): {e}") from None
    try:
        problem = _jiaohao_problem(src)
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
        _same_group(part, db)
        os.replace(part, dest)
    except OSError as e:
        part.unlink(missing_ok=True)
        _raise_full(e, db, part)
        raise
    _fsync_dir(dest.parent)
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


# -- checking a backup --------------------------------------------------------------
def _jiaohao_problem(conn: sqlite3.Connection) -> str:
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
        conn = _open_ro(path, immutable=True)
    except sqlite3.Error as e:
        return BackupCheck(path, False, f"SQLite 打不开 (SQLite cannot open it): {e}")
    try:
        problem = _jiaohao_problem(conn)
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


# -- who has the database open ---------------------------------------------------------
def _lock_owner(path: str, start: int, length: int) -> int | None:
    """The pid of a process holding a POSIX lock on the byte range (F_GETLK), if any."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        # struct flock on Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
        req = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, req))
        return pid if kind != fcntl.F_UNLCK and pid > 0 else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _proc_locks(paths: list[str]) -> set[int]:
    """Every pid with a POSIX lock on one of ``paths`` (Linux /proc/locks)."""
    inodes = set()
    for p in paths:
        try:
            st = os.stat(p)
            inodes.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
        except OSError:
            pass
    pids = set()
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return pids
    for line in lines:
        parts = line.split()
        if len(parts) < 6 or parts[1] != "POSIX" or "->" in parts:
            continue
        try:
            major, minor, ino = parts[5].split(":")
            key = (int(major, 16), int(minor, 16), int(ino))
            pid = int(parts[4])
        except ValueError:
            continue
        if key in inodes and pid > 0:
            pids.add(pid)
    return pids


def users_of(db: Path | str) -> list[tuple[int, str]]:
    """Processes that have the database open (pid, command line), this one excluded.

    Every SQLite connection in WAL mode holds a read lock on the database's shared-lock
    range and on the -shm's "dead man switch" byte for as long as it is open.
    """
    db = str(db)
    pids = _proc_locks([db, f"{db}-shm"])
    for path, start, length in ((db, 0x40000002, 510), (f"{db}-shm", 128, 1)):
        pid = _lock_owner(path, start, length)
        if pid:
            pids.add(pid)
    pids.discard(os.getpid())
    out = []
    for pid in sorted(pids):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = ""
        out.append((pid, cmd or "?"))
    return out


# -- restoring ---------------------------------------------------------------------------
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
        src = _open_ro(backup, immutable=True)
        dst = sqlite3.connect(str(staged), isolation_level=None)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        with open(staged, "rb+") as f:
            os.fsync(f.fileno())
        _same_group(staged, db.parent)
    except (OSError, sqlite3.Error) as e:
        staged.unlink(missing_ok=True)
        raise BackupError(f"cannot write the restored database beside {db}: {e}") from None
    aside = _set_aside(db, now)
    os.replace(staged, db)
    _fsync_dir(db.parent)
    log.info("restored %s from %s; the previous database is kept as %s", db, backup,
                ", ".join(map(str, aside)) or "(there was none)")
    return RestoreResult(backup, db, aside, found)


def _current_identity(db: Path) -> tuple[str, str] | None:
    try:
        conn = _open_ro(db)
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
    base = db.with_name(f"{db.name}.before-restore-{now.strftime(_STAMP)}")
    moved = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        src = Path(f"{db}{suffix}")
        if src.exists():
            target = Path(f"{base}{suffix}")
            os.replace(src, target)
            moved.append(target)
    return moved
