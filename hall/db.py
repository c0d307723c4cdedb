"""SQLite connection settings, the named, versioned migrations of the queue database, and
its checks at opening (the file itself: :mod:`hall.dbfile`)."""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import quote

from . import dbfile
from .errors import DatabaseProblem

log = logging.getLogger(__name__)

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE services (
        code TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL,
        zone TEXT NOT NULL DEFAULT '', expected_minutes REAL NOT NULL);
    CREATE TABLE windows (
        number INTEGER PRIMARY KEY, department TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'idle'
            CHECK (state IN ('closed', 'idle', 'serving', 'paused')),
        pause_reason TEXT, current_ticket INTEGER REFERENCES tickets(id),
        current_call INTEGER REFERENCES calls(id),
        last_ticket INTEGER REFERENCES tickets(id), staff TEXT, updated_at REAL);
    CREATE TABLE counters (
        day TEXT NOT NULL, prefix TEXT NOT NULL, last_seq INTEGER NOT NULL,
        PRIMARY KEY (day, prefix)) WITHOUT ROWID;
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL, prefix TEXT NOT NULL, seq INTEGER NOT NULL, number TEXT NOT NULL,
        service TEXT NOT NULL, origin_service TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('normal', 'priority', 'appointment')),
        status TEXT NOT NULL
            CHECK (status IN ('waiting', 'called', 'finished', 'skipped', 'expired', 'cancelled')),
        lane INTEGER NOT NULL,      -- 0 transferred in, 1 priority, 2 appointment, 3 normal
        sort_key REAL NOT NULL,     -- order within the lane
        target_window INTEGER,      -- transferred to a window: only that window calls it
        window INTEGER, staff TEXT,
        ahead INTEGER NOT NULL,
        issued_at REAL NOT NULL, first_called_at REAL, called_at REAL, finished_at REAL,
        calls INTEGER NOT NULL DEFAULT 0, reactivations INTEGER NOT NULL DEFAULT 0,
        transfers INTEGER NOT NULL DEFAULT 0,
        appointment TEXT, slot_at REAL, cancel_reason TEXT, kiosk TEXT,
        UNIQUE (day, prefix, seq));
    CREATE INDEX tickets_waiting ON tickets (service, lane, sort_key) WHERE status = 'waiting';
    CREATE INDEX tickets_waiting_target ON tickets (target_window, sort_key)
        WHERE status = 'waiting' AND target_window IS NOT NULL;
    CREATE INDEX tickets_day ON tickets (day, service);
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        day TEXT NOT NULL, window INTEGER NOT NULL, service TEXT NOT NULL, staff TEXT,
        called_at REAL NOT NULL, ended_at REAL, recalls INTEGER NOT NULL DEFAULT 0,
        outcome TEXT CHECK (outcome IN ('finished', 'transferred', 'skipped', 'day_end')));
    CREATE INDEX calls_day ON calls (day, window);
    CREATE INDEX calls_ticket ON calls (ticket_id);
    CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
        call_id INTEGER REFERENCES calls(id), day TEXT NOT NULL, window INTEGER NOT NULL,
        staff TEXT, score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5), at REAL NOT NULL);
    CREATE INDEX evaluations_day ON evaluations (day);
    CREATE TABLE staff_sessions (
        id INTEGER PRIMARY KEY, window INTEGER NOT NULL, staff TEXT NOT NULL,
        login_at REAL NOT NULL, logout_at REAL);
    CREATE TABLE appointments (
        code TEXT PRIMARY KEY, service TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
        slot_at REAL NOT NULL, day TEXT NOT NULL, ticket_id INTEGER REFERENCES tickets(id));
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, day TEXT NOT NULL,
        kind TEXT NOT NULL, window INTEGER, ticket_id INTEGER, number TEXT, service TEXT,
        data TEXT NOT NULL DEFAULT '{}');
    CREATE INDEX events_day_kind ON events (day, kind);
    """),
    # covering indexes for hall/reports.py: a month's figures read from indexes only
    ("0002_report_indexes", """
    CREATE INDEX tickets_report ON tickets (day, origin_service, status, cancel_reason, issued_at, first_called_at);
    CREATE INDEX calls_report ON calls (day, outcome, service, window, staff, called_at, ended_at, ticket_id);
    CREATE INDEX evaluations_report ON evaluations (day, window, staff, score, at, call_id);
    """),
]


def connect(path: Path | str, timeout_s: float = 15.0, *, readonly: bool = False,
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
    conn = None
    try:
        conn = _open(path, timeout_s)
        _retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        dbfile.check_jiaohao_tables(conn, path)
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


def connect_readonly(path: str, timeout_s: float = 15.0, check: bool = True) -> sqlite3.Connection:
    """A connection that cannot write, for commands that only read (status, reports).

    Works without write access to the file or folder: while a writer runs, SQLite reads its
    -wal/-shm; with none there and a folder it may not write, the file is read as it is.
    ``check=False``: a further connection to a file already checked (no refusal checks)."""
    if check:
        dbfile.check_path(path, may_create=False)
        dbfile.check_wal(path)
    uri = f"file:{quote(path)}?mode=ro"
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
        raise DatabaseProblem("corrupt", path, f"the database is damaged (SQLite's check found "
                              f"{len(rows)}{'+' if len(rows) >= 20 else ''} problem(s), first: {rows[0]})",
                              dbfile.RESTORE_FIX)


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
        try:
            if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite has already rolled back after e.g. SQLITE_FULL
                conn.execute("ROLLBACK")
            raise
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


class Checkpointer:
    """Moves the WAL into the database file from a background thread.

    SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages,
    adding 15-20 ms to that one queue operation on a year-old database. This thread does
    a PASSIVE checkpoint every ``interval_s`` instead, so ordinary traffic never reaches
    the queue connection's (raised) automatic bound. The bound must stay: under writers
    that never pause, passive checkpoints alone never finish and the WAL grows without
    limit (2.8 GB in a 4-process benchmark). The thread stops by itself when the
    database file is gone.
    """

    def __init__(self, path: Path | str, interval_s: float = 2.0):
        self.path = str(path)
        self.interval_s = interval_s
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        last = None
        while not self._stop.wait(self.interval_s):
            if not os.path.exists(self.path):
                return
            try:
                st = os.stat(self.path + "-wal")
                seen = (st.st_size, st.st_mtime_ns)
            except FileNotFoundError:
                continue
            if seen == last:  # nothing written since the last checkpoint
                continue
            if not self.checkpoint():
                return
            last = seen

    def checkpoint(self) -> bool:
        """One PASSIVE checkpoint; False when the database cannot be opened any more."""
        try:
            conn = sqlite3.connect(f"file:{quote(self.path)}?mode=rw", uri=True, timeout=1.0)
        except sqlite3.Error:
            return False
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.runs += 1
        except sqlite3.Error as e:  # busy or locked: the next round will do it
            log.debug("checkpoint of %s skipped: %s", self.path, e)
        finally:
            conn.close()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self.checkpoint()

