"""`diag check` names damaged ticket rows too, but only those that matter now: today's,
and older ones still waiting or being served. A year of finished tickets is not read
(benchmarks/damaged_rows_bench.py times it on the year database)."""
from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime

import pytest

from config import DEMO_HALL, load_hall
from hall import FixedClock, HallQueue
from hall.damaged_rows import find
from jiaohao.diag.database import contents

CFG = load_hall(DEMO_HALL)
YESTERDAY, TODAY = datetime(2026, 11, 23, 10, 0), datetime(2026, 11, 24, 10, 0)


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    """Yesterday: one finished ticket, one still waiting, one still being served at window 2
    (no day close ran); today: one waiting ticket. Returns the file and the ids."""
    db = tmp_path_factory.mktemp("tickets") / "hall.sqlite"
    q = HallQueue(db, CFG, FixedClock(YESTERDAY))
    done = q.issue("A")
    q.call_next(1)
    q.finish(1)
    serving = q.issue("A")
    q.call_next(2)
    waiting = q.issue("A")
    q.close()
    q = HallQueue(db, CFG, FixedClock(TODAY))
    today = q.issue("A")
    q.close()
    c = sqlite3.connect(db)  # as before the day close (a serve running past midnight)
    with c:
        c.execute("UPDATE tickets SET status = 'waiting' WHERE id = ?", (waiting.id,))
        c.execute("UPDATE tickets SET status = 'called' WHERE id = ?", (serving.id,))
        c.execute("UPDATE windows SET state = 'serving', current_ticket = ? WHERE number = 2", (serving.id,))
    c.close()  # the last connection: its WAL goes into the file the tests copy
    return db, {"finished": done.id, "serving": serving.id, "waiting": waiting.id, "today": today.id}


def _damaged(two_days, tmp_path, which, column, value="zz{"):
    db, ids = two_days
    copy = tmp_path / "hall.sqlite"
    shutil.copy(db, copy)
    c = sqlite3.connect(copy)
    with c:
        c.execute("PRAGMA ignore_check_constraints = ON")  # a flipped byte obeys no constraint
        c.execute(f'UPDATE tickets SET "{column}" = ? WHERE id = ?', (value, ids[which]))
    c.close()
    return copy, ids[which]


@pytest.mark.parametrize("which, column", [("today", "issued_at"), ("today", "day"), ("today", "status"),
                                           ("waiting", "sort_key"), ("serving", "called_at"), ("today", "kind")])
def test_a_damaged_ticket_that_matters_is_named(two_days, tmp_path, monkeypatch, which, column):
    monkeypatch.setenv("JIAOHAO_NOW", TODAY.isoformat())
    db, tid = _damaged(two_days, tmp_path, which, column)
    rows = [r for r in contents(db, CFG.hall.name) if r.device == "database rows hall.sqlite"]
    assert len(rows) == 1 and not rows[0].ok, rows
    assert f"tickets 表 id 为 {tid} 的行：{column} 存的是 'zz{{'，应是" in rows[0].detail
    assert f"(tickets row {tid}: {column} holds 'zz{{' where " in rows[0].detail


def test_an_old_finished_ticket_is_not_read(two_days, tmp_path):
    db, tid = _damaged(two_days, tmp_path, "finished", "issued_at")
    with sqlite3.connect(db) as c:
        assert find(c, day=TODAY.date().isoformat()) == []
        # the same row is found when its day is the one checked
        found = find(c, day=YESTERDAY.date().isoformat())
        assert [str(d) for d in found] == [f"tickets 表 id 为 {tid} 的行：issued_at 存的是 'zz{{'，应是数字或时间 "
                                           f"(tickets row {tid}: issued_at holds 'zz{{' where a number or a time belongs)"]
        assert found[0].zh == f"tickets 表 id 为 {tid} 的行：issued_at 存的是 'zz{{'，应是数字或时间"
        assert found[0].en == f"tickets row {tid}: issued_at holds 'zz{{' where a number or a time belongs"


def test_sound_tickets_and_no_tickets_today(two_days):
    db, _ = two_days
    with sqlite3.connect(db) as c:
        assert find(c, day="2026-11-24") == [] and find(c, day="2026-12-01") == []

