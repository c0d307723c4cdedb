"""The hall clock: time zones, and a clock that steps back (hall/clock.py, docs/queue.md)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from hall import FixedClock, HallQueue, InvalidArgument
from hall.clock import STEP_BACK_QUIET_S, clock_from_env

SHANGHAI = timezone(timedelta(hours=8))


def kinds(q):
    return [e.kind for e in q.events_after(0)]


@pytest.fixture
def utc_host(monkeypatch):
    """The host's own zone is UTC (a server), whatever the machine running the tests uses."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_clock_with_a_time_zone_issues_in_order_with_a_plain_one(demo_config, db_path, utc_host):
    cfg = demo_config.model_copy(update={"hall": demo_config.hall.model_copy(update={"timezone": "Asia/Shanghai"})})
    plain = HallQueue(db_path, cfg, FixedClock(datetime(2026, 11, 23, 9, 0)))  # a ZoneClock's naive reading
    first = plain.issue("A")
    aware = HallQueue(db_path, cfg, FixedClock(datetime(2026, 11, 23, 9, 5, tzinfo=SHANGHAI)))
    second = aware.issue("A")
    assert second.issued_at - first.issued_at == 300  # five minutes later, not eight hours earlier
    assert plain.call_next(1).number == first.number
    assert plain.call_next(1).number == second.number
    plain.close(), aware.close()


def test_jiaohao_now_with_an_offset_becomes_hall_wall_time(monkeypatch):
    monkeypatch.setenv("JIAOHAO_NOW", "2026-11-23T01:00:00+00:00")
    assert clock_from_env("Asia/Shanghai")() == datetime(2026, 11, 23, 9, 0)


@pytest.mark.parametrize("value", ["garbage", "2026-02-30T09:00", "2026-11-23T25:00", "０２０２６-11-23",
                                   "9999-12-31T23:59", "0001-01-01T09:00"])
def test_a_malformed_jiaohao_now_is_one_plain_error(monkeypatch, value):
    monkeypatch.setenv("JIAOHAO_NOW", value)
    with pytest.raises(InvalidArgument, match="JIAOHAO_NOW"):
        clock_from_env()


def test_a_clock_set_back_a_day_keeps_the_day_and_the_order(queue, clock):
    a1, a2 = queue.issue("A"), queue.issue("A")
    clock.set(datetime(2026, 11, 22, 9, 0))           # someone sets the PC's date back a day
    a3 = queue.issue("A")
    clock.advance(minutes=5)
    a4 = queue.issue("A")
    assert [a3.number, a4.number] == ["A003", "A004"]  # not A001 again
    assert a3.day == a4.day == "2026-11-23"
    assert a3.issued_at >= a2.issued_at and a4.issued_at - a3.issued_at == 300  # waiting times stay right
    assert [queue.call_next(1).number for _ in range(4)] == ["A001", "A002", "A003", "A004"]
    assert kinds(queue).count("clock_behind") == 1     # said once, not on every operation
    assert "day_closed" not in kinds(queue)
    ev = next(e for e in queue.events_after(0) if e.kind == "clock_behind")
    assert ev.data["behind_s"] == 86400 and ev.data["clock"] == "2026-11-22T09:00:00"


def test_the_clock_put_right_again_is_followed(queue, clock):
    queue.issue("A")
    clock.set(datetime(2026, 11, 22, 9, 0))
    queue.issue("A")
    clock.set(datetime(2026, 11, 23, 10, 0))           # put right
    t = queue.issue("A")
    assert t.issued_at == datetime(2026, 11, 23, 10, 0).timestamp()
    assert kinds(queue)[-2:] == ["clock_ok", "issued"]
    assert queue.clock() == datetime(2026, 11, 23, 10, 0)


def test_every_process_sees_the_same_hall_time(demo_config, db_path, clock):
    q1 = HallQueue(db_path, demo_config, clock)
    q1.issue("A")
    clock.set(datetime(2026, 11, 22, 9, 0))
    q1.issue("A")
    behind = FixedClock(datetime(2026, 11, 22, 9, 1))  # another process, opened later, same wrong clock
    q2 = HallQueue(db_path, demo_config, behind)
    t = q2.issue("A")
    assert (t.number, t.day) == ("A003", "2026-11-23")
    assert q2.issued_today("A") == 3 and q2.waiting_by_service()["A"] == 3
    assert kinds(q2).count("clock_behind") == 1
    q1.close(), q2.close()


def test_a_small_step_back_is_quiet_and_keeps_issue_order(queue, clock):
    first = queue.issue("A")
    clock.set(datetime(2026, 11, 23, 9, 0) - timedelta(seconds=STEP_BACK_QUIET_S / 2))
    second = queue.issue("A")
    assert second.issued_at == first.issued_at        # time stood still
    assert "clock_behind" not in kinds(queue)
    assert [queue.call_next(1).number, queue.call_next(1).number] == [first.number, second.number]


def test_a_database_from_before_remembers_its_last_event(queue, clock, demo_config, db_path):
    queue.issue("A")
    queue._conn.execute("DELETE FROM meta WHERE key IN ('clock_latest', 'clock_offset')")
    queue.close()
    q = HallQueue(db_path, demo_config, FixedClock(datetime(2026, 11, 20, 9, 0)))
    assert q.issue("A").number == "A002"
    q.close()


def test_a_reader_sees_the_writers_hall_time_after_a_step_back(queue, clock, demo_config, db_path):
    from hall.readonly import ReadOnlyQueue
    queue.issue("A")
    clock.set(datetime(2026, 11, 22, 9, 0))           # a day behind
    queue.issue("A")
    reader = ReadOnlyQueue(db_path, demo_config, clock)
    try:
        assert reader.clock().date() == queue.clock().date() == datetime(2026, 11, 23).date()
    finally:
        reader.close()


def test_a_call_with_nobody_waiting_writes_nothing(queue, clock, db_path):
    """A transaction that changes nothing stays read-only (no WAL frame, no clock record):
    windows pressing CALL on an empty queue must not compete for the disk and the lock."""
    from hall.checkpointer import Checkpointer
    queue.issue("A")
    frames = Checkpointer(db_path).wal_frames()
    latest = queue._conn.execute("SELECT value FROM meta WHERE key = 'clock_latest'").fetchone()[0]
    clock.advance(minutes=1)
    assert queue.call_next(4) is None          # window 4 serves C only: nobody waiting
    assert Checkpointer(db_path).wal_frames() == frames
    assert queue._conn.execute("SELECT value FROM meta WHERE key = 'clock_latest'").fetchone()[0] == latest
    clock.advance(minutes=1)
    assert queue.call_next(1).number == "A001"  # a real change records the time again
    assert queue._conn.execute("SELECT value FROM meta WHERE key = 'clock_latest'").fetchone()[0] != latest
