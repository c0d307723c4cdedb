"""The WAL checkpointer: moves the queue database's write-ahead log into the database file
from a background thread, so that no queue operation pays for a checkpoint (docs/backup.md)."""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from .dbfile import committed
from .thread_priority import set_thread_nice

log = logging.getLogger(__name__)


class Checkpointer:
    """Moves the WAL into the database file from a background thread, so no queue
    operation runs a checkpoint inside its commit, and restarts the WAL seldom.

    Measured on the year database (benchmarks/sustained_bench.py, queue_bench.py):
    - a commit that runs a checkpoint pays two fsyncs, 20-30 ms, and 280-500 ms for the
      first checkpoint of a database just copied (the fsync flushes the whole copy).
      SQLite runs one in every commit once the WAL holds ``wal_autocheckpoint`` frames
      since it last started again from its beginning;
    - the commit that starts the WAL again writes a new WAL header and fsyncs it
      (SQLite does that for safety, even with synchronous=NORMAL). Checkpointing every
      quarter second made the WAL start again 6 times a second at 50 operations/s, and
      those commits were nearly all the operations over 10 ms (up to 85 ms on a busy disk).

    So a round runs when the WAL holds ``min_frames`` frames (a few seconds of a busy
    hall), or when it has been quiet for ``quiet_s`` (the database file catches up after
    a burst). The frames are counted from the -wal file's frame headers (those carrying
    the header's salts), without a connection. A round is a PASSIVE checkpoint (writers
    go on; it does the copying and the fsyncs); when the WAL is still longer than
    ``restart_frames`` afterwards and no commit came in meanwhile, a RESTART checkpoint
    with no busy wait makes the next writer start it again (it has nothing left to copy,
    so it holds writers off for microseconds). A round that copied every frame then
    starts the WAL again itself with a one-page commit, so that no queue operation pays
    the new WAL header's fsync (:meth:`_start_wal`; on the queue's own connection when
    given ``owner_commit``, so that its page cache stays). The first round runs at start (a copied
    database's big first fsync lands here). Of several processes' checkpointers on one
    database only one does rounds (:meth:`is_active`). The thread runs at the process's
    priority (a round takes the write lock: see _run), keeps its
    connection, and stops by itself when the database file is gone.
    """

    def __init__(self, path: Path | str, interval_s: float = 0.25, min_frames: int = 2000,
                 quiet_s: float = 2.0, restart_frames: int = 4000,
                 owner_commit: Callable[[], None] | None = None):
        self.path = str(path)
        self.owner_commit = owner_commit
        self.interval_s = interval_s
        self.min_frames = min_frames
        self.quiet_s = quiet_s
        self.restart_frames = restart_frames
        self.runs = 0
        self.restarts = 0
        self.wal_starts = 0
        self._conn: sqlite3.Connection | None = None
        self._holder: sqlite3.Connection | None = None  # a read snapshot during a round
        self._inode: int | None = None
        self._lock_fd: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @staticmethod
    def background_priority() -> None:
        """Lower the calling thread's CPU priority (Linux: a thread's own nice value), so
        the threads doing queue operations win the CPU over housekeeping."""
        set_thread_nice(10)

    def _run(self) -> None:
        # not at nice 10 like the backups: a round takes the write lock (to start the WAL
        # again), and a queue operation waiting for it must not wait for a thread that
        # others are let to push off the CPU (at nice 10 that cost 38 ms once)
        done = None  # the WAL's size and mtime after the last round
        seen, since = None, time.monotonic()
        first = True
        while True:
            if not os.path.exists(self.path):
                break
            stamp = self._wal_stamp()
            now = time.monotonic()
            if stamp != seen:
                seen, since = stamp, now
            quiet = now - since >= self.quiet_s
            if stamp is not None and stamp != done and (first or quiet or self.wal_frames() >= self.min_frames) \
                    and self.is_active():
                if not self.checkpoint(start_wal=not first):
                    break
                done = self._wal_stamp()
            first = False
            if self._stop.wait(self.interval_s):
                break
        self._close()

    def wal_frames(self) -> int:
        """Frames in the WAL since it last started from its beginning: the leading frames
        whose headers carry the WAL header's salts (walformat.html, section 2)."""
        try:
            fd = os.open(self.path + "-wal", os.O_RDONLY)  # SQLite locks no byte of the -wal: closing is safe
        except OSError:
            return 0
        try:
            head = os.pread(fd, 32, 0)
            if len(head) < 32 or head[:3] != b"\x37\x7f\x06":
                return 0
            frame = 24 + int.from_bytes(head[8:12], "big")
            lo, hi = 0, max(0, (os.fstat(fd).st_size - 32) // frame)
            while lo < hi:
                mid = (lo + hi) // 2
                if os.pread(fd, 8, 32 + mid * frame + 8) == head[16:24]:
                    lo = mid + 1
                else:
                    hi = mid
            return lo
        finally:
            os.close(fd)

    def is_active(self) -> bool:
        """Whether this checkpointer does the rounds: one per database, the one holding an
        flock on the file (each process with a queue has a checkpointer; two at once made
        one's fsyncs of the database slow the other's WAL commit, measured in
        benchmarks/sustained_bench.py). Another one takes over when it exits. flock does
        not touch the POSIX locks SQLite takes on the same file."""
        if self._lock_fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _connection(self) -> sqlite3.Connection | None:
        try:
            inode = os.stat(self.path).st_ino
        except OSError:
            return None
        if self._conn is not None and inode != self._inode:  # the file was replaced (restore)
            self._close()
        if self._conn is None:
            try:
                self._conn, self._holder = (
                    sqlite3.connect(f"file:{quote(self.path)}?mode=rw", uri=True, timeout=0,
                                    isolation_level=None, check_same_thread=False) for _ in range(2))
                # its own commit (_start_wal) must not checkpoint: when it could not start the
                # WAL again (a reader in it) that would copy everything, and the next queue
                # commit would start the WAL and fsync its header after all
                self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            except sqlite3.Error:
                self._close()
                return None
            self._inode = inode
        return self._conn

    def _close(self) -> None:
        for conn in (self._conn, self._holder):
            if conn is not None:
                conn.close()
        self._conn = self._holder = None
        if self._lock_fd is not None:  # another process's checkpointer takes over
            os.close(self._lock_fd)
            self._lock_fd = None

    def checkpoint(self, start_wal: bool = False) -> bool:
        """One round; False when the database cannot be opened any more. ``start_wal``:
        when the round copied every frame, start the WAL again here (:meth:`_start_wal`)."""
        with self._lock:
            conn = self._connection()
            if conn is None:
                return False
            holder = self._holder if start_wal else None
            try:
                if holder is not None:
                    # a read snapshot inside the WAL: while it is open, a commit cannot start
                    # the WAL again (it must have every reader out), so none does between the
                    # copy and this thread's own start of the WAL (a nice-10 thread can wait
                    # tens of ms for the CPU when the copy's fsync wakes it)
                    holder.execute("BEGIN")
                    holder.execute("SELECT count(*) FROM sqlite_schema").fetchone()
                before = self._wal_stamp()
                try:
                    _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                finally:
                    if holder is not None and holder.in_transaction:
                        holder.execute("COMMIT")
                self.runs += 1
                starting = start_wal and frames > 0 and copied == frames
                # RESTART only when nothing was committed meanwhile: then it has no frame
                # left to copy, no fsync to do, and holds writers off for microseconds.
                # Not when the owner's commit follows: it starts the WAL again itself, and
                # a restart from this connection would empty the owner's page cache
                if frames >= self.restart_frames and copied == frames and self._wal_stamp() == before \
                        and not (starting and self.owner_commit is not None):
                    conn.execute("PRAGMA wal_checkpoint(RESTART)")
                    self.restarts += 1
                if starting:
                    self._start_wal(conn)
            except sqlite3.Error as e:  # busy or locked: the next round will do it
                log.debug("checkpoint of %s skipped: %s", self.path, e)
            return True

    def _start_wal(self, conn: sqlite3.Connection) -> None:
        """Every frame is in the database file, so the next commit starts the WAL again from
        its beginning, and that commit writes and fsyncs a new WAL header: 1-3 ms, more on
        a busy disk, and the thread must win the CPU back afterwards. In a hall at a few
        operations a minute that is nearly every commit (each follows a quiet round).
        Commit here instead, rewriting page 1 as it is (it carries the hall's tag, see
        hall.dbfile.check_wal), so a queue operation finds a WAL already started. The
        connection has no busy wait: a queue operation holding the write lock wins, and
        one arriving meanwhile waits for this commit like for any other writer.

        With ``owner_commit`` (the queue's own connection) that commit is made there: a
        commit from any other connection makes SQLite throw away the writing connection's
        whole page cache at its next transaction, and the queue operation after each round
        then read back ~130 pages of the database file, the very pages the round had just
        written and the kernel was writing back (benchmarks/sustained_bench.py, docs/backup.md)."""
        if self.owner_commit is not None:
            self.owner_commit()
            self.wal_starts += 1
            return
        conn.execute("BEGIN IMMEDIATE")
        with committed(conn):
            tag = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute(f"PRAGMA user_version = {tag}")
        self.wal_starts += 1

    def _wal_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path + "-wal")
            return st.st_size, st.st_mtime_ns
        except FileNotFoundError:
            return None

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self.checkpoint()
        with self._lock:
            self._close()  # no connection left open behind the queue's own
        with self._lock:
            self._close()
