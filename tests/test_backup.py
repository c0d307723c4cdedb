"""Backups: online copies that are checked, named, rotated and scheduled; the age that
`diag check` reports. Restoring is in test_backup_restore.py."""
from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from config.schema import Backup
from hall import FixedClock, HallQueue
from hall.backup import backup_into, make_backup
from hall.backup_check import check_backup
from hall.backup_folder import BackupError, BackupInfo, list_backups, to_rotate
from hall.backup_schedule import BackupSchedule, backup_age, in_words


def tickets_in(path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_a_writer_runs_is_consistent_and_checked(queue, db_path, tmp_path):
    for _ in range(20):
        queue.issue("A")
    stop, issued = threading.Event(), []

    def writer():
        while not stop.is_set():
            issued.append(queue.issue("B").number)
    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.05)
        result = make_backup(db_path, tmp_path / "copy.sqlite")
    finally:
        stop.set()
        t.join()
    assert issued, "the writer never ran"
    found = check_backup(result.path, "full")
    assert found.ok, found.problem
    assert 20 <= found.tickets <= 20 + len(issued)
    # one snapshot: the B numbers in the copy run without a gap from B001
    conn = sqlite3.connect(result.path)
    numbers = [r[0] for r in conn.execute("SELECT seq FROM tickets WHERE prefix = 'B' ORDER BY seq")]
    conn.close()
    assert numbers == list(range(1, len(numbers) + 1))
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o640
    assert not (tmp_path / "copy.sqlite-wal").exists()
    assert not list(tmp_path.glob(".*.part"))


def test_backup_refuses_what_is_not_a_hall_database_and_never_overwrites(queue, db_path, tmp_path):
    other = tmp_path / "notes.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)")
    with pytest.raises(BackupError, match="not a jiaohao queue database"):
        make_backup(other, tmp_path / "b1.sqlite")
    with pytest.raises(BackupError, match="no database"):
        make_backup(tmp_path / "missing.sqlite", tmp_path / "b2.sqlite")
    (tmp_path / "taken.sqlite").write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        make_backup(db_path, tmp_path / "taken.sqlite")
    assert (tmp_path / "taken.sqlite").read_bytes() == b"keep me"


