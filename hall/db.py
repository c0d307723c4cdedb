"""SQLite connection settings, the named, versioned migrations of the queue database, and
its checks at opening (the file itself: :mod:`hall.dbfile`)."""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from . import dbfile, versions
from .errors import DatabaseProblem

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 15.0  # how long a writer waits for another one to finish
# SQLite's page cache of a writing connection (default 2 MB): a queue operation on the year
# database touched ~1,700 pages a minute and read some of them again 2-5 times after they
# had been pushed out; each such read can wait behind the checkpointer's write-back
# (benchmarks/sustained_bench.py, docs/backup.md). Memory is taken only as pages are read.
WRITER_CACHE_KIB = 16 * 1024


def _load_migrations() -> list[tuple[str, str]]:
    """The migrations in hall/migrations/NNNN_name.sql, in the order of their numbers
    (one file each, so branches that add one do not touch the same lines)."""
    folder = Path(__file__).with_name("migrations")
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))]


MIGRATIONS: list[tuple[str, str]] = _load_migrations()


def connect(path: Path | str, timeout_s: float = BUSY_TIMEOUT_S, *, readonly: bool = False,
            hall_name: str | None = None, create: bool = True) -> sqlite3.Connection:
    """Open the queue database: WAL, foreign keys, autocommit (transactions are explicit).

    Refuses (:class:`DatabaseProblem`) what is not this hall's database: see
    :mod:`hall.dbfile`. A missing file in an existing folder becomes a new hall when
    ``create``; ``readonly`` opens without writing anything (no migration, no new file)."""
    path = str(path)
    if path == ":memory:":
        conn = _open(path, timeout_s)
        _build(conn, hall_name)
        return conn
    if readonly:
        return connect_readonly(path, timeout_s)
    if dbfile.check_path(path, may_create=create):
        dbfile.create(path, lambda c: _build(c, hall_name))
    else:
        dbfile.check_wal(path)
        dbfile.check_writable(path)
    conn = None
    try:
        conn = _open(path, timeout_s)
        conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        _retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        dbfile.check_jiaohao_tables(conn, path)
        versions.refuse_newer(conn, path, known_migrations())
        _build(conn, hall_name)
    except (sqlite3.Error, OSError) as e:
        if conn is not None:
            conn.close()
        raise dbfile.explain(e, path) or e from None
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    dbfile.fix_own_modes(path)
    return conn


def readonly_uri(path: str) -> str:
    """The URI of a read-only connection to the live database ``path``.

    A user who may not write the database must not make its -wal/-shm either: they would
    be this user's, with the database's mode, and lock the writers out. With none there, no
    writer is running (the last one to close folds the WAL into the file), so the file is
    read as it is (``immutable``)."""
    uri = f"file:{quote(path)}?mode=ro"
    idle = not os.path.exists(path + "-wal") and not os.path.exists(path + "-shm")
    if idle and not os.access(path, os.W_OK):
        uri += "&immutable=1"
    return uri


def connect_readonly(path: str, timeout_s: float = 15.0, check: bool = True) -> sqlite3.Connection:
    """A connection that cannot write, for commands that only read (status, reports).

    Works without write access to the file or folder: while a writer runs, SQLite reads its
    -wal/-shm; with none there and a folder it may not write, the file is read as it is.
    ``check=False``: a further connection to a file already checked (no refusal checks)."""
    if check:
        dbfile.check_path(path, may_create=False)
        dbfile.check_wal(path)
    uri = readonly_uri(path)
    conn = None
    try:
        try:
            conn = _open(uri, timeout_s)
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.OperationalError:
            if conn is not None:
                conn.close()
            if os.path.exists(path + "-wal") and os.path.getsize(path + "-wal") > 0:
                raise
            # no WAL to read and no right to make the -shm: nothing is pending, read the file
            conn = _open(uri + "&immutable=1", timeout_s)
        conn.execute("PRAGMA query_only = ON")
        if check:
            dbfile.check_jiaohao_tables(conn, path)
            versions.refuse_newer(conn, path, known_migrations())
    except sqlite3.Error as e:
        if conn is not None:
            conn.close()
        raise dbfile.explain(e, path) or e from None
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    return conn


