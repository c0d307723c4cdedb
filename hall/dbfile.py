"""The queue database as a file on disk: what may be opened, how a new one is made, and
what every SQLite failure means in words.

- A database path whose folder does not exist is an error (no folder is ever made
  here); a missing file in an existing folder becomes a new hall; a 0-byte file, a
  directory, a device, a non-SQLite file or another program's SQLite file is refused.
- A new database appears atomically (built under a temporary name, then hard-linked
  into place), carries the hall's identity (``meta.hall_id``, a UUID, and in its
  header ``application_id`` = jiaohao and ``user_version`` = a 31-bit tag of that
  UUID) and, in a group-shared folder, mode 0660 — SQLite gives its ``-wal``/``-shm``
  the database's mode, so every member of the group can write all three.
- Every jiaohao transaction rewrites page 1 (``user_version``), so a WAL written by
  jiaohao carries the hall's tag; a ``-wal`` whose page 1 shows another tag belongs to
  another database and is refused before anything could replay it into this one.
"""
from __future__ import annotations

import errno
import logging
import os
import sqlite3
import stat
import struct
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from .errors import DatabaseProblem

log = logging.getLogger(__name__)

APPLICATION_ID = 0x4A69_6148  # "JiaH" in the SQLite header (offset 68)
SQLITE_MAGIC = b"SQLite format 3\x00"
SHARED_MODE = 0o660   # database, -wal and -shm in a group-shared (g+w) folder
PRIVATE_MODE = 0o640  # elsewhere (a user's own data folder)

RESTORE_FIX = ("停掉 jiaohao serve 和取号机，用 `jiaohao restore` 恢复最近的备份，损坏的文件留给供应商 "
               "(stop jiaohao serve and the kiosks, then restore the last backup with "
               "`jiaohao restore`; keep the damaged file for the supplier)")
NOT_HALL_FIX = ("检查 --db 或 JIAOHAO_DB，它要指向大厅的数据库 "
                "(check --db / JIAOHAO_DB: it must name the hall's database)")
READONLY_WHAT = "它所在的磁盘是只读挂载的 (the disk it is on is mounted read-only)"
READONLY_FIX = ("重新以读写方式挂载（`findmnt` 可查看），或把数据库移到可写的磁盘；只读的命令照常可用 "
                "(remount it read-write or move the database to a writable disk; commands that only read still work)")
PERMISSION_FIX = ("以那个用户运行 `jiaohao diag check`：文件夹要 2770、jiaohao 组，数据库和 -wal、-shm 要 0660、"
                  "jiaohao 组（见 README「安装」） (run `jiaohao diag check` as that user: the folder must be mode "
                  "2770 group jiaohao and the database, -wal and -shm 0660 group jiaohao; see README, installing)")


def tag_of(hall_id: str) -> int:
    """The 31-bit tag of a hall id kept in the header's user_version."""
    return uuid.UUID(hall_id).int & 0x7FFF_FFFF or 1


# Open descriptors of database files whose header this process has read, by (device, inode).
# They are never closed: SQLite's locks are POSIX locks, which belong to the process, and
# closing ANY descriptor of a file drops all of them, those of the process's open SQLite
# connections included. Another process then believes it holds the last connection,
# checkpoints and deletes the -wal and -shm, and this process goes on writing into the
# deleted ones: its commits are lost (https://www.sqlite.org/howtocorrupt.html, 2.2).
# `jiaohao serve` opens connections while others are open (the hall API's readers).
_header_fds: dict[tuple[int, int], int] = {}
_header_lock = threading.Lock()


def read_header(path: str, size: int = 100) -> bytes:
    """The first ``size`` bytes of the file, read through a descriptor this process keeps
    open (see ``_header_fds``). OSError as ``open()`` raises it."""
    with _header_lock:
        st = os.stat(path)
        fd = _header_fds.get((st.st_dev, st.st_ino))
        if fd is None:
            _forget_deleted()
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            st = os.fstat(fd)  # (the file it opened, should it have been replaced meanwhile)
            _header_fds.setdefault((st.st_dev, st.st_ino), fd)
    return os.pread(fd, size, 0)