def test_check_names_what_is_wrong(queue, db_path, tmp_path):
    good = make_backup(db_path, tmp_path / "good.sqlite").path
    assert check_backup(good).ok
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"hello" * 1000)
    assert "not an SQLite database" in check_backup(junk).problem
    assert "does not exist" in check_backup(tmp_path / "none.sqlite").problem
    damaged = tmp_path / "damaged.sqlite"
    data = bytearray(good.read_bytes())
    page = 4096
    for p in range(2, len(data) // page):  # scribble over the b-tree pages, keep the header and schema
        data[p * page + 8: p * page + 60] = b"\xff" * 52
    damaged.write_bytes(bytes(data))
    found = check_backup(damaged)
    assert not found.ok and "damaged" in found.problem


def info(at: str) -> BackupInfo:
    return BackupInfo(path=None, taken_at=datetime.fromisoformat(at), size=0)


def test_rotation_keeps_the_newest_and_one_per_earlier_day():
    backups = [info(f"2026-11-{d:02d}T{h:02d}:00") for d in range(20, 29) for h in (9, 12, 17)]
    gone = to_rotate(backups, keep=4, keep_daily=3)
    kept = sorted(b.taken_at for b in backups if b not in gone)
    newest = sorted(b.taken_at for b in backups)[-4:]
    assert newest[0] == datetime(2026, 11, 27, 17) and set(newest) <= set(kept)
    daily = [k for k in kept if k not in newest]
    # the last copy of each of the three days before the newest four
    assert daily == [datetime(2026, 11, 24, 17), datetime(2026, 11, 25, 17), datetime(2026, 11, 26, 17)]
    assert to_rotate(backups, keep=100, keep_daily=0) == []


def test_backup_into_a_folder_names_by_time_and_rotates(queue, db_path, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "README.txt").write_text("not a backup, never removed")
    base = datetime(2026, 11, 23, 9, 0)
    for i in range(5):
        queue.issue("A")
        backup_into(db_path, folder, keep=3, keep_daily=0, now=base + timedelta(hours=i))
    names = [b.path.name for b in list_backups(folder, "hall")]
    assert names == ["hall-20261123-130000.sqlite", "hall-20261123-120000.sqlite", "hall-20261123-110000.sqlite"]
    assert (folder / "README.txt").exists()
    # two backups in the same second get two names
    r1, _ = backup_into(db_path, folder, now=base)
    r2, _ = backup_into(db_path, folder, now=base)
    assert r1.path != r2.path and r1.path.exists() and r2.path.exists()


def test_schedule_backs_up_when_records_change_and_at_day_close(demo_config, db_path, tmp_path):
    now = [datetime(2026, 11, 23, 9, 0)]
    q = HallQueue(db_path, demo_config, FixedClock(now[0]))
    q.issue("A")
    cfg = Backup(folder=str(tmp_path / "bk"), interval_minutes=60)
    (tmp_path / "bk").mkdir()
    s = BackupSchedule(db_path, cfg, clock=lambda: now[0])
    assert s.due(), "no backup yet and records exist"
    s.run_once()
    assert not s.due(), "nothing changed since"
    q.issue("A")
    now[0] += timedelta(minutes=30)
    assert not s.due(), "changed, but the hour has not passed"
    now[0] += timedelta(minutes=31)
    assert s.due()
    s.run_once()
    q.close()
    # the next morning's first operation closes the day: a backup at once, not in an hour
    now[0] = datetime(2026, 11, 24, 0, 1)
    q = HallQueue(db_path, demo_config, FixedClock(now[0]))
    q.roll_day()
    q.close()
    now[0] += timedelta(minutes=1)
    assert s.due()
    s.run_once()
    assert len(list_backups(tmp_path / "bk", "hall")) == 3
    # a restarted serve reads where the newest backup stands: nothing new, nothing due
    fresh = BackupSchedule(db_path, cfg, clock=lambda: now[0])
    newest = list_backups(tmp_path / "bk", "hall")[0]
    from hall.backup_schedule import last_event_id
    fresh._backed_event = last_event_id(newest.path, backup=True)
    assert not fresh.due()


def test_schedule_thread_takes_a_backup_and_stops(queue, db_path, tmp_path):
    queue.issue("A")
    s = BackupSchedule(db_path, Backup(), poll_s=0.05, first_delay_s=0)
    s.start()
    try:
        deadline = time.monotonic() + 20
        while not s.taken and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        s.stop()
    assert s.taken, s.last_error
    folder = db_path.parent / "backups"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o2770
    assert check_backup(s.taken[0].path).ok


def test_schedule_removes_half_written_backups_of_a_killed_run(queue, db_path, tmp_path):
    queue.issue("A")
    folder = tmp_path / "bk"
    folder.mkdir()
    stale = [folder / ".hall-20261101-090000.sqlite.part", folder / ".hall-20261101-090000.sqlite.part-journal"]
    for p in stale:
        p.write_bytes(b"half")
    other = folder / ".notes.part"
    other.write_bytes(b"not ours")
    s = BackupSchedule(db_path, Backup(folder=str(folder)), poll_s=0.05, first_delay_s=0)
    s.start()
    try:
        deadline = time.monotonic() + 20
        while not s.taken and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        s.stop()
    assert s.taken and not any(p.exists() for p in stale) and other.exists()


def test_schedule_reports_a_missing_configured_folder(queue, db_path, tmp_path):
    queue.issue("A")
    s = BackupSchedule(db_path, Backup(folder=str(tmp_path / "usb" / "backups")))
    with pytest.raises(BackupError, match="does not exist"):
        s.run_once()
    assert not (tmp_path / "usb").exists(), "a missing (unmounted) folder must not be created"


def test_serve_runs_the_backup_component(demo_config, db_path):
    from jiaohao.commands import backup_cmd, serve_cmd
    assert "jiaohao.commands.backup_cmd:components" in serve_cmd.COMPONENT_FACTORIES
    ctx = SimpleNamespace(config=demo_config, db_path=db_path)
    assert [p.name for p in backup_cmd.components(ctx)] == ["backups"]
    off = demo_config.model_copy(update={"backup": Backup(interval_minutes=0)})
    assert backup_cmd.components(SimpleNamespace(config=off, db_path=db_path)) == []


@pytest.mark.parametrize("seconds, words", [(20, "less than a minute"), (60, "1 minute"), (3 * 3600 + 25 * 60,
                                             "3 hours 25 minutes"), (30 * 3600, "30 hours"), (73 * 3600, "3 days 1 hour")])
def test_age_in_words(seconds, words):
    assert in_words(seconds) == words


@pytest.mark.parametrize("seconds, words", [(20, "不到 1 分钟前 (less than a minute ago)"),
                                            (14 * 60, "14 分钟前 (14 minutes ago)"),
                                            (3 * 3600 + 25 * 60, "3 小时 25 分钟前 (3 hours 25 minutes ago)"),
                                            (30 * 3600, "30 小时前 (30 hours ago)"),
                                            (73 * 3600, "3 天 1 小时前 (3 days 1 hour ago)")])
def test_age_chinese_first(seconds, words):
    from hall.backup_schedule import ago
    assert ago(seconds) == words


def test_diag_backup_age(queue, db_path, tmp_path):
    queue.issue("A")
    cfg = Backup(warn_after_hours=26)
    fresh = backup_age(db_path, cfg)
    assert fresh.ok and "还没有备份" in fresh.detail and "no backup" in fresh.detail, "a new hall is not unhealthy"
    folder = db_path.parent / "backups"
    folder.mkdir()
    backup_into(db_path, folder, now=datetime.now() - timedelta(hours=3, minutes=5))
    age = backup_age(db_path, cfg)
    assert age.ok and age.detail.startswith("最近一次完好的备份：3 小时 5 分钟前 (last good backup 3 hours 5 minutes ago")
    late = backup_age(db_path, cfg, now=datetime.now() + timedelta(days=2))
    assert not late.ok and "超过 26 小时了" in late.detail and "older than 26 hours" in late.detail
    assert late.fix.startswith("jiaohao serve 在运行吗？") and "jiaohao backup" in late.fix
    # a damaged newest file does not count as the last good backup
    bad = folder / f"hall-{(datetime.now() - timedelta(minutes=5)):%Y%m%d-%H%M%S}.sqlite"
    bad.write_bytes(b"not a database")
    assert "3 hours 5 minutes ago" in backup_age(db_path, cfg).detail
    old_db = backup_age(db_path, Backup(folder=str(tmp_path / "empty")), now=datetime.now() + timedelta(days=3))
    assert not old_db.ok and "里没有完好的备份 (no good backup" in old_db.detail


def test_diag_check_lists_the_backup_row(demo_config, queue, db_path):
    from jiaohao.diag import backups
    ctx = SimpleNamespace(config=demo_config, db_path=db_path)
    [row] = backups.check(ctx)
    assert row.device == "backups" and row.ok


def test_checkpointer_restarts_a_long_wal_and_follows_a_replaced_file(tmp_path):
    from hall.checkpointer import Checkpointer
    db = tmp_path / "w.sqlite"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # as if the queue's bound were never reached
    writer.execute("CREATE TABLE t (x)")
    for i in range(300):
        writer.execute("INSERT INTO t VALUES (?)", (os.urandom(2000),))
    cp = Checkpointer(db, restart_frames=100)
    assert cp.checkpoint()
    assert cp.restarts == 1
    writer.execute("INSERT INTO t VALUES (1)")
    # the WAL started again from its beginning: one commit, a frame or two
    frames = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    assert 0 < frames < 5
    writer.close()
    cp.stop()
    # a replaced file (a restore) gets a new connection, a removed one ends the round
    db.rename(tmp_path / "old.sqlite")
    assert not cp.checkpoint()


def test_checkpointer_counts_the_frames_since_the_wal_started_again(tmp_path):
    from hall.checkpointer import Checkpointer
    db = tmp_path / "w.sqlite"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE t (x)")
    cp = Checkpointer(db)
    for _ in range(40):
        writer.execute("INSERT INTO t VALUES (?)", (os.urandom(100),))
    frames = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    assert cp.wal_frames() == frames > 40
    writer.execute("INSERT INTO t VALUES (1)")  # everything was copied: this commit starts the WAL again
    assert cp.wal_frames() == writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1] < 5
    writer.close()