def _open(target: str, timeout_s: float) -> sqlite3.Connection:
    conn = sqlite3.connect(target, timeout=timeout_s, isolation_level=None, check_same_thread=False,
                           uri=target.startswith("file:"))
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _build(conn: sqlite3.Connection, hall_name: str | None) -> None:
    migrate(conn)
    dbfile.set_identity(conn, hall_name)
    versions.record_open(conn)


def known_migrations() -> list[str]:
    """The names of the migrations this program knows, in order."""
    return [name for name, _ in MIGRATIONS]


def hall_identity(conn: sqlite3.Connection) -> dict[str, str]:
    """hall_id and hall_name as the database records them."""
    rows = conn.execute("SELECT key, value FROM meta WHERE key IN ('hall_id', 'hall_name')").fetchall()
    return {r[0]: r[1] for r in rows}


def quick_check(conn: sqlite3.Connection, path: str) -> None:
    """SQLite's quick_check (every page and b-tree, not the indexes' contents); refuse a
    damaged database in words instead of failing later in the middle of the day."""
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check(20)").fetchall()]
    except sqlite3.Error as e:
        raise dbfile.explain(e, path) or e from None
    if rows != ["ok"]:
        log.error("quick_check of %s: %s", path, "; ".join(rows).replace("\n", " "))
        rows = [" ".join(r.replace("*** in database main ***", "").split()) for r in rows]
        n = f"{len(rows)}{'+' if len(rows) >= 20 else ''}"
        raise DatabaseProblem("corrupt", path, f"数据库已损坏，SQLite 的检查发现 {n} 处问题 (the database is damaged: "
                              f"SQLite's check found {n} problem(s)), 第一处 (first): {rows[0]}", dbfile.RESTORE_FIX)


# a commit holding the lock for 2 ms costs a waiter under 4 ms; writers that saturate the
# disk back off as SQLite's own waits do (queue_bench.py: 2 ms steps cost 15% of throughput)
BEGIN_WAITS_S = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02)  # then 20 ms


def begin_immediate(conn: sqlite3.Connection, timeout_s: float | None = None) -> None:
    """``BEGIN IMMEDIATE``, waiting for another writer in small steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15 ms … between tries, so a writer that
    holds the lock for 2 ms (a commit with an fsync) costs the next one 8 ms: measured in
    benchmarks/sustained_bench.py. Here the waits start at 0.1 ms and double to 20 ms; after
    ``timeout_s`` (default: the connection's own busy time-out) the "database is locked"
    error is raised as before. The connection's busy time-out is off for the BEGIN only,
    then set back (every other statement keeps SQLite's waiting)."""
    busy_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    if timeout_s is None:
        timeout_s = busy_ms / 1000
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + timeout_s
        tries = 0
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if getattr(e, "sqlite_errorcode", sqlite3.SQLITE_BUSY) & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                wait = BEGIN_WAITS_S[min(tries, len(BEGIN_WAITS_S) - 1)]
                if time.monotonic() + wait > deadline:
                    raise
                time.sleep(wait)
                tries += 1
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")


def _retry(fn, attempts: int = 50):
    for i in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or i == attempts - 1:
                raise
            time.sleep(0.05)


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    applied = []
    for name, sql in MIGRATIONS:
        if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
            continue
        conn.execute("BEGIN IMMEDIATE")
        with dbfile.committed(conn):
            if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("ROLLBACK")  # another process applied it meanwhile
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))
        applied.append(name)
    return applied


def _statements(sql: str) -> list[str]:
    out, buf = [], ""
    for line in sql.splitlines():
        line = line.split("--", 1)[0]
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]