def _forget_deleted() -> None:
    """Close the kept descriptors of files deleted since: no process can open those any
    more, so their locks protect nothing (a test session makes thousands of halls)."""
    for key, fd in list(_header_fds.items()):
        try:
            gone = os.fstat(fd).st_nlink == 0
        except OSError:
            gone = True
        if gone:
            del _header_fds[key]
            try:
                os.close(fd)
            except OSError:
                pass


def release_unused() -> int:
    """Close the kept descriptors of files no other descriptor of this process is open on
    (no SQLite connection of this process has them open, so no lock of ours is on them).
    For long sessions that open many halls one after another (the test suite); returns how
    many it closed."""
    with _header_lock:
        kept = {fd: key for key, fd in _header_fds.items()}
        in_use: set[tuple[int, int]] = set()
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd in kept:
                continue
            try:
                st = os.fstat(fd)
            except OSError:
                continue
            in_use.add((st.st_dev, st.st_ino))
        closed = 0
        for fd, key in kept.items():
            if key not in in_use:
                del _header_fds[key]
                try:
                    os.close(fd)
                except OSError:
                    pass
                closed += 1
        return closed


def header_ids(path: str) -> tuple[int, int] | None:
    """(application_id, user_version) from the file's own header, ignoring any WAL."""
    try:
        head = read_header(path)
    except OSError:
        return None
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        return None
    user_version, = struct.unpack(">i", head[60:64])
    application_id, = struct.unpack(">i", head[68:72])
    return application_id, user_version


def check_path(path: str, *, may_create: bool) -> bool:
    """Refuse what must not be opened; True when the file is missing and may be created."""
    p = Path(path)
    folder = p.parent
    if not folder.is_dir():
        what = (f"文件夹不存在 (the folder {folder} does not exist)" if not folder.exists()
                else f"不是文件夹 ({folder} is not a folder)")
        raise DatabaseProblem("folder_missing", path, what,
                              "检查 --db 或 JIAOHAO_DB 有没有打错字，新大厅只会建在已有的文件夹里 "
                              "(check --db / JIAOHAO_DB for a typing mistake "
                              "(a new hall is only made in a folder that exists))")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if not may_create:
            raise DatabaseProblem("missing", path, "这里没有数据库 (there is no database here)",
                                  "检查 --db 或 JIAOHAO_DB；大厅的数据库由 jiaohao serve 或取第一张票时建立 "
                                  "(check --db / JIAOHAO_DB; the hall's database is made by "
                                  "`jiaohao serve` or the first ticket issued)") from None
        return True
    except PermissionError:
        raise DatabaseProblem("cannot_open", path, "没有权限查看它的文件夹 (no permission to look into its folder)",
                              PERMISSION_FIX) from None
    if stat.S_ISDIR(st.st_mode):
        raise DatabaseProblem("not_a_file", path, "这是文件夹，不是数据库文件 (this is a folder, not a database file)",
                              f"写出里面的文件 (give the file inside it), e.g. --db {p / 'hall.sqlite'}")
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseProblem("not_a_file", path, "这不是普通文件 (this is not a regular file (a device or a pipe))",
                              "写出大厅数据库文件的路径 (give the path of the hall's database file), "
                              "e.g. /var/lib/jiaohao/hall.sqlite")
    if st.st_size == 0:
        raise DatabaseProblem("empty", path, "文件是空的（0 字节），不是 jiaohao 数据库 "
                              "(the file is empty (0 bytes), not a jiaohao database)",
                              "复制中断了？用 `jiaohao restore` 恢复最近的备份，或删掉这个空文件来建新大厅 "
                              "(an interrupted copy? restore the last backup with `jiaohao restore`, or "
                              "delete the empty file to start a new hall)")
    try:
        head = read_header(path)
    except PermissionError:
        raise DatabaseProblem("cannot_open", path, "没有权限读这个文件 (no permission to read the file)",
                              PERMISSION_FIX) from None
    if not head.startswith(SQLITE_MAGIC):
        raise DatabaseProblem("not_sqlite", path, "这个文件不是 SQLite 数据库 (this file is not a SQLite database)",
                              "检查 --db 或 JIAOHAO_DB，它要指向大厅的数据库 (check --db / JIAOHAO_DB: it must "
                              "name the hall's database, e.g. /var/lib/jiaohao/hall.sqlite)")
    app_id = header_ids(path)
    if app_id is not None and app_id[0] not in (0, APPLICATION_ID):
        raise DatabaseProblem("not_jiaohao", path, "这是别的程序的 SQLite 数据库 (this is another program's "
                              "SQLite database)", NOT_HALL_FIX)
    return False