def test_a_round_that_copied_everything_starts_the_wal_again_itself(tmp_path):
    """The commit that starts the WAL again fsyncs its new header: the checkpointer makes
    that commit, so the next queue operation only appends (issue 19's 10 ms target)."""
    from hall.checkpointer import Checkpointer

    def salt():
        with open(f"{db}-wal", "rb") as f:
            return f.read(24)[16:24]

    db = tmp_path / "w.sqlite"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA user_version = 4242")
    writer.execute("CREATE TABLE t (x)")
    for started_by_checkpointer in (False, True):
        for _ in range(20):
            writer.execute("INSERT INTO t VALUES (?)", (os.urandom(100),))
        cp = Checkpointer(db)
        assert cp.checkpoint(start_wal=started_by_checkpointer)
        assert cp.wal_starts == int(started_by_checkpointer)
        before = salt()
        writer.execute("INSERT INTO t VALUES (1)")
        assert (salt() == before) is started_by_checkpointer  # False: this commit started it again
        cp.stop()
    assert writer.execute("PRAGMA user_version").fetchone()[0] == 4242
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 42
    writer.close()


def test_one_checkpointer_per_database_does_the_rounds(tmp_path):
    """Each process with a queue has a checkpointer; only one at a time checkpoints, and
    another takes over when it stops. The flock leaves SQLite's own locks alone."""
    from hall.checkpointer import Checkpointer
    db = tmp_path / "w.sqlite"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE t (x)")
    first, second = Checkpointer(db), Checkpointer(db)
    assert first.is_active() and first.is_active()
    assert not second.is_active()
    writer.execute("BEGIN IMMEDIATE")  # SQLite's locks work as before beside the flock
    writer.execute("INSERT INTO t VALUES (1)")
    writer.execute("COMMIT")
    assert first.checkpoint(start_wal=True) and first.wal_starts == 1
    first.stop()
    assert second.is_active()
    second.stop()
    writer.close()


