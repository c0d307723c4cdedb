"""A hand-built business day with known figures, driven through HallQueue with a FixedClock.

Day 1 (Monday 2026-11-23) on the demo hall with service H capped at 1 ticket:

  08:00 issue A            refused: outside hours (A opens 08:30)
  08:30 login w1 张三, w4 李四, w7 王五
  08:30 A001  08:35 A002  08:40 C001  08:45 E001
  08:50 A003 issued, then cancelled print_failed
  09:00 w1 calls A001 (waited 1800 s)       09:10 w1 finishes A001 (600 s), rated 5
  09:10 w1 calls A002 (2100 s)              09:15 w1 transfers A002 to service C (300 s)
  09:15 w4 calls A002 (transferred in)      09:35 w4 finishes A002 (1200 s), rated 4
  09:35 w4 calls C001 (3300 s)              09:40 w4 skips C001 (no-show)
  09:40 w7 calls E001 (3300 s)              10:00 w7 finishes E001 (1200 s), rated 2
  10:00 E002  10:05 D001  10:10 H001, a second H refused: daily cap
  10:20 w7 calls E002 (1200 s)              10:30 w7 transfers E002 to window 10 (600 s)
  11:00 B001  11:05 w1 calls B001 (300 s), never finished: the day ends with it open
Day 2 (2026-11-24):
  08:30 A001 issued: day 1 closes, E002, D001, H001 expire, B001 is finished by the close
  08:40 w1 calls A001 (600 s)               08:50 w1 finishes it (600 s), rated 3
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from config import DEMO_HALL
from config.loader import parse_hall
from hall import DailyCapReached, FixedClock, HallQueue, ServiceClosed

DAY1, DAY2 = "2026-11-23", "2026-11-24"


def report_config():
    text = Path(DEMO_HALL).read_text(encoding="utf-8")
    assert text.count("daily_cap = 60") == 1
    return parse_hall(text.replace("daily_cap = 60", "daily_cap = 1"), DEMO_HALL)


def build_day(db_path) -> tuple[HallQueue, FixedClock]:
    cfg = report_config()
    clock = FixedClock(datetime(2026, 11, 23, 8, 0))
    q = HallQueue(db_path, cfg, clock)
    at = lambda h, m: clock.set(datetime(2026, 11, 23, h, m))  # noqa: E731
    with pytest.raises(ServiceClosed):
        q.issue("A")
    at(8, 30)
    q.login(1, "张三"), q.login(4, "李四"), q.login(7, "王五")
    q.issue("A")
    at(8, 35), q.issue("A")
    at(8, 40), q.issue("C")
    at(8, 45), q.issue("E")
    at(8, 50)
    q.cancel(q.issue("A").id, "print_failed")
    at(9, 0), q.call_next(1)
    at(9, 10), q.finish(1), q.rate(1, 5)
    assert q.call_next(1).number == "A002"
    at(9, 15), q.transfer(1, to_service="C")
    assert q.call_next(4).number == "A002"
    at(9, 35), q.finish(4), q.rate(4, 4)
    assert q.call_next(4).number == "C001"
    at(9, 40), q.skip(4)
    assert q.call_next(7).number == "E001"
    at(10, 0), q.finish(7), q.rate(7, 2)
    q.issue("E")
    at(10, 5), q.issue("D")
    at(10, 10), q.issue("H")
    with pytest.raises(DailyCapReached):
        q.issue("H")
    at(10, 20)
    assert q.call_next(7).number == "E002"
    at(10, 30), q.transfer(7, to_window=10)
    at(11, 0), q.issue("B")
    at(11, 5)
    assert q.call_next(1).number == "B001"
    clock.set(datetime(2026, 11, 24, 8, 30))
    q.issue("A")
    clock.set(datetime(2026, 11, 24, 8, 40))
    q.call_next(1)
    clock.set(datetime(2026, 11, 24, 8, 50))
    q.finish(1), q.rate(1, 3)
    return q, clock
