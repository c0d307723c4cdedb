"""hall.db.begin_immediate: a writer waits for another in small steps, within its time-out."""
from __future__ import annotations

import sqlite3
import time
import threading

import pytest

from hall.db import begin_immediate


@pytest.fixture
def two(tmp_path):
    db = tmp_path / "b.sqlite"
    a = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    a.execute("PRAGMA journal_mode = WAL")
    a.execute("CREATE TABLE t (x)")
    b = sqlite3.connect(db, isolation_level=None, timeout=15)
    yield a, b
    a.close()
    b.close()


def test_waits_for_the_other_writer_and_keeps_the_busy_timeout(two):
    holder, waiter = two
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.05, lambda: holder.execute("COMMIT")).start()
    begin_immediate(waiter)
    assert waiter.in_transaction
    assert waiter.execute("SELECT count(*) FROM t").fetchone()[0] == 1  # it began after the commit
    waiter.execute("COMMIT")
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 15000


def test_a_lock_held_past_the_time_out_is_the_usual_error(two):
    holder, waiter = two
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        begin_immediate(waiter, timeout_s=0.05)
    assert not waiter.in_transaction
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 15000  # the connection's own, back
    waiter.execute("PRAGMA busy_timeout = 50")  # without timeout_s: the connection's own time-out
    t0 = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        begin_immediate(waiter)
    assert time.monotonic() - t0 < 5
    holder.execute("ROLLBACK")


def test_other_errors_are_not_retried(tmp_path):
    conn = sqlite3.connect(tmp_path / "c.sqlite", isolation_level=None)
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        begin_immediate(conn)
    conn.close()