def test_a_commit_during_the_round_does_not_start_the_wal_again(tmp_path):
    """What the round relies on: while its read snapshot is open, a commit after the copy
    appends to the WAL instead of starting it again (and fsyncing a new header)."""
    from hall.checkpointer import Checkpointer
    db = tmp_path / "w.sqlite"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE t (x)")
    cp = Checkpointer(db)
    conn = cp._connection()
    for hold in (True, False):
        writer.execute("INSERT INTO t VALUES (1)")
        if hold:
            cp._holder.execute("BEGIN")
            cp._holder.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert copied == frames > 0
        before = cp.wal_frames()
        writer.execute("INSERT INTO t VALUES (2)")
        assert (cp.wal_frames() > before) is hold  # False: the commit started the WAL again
        if hold:
            cp._holder.execute("COMMIT")
    cp.stop()
    writer.close()


def test_the_round_starts_the_wal_on_the_queues_own_connection(queue, db_path):
    """A commit from another connection makes SQLite empty the queue connection's page
    cache: the next operation read its pages back (issue 19). The round's WAL-starting
    commit is made on the queue's connection, which sees no other commit (data_version)."""
    from hall.db import WRITER_CACHE_KIB
    conn, cp = queue._conn, queue._checkpointer
    cp._stop.set()  # rounds by hand only
    cp._thread.join(timeout=5)
    code = queue.config.services[0].code
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -WRITER_CACHE_KIB

    def round_seen_as_another_connections_commit() -> bool:
        queue.issue(code)
        before = conn.execute("PRAGMA data_version").fetchone()[0]
        starts = cp.wal_starts
        assert cp.checkpoint(start_wal=True) and cp.wal_starts == starts + 1
        return conn.execute("PRAGMA data_version").fetchone()[0] != before

    assert not round_seen_as_another_connections_commit()
    # another writer holds the lock: the round leaves the start to the next commit, at once
    other = sqlite3.connect(db_path, isolation_level=None)
    queue.issue(code)
    other.execute("BEGIN IMMEDIATE")
    t, starts = time.monotonic(), cp.wal_starts
    assert cp.checkpoint(start_wal=True) and cp.wal_starts == starts
    assert time.monotonic() - t < 0.5
    other.execute("ROLLBACK")
    other.close()
    cp.owner_commit = None  # as before: the checkpointer's own connection commits
    assert round_seen_as_another_connections_commit()