def check_jiaohao_tables(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a SQLite file that jiaohao did not make (no ``migrations`` table)."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if "migrations" not in names or "meta" not in names:
        raise DatabaseProblem("not_jiaohao", path, "这个 SQLite 数据库不是 jiaohao 建的 (this SQLite database "
                              "was not made by jiaohao)", NOT_HALL_FIX)


def check_wal(path: str) -> None:
    """Refuse a ``-wal`` that belongs to another database, before any writer could replay it.

    SQLite accepts any WAL whose frames match its own header's salts and checksums; nothing
    in it names the database it was written for, so a stale WAL of another file is replayed
    as if it were this file's newest pages. jiaohao's WALs carry page 1 with the hall's tag:
    read page 1 (and the hall id in ``meta``, for a WAL of cursor writes only) through the
    WAL on a read-only connection, which never checkpoints, and compare them with the
    file's own header."""
    wal = path + "-wal"
    try:
        if os.path.getsize(wal) <= 32:
            return
    except OSError:
        return
    own = header_ids(path)
    if own is None or own[0] != APPLICATION_ID:
        return  # a database from before the identity: nothing to compare with
    try:
        ro = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return
    try:
        seen = (ro.execute("PRAGMA application_id").fetchone()[0],
                ro.execute("PRAGMA user_version").fetchone()[0])
        if seen == own:  # page 1 agrees (or is not in the WAL): so must the hall id in meta
            row = ro.execute("SELECT value FROM meta WHERE key = 'hall_id'").fetchone()
            if row is None or tag_of(row[0]) != own[1]:
                seen = None
    except (sqlite3.DatabaseError, ValueError) as e:
        if isinstance(e, ValueError) or _code(e) in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
            seen = None
        else:
            return  # busy or no permission: the open that follows says so
    finally:
        ro.close()
    if seen != own:
        raise DatabaseProblem("foreign_wal", path, f"{wal} 属于另一个数据库，打开它会用那边的数据替换本大厅的数据 "
                              f"(the file {wal} belongs to another database (opening it would replace this "
                              "hall's data with that one's))",
                              f"停掉所有 jiaohao 程序，把 {wal} 和 {path}-shm 移出文件夹，再启动，里面没有本大厅的数据 "
                              f"(stop every jiaohao program, move {wal} and {path}-shm out of the folder, then start again "
                              "(nothing of this hall is in them))")


def shared_folder(path: str) -> bool:
    """True when the database's folder is group-writable: the installed, shared layout."""
    try:
        return bool(os.stat(os.path.dirname(os.path.abspath(path))).st_mode & stat.S_IWGRP)
    except OSError:
        return False


def create(path: str, build) -> bool:
    """Make a new database at ``path`` atomically; ``build(conn)`` fills it (schema, identity).

    False when another process made it first (then it is opened like any other)."""
    mode = SHARED_MODE if shared_folder(path) else PRIVATE_MODE
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.new-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        os.unlink(tmp)  # left by a process of ours that died: it was never linked
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as e:
        raise explain_os(e, path) from None
    try:
        os.fchmod(fd, mode)  # past the umask: the group must be able to write
        os.close(fd)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            build(conn)
        finally:
            conn.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            if os.path.exists(path):  # a file system without hard links: nearly atomic
                return False
            os.rename(tmp, path)
    except sqlite3.Error as e:
        raise explain(e, path) from None
    except OSError as e:
        raise explain_os(e, path) from None
    finally:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
    log.info("made a new hall database at %s (mode %o)", path, mode)
    return True


@contextmanager
def committed(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Commit what the block does in the transaction its caller began (BEGIN IMMEDIATE or
    hall.db.begin_immediate). On any exception roll back, unless SQLite has already (after
    SQLITE_FULL or an I/O error a second ROLLBACK would hide the real reason), and re-raise.
    A block may end the transaction itself (a ROLLBACK when there is nothing to do)."""
    try:
        yield conn
        if conn.in_transaction:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error as e:
                log.warning("rollback after a failed transaction: %s", e)
        raise


def set_identity(conn: sqlite3.Connection, hall_name: str | None) -> str:
    """Give the database its hall id (once) and stamp its header; returns the hall id."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'hall_id'").fetchone()
    if row is not None and conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        return row[0]
    conn.execute("BEGIN IMMEDIATE")
    with committed(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = 'hall_id'").fetchone()
        hall_id = row[0] if row else str(uuid.uuid4())
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('hall_id', ?)", (hall_id,))
        if hall_name:
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('hall_name', ?)", (hall_name,))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {tag_of(hall_id)}")
    return hall_id


def fix_own_modes(path: str) -> list[str]:
    """In a shared (group-writable) folder, give the database files this user owns the
    folder's group and group read/write: heals a database made 0640 by an older version or
    a -wal made with a user's own group before the folder was setgid. Files of other users
    are left to ``diag check``."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fst = os.stat(folder)
    except OSError:
        return []
    if not fst.st_mode & stat.S_IWGRP:
        return []
    fixed = []
    me = os.geteuid()
    for f in (path, path + "-wal", path + "-shm"):
        try:
            st = os.stat(f)
            if st.st_uid != me:
                continue
            if st.st_gid != fst.st_gid:  # e.g. made before the folder was setgid
                os.chown(f, -1, fst.st_gid)
                fixed.append(f"{f}: group")
            if st.st_mode & 0o060 != 0o060:
                os.chmod(f, stat.S_IMODE(st.st_mode) | 0o060)
                fixed.append(f"{f}: mode")
        except OSError:
            continue
    for f in fixed:
        log.info("shared database folder: gave the group read/write (%s)", f)
    return fixed


def _code(e: BaseException) -> str:
    name = getattr(e, "sqlite_errorname", "") or ""  # e.g. SQLITE_IOERR_SHORT_READ
    return "_".join(name.split("_")[:2])


def explain(e: BaseException, path) -> DatabaseProblem | None:
    """What an SQLite (or file) error on the queue database means, in words; None if unknown."""
    if isinstance(e, DatabaseProblem):
        return e
    if isinstance(e, OSError):
        return explain_os(e, path)
    if not isinstance(e, sqlite3.Error):
        return None
    code, text = _code(e), str(e)
    path = str(path)
    if code == "SQLITE_FULL" or "disk is full" in text or (code == "SQLITE_IOERR" and _disk_full(path)):
        return DatabaseProblem("full", path, "磁盘满了 (the disk is full (SQLite could not write))",
                               f"腾出 {os.path.dirname(os.path.abspath(path))} 所在磁盘的空间（`df -h` 可查看），"
                               "什么也没改动 (free space on that disk; nothing was changed)")
    if code in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in text:
        return DatabaseProblem("busy", path, "数据库忙，另一个程序锁住它太久了 (the database is busy: another "
                               "program held it locked too long)",
                               "再试一次；一直忙的话，对这个文件运行 `fuser -v` 可看是哪个程序 (try again; if it stays "
                               "busy, `fuser -v` on the file names the program: jiaohao itself holds the lock "
                               "for milliseconds)")
    if code in ("SQLITE_READONLY", "SQLITE_CANTOPEN") and _read_only_disk(path):
        return DatabaseProblem("readonly", path, READONLY_WHAT, READONLY_FIX)
    if code == "SQLITE_READONLY" or "readonly database" in text:
        return DatabaseProblem("readonly", path, f"不能写入 (cannot write it ({_unwritable(path)}))", PERMISSION_FIX)
    if code in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a database" in text:
        return DatabaseProblem("corrupt", path, "数据库已损坏 (the database is damaged)", RESTORE_FIX)
    if "decode" in text:  # a text value that is not UTF-8: a damaged row
        return DatabaseProblem("corrupt", path, "数据库有一行记录损坏 (a row of the database is damaged)", RESTORE_FIX)
    if code in ("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH") or "unable to open" in text:
        return DatabaseProblem("cannot_open", path, f"打不开 (cannot open it ({_unwritable(path)}))", PERMISSION_FIX)
    if code == "SQLITE_IOERR" or "disk I/O" in text:
        return DatabaseProblem("io", path, f"磁盘出错 (the disk gave an error ({text}))",
                               "检查剩余空间（`df -h`）和磁盘（`dmesg`），再运行 `jiaohao diag check` "
                               "(check free space and the disk, then `jiaohao diag check`)")
    return None


def check_writable(path: str) -> None:
    """Refuse before SQLite opens a database this user cannot write: opening it anyway
    makes a -wal and -shm that this user owns with the database's mode, and those lock
    the other users out after this process has failed (the kiosk crash loop of issue 19)."""
    unwritable = [f for f in (path, path + "-wal", path + "-shm") if os.path.exists(f) and not os.access(f, os.W_OK)]
    if not unwritable:
        return
    if _read_only_disk(path):
        raise DatabaseProblem("readonly", path, READONLY_WHAT, READONLY_FIX)
    raise DatabaseProblem("readonly", path, f"不能写入 (cannot write it ({_unwritable(path)}))", PERMISSION_FIX)


def _unwritable(path: str) -> str:
    """Which of the folder, database, -wal and -shm this user cannot write, in words."""
    folder = os.path.dirname(os.path.abspath(path))
    for f in (path, path + "-wal", path + "-shm", folder):
        try:
            st = os.stat(f)
        except OSError:
            continue
        if not os.access(f, os.W_OK):
            return (f"{os.path.basename(f) if f != folder else 'its folder'} is mode "
                    f"{stat.S_IMODE(st.st_mode):04o}, owner {st.st_uid} group {st.st_gid}: "
                    f"user {os.geteuid()} may not write it")
    return "read-only file, folder or disk"


def _disk_full(path: str) -> bool:
    """Less than 1 MB free where the database is: an I/O error there is the disk being full
    (growing the -wal or -shm fails with ENOSPC, which SQLite reports as SQLITE_IOERR)."""
    try:
        st = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1_000_000


def _read_only_disk(path: str) -> bool:
    try:
        return bool(os.statvfs(os.path.dirname(os.path.abspath(path))).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def explain_sqlite(e: BaseException, path) -> BaseException:
    """``e`` as a :class:`DatabaseProblem` when it is an SQLite error we can put in words."""
    if isinstance(e, sqlite3.Error):
        return explain(e, path) or e
    return e


def explain_os(e: OSError, path) -> DatabaseProblem:
    path = str(path)
    if e.errno == errno.ENOSPC:
        return DatabaseProblem("full", path, "磁盘满了 (the disk is full)",
                               f"腾出 {path} 所在磁盘的空间 (free space on the disk that holds it)")
    if e.errno in (errno.EACCES, errno.EPERM):
        return DatabaseProblem("cannot_open", path, f"没有权限 (no permission ({e.strerror}))", PERMISSION_FIX)
    if e.errno == errno.EROFS:
        return DatabaseProblem("readonly", path, "磁盘是只读挂载的 (the disk is mounted read-only)",
                               "数据库需要可写的磁盘，检查挂载（`findmnt`） (the database needs a writable disk; "
                               "check the mount)")
    return DatabaseProblem("io", path, f"读写出错 (cannot read or write it): {e.strerror or e}",
                           "检查磁盘和路径，再运行 `jiaohao diag check` (check the disk and the path, then "
                           "`jiaohao diag check`)")
