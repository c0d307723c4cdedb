"""差评 follow-ups: every transition allowed and refused, who/when/what of each step,
deadlines in China's working days across the 2026 National Day week (with its make-up
Saturday), hall overrides, warnings and overdue flags."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from hall import FixedClock, HallQueue
from hall.errors import InvalidArgument, UnknownTicket
from hall.followups import ACTIONS, STATES
from tests.ratings_helpers import ratings_config, served

PATHS = {
    "pending": [], "verifying": ["verify"], "rectifying": ["verify", "rectify"],
    "rectified": ["verify", "rectify", "done"], "called_back": ["verify", "rectify", "done", "call_back"],
    "appeal": ["appeal"], "appeal_approved": ["appeal", "approve_appeal"],
    "unfixable_requested": ["verify", "request_unfixable"],
    "unfixable": ["verify", "request_unfixable", "approve_unfixable"],
}


def open_followup(q, level=4) -> int:
    t = served(q)
    return q.rate_ticket(t.id, level, "qrcode")["followup"]


def walk(q, fid, steps):
    for a in steps:
        q.followup_step(fid, a, "0517", f"{a} 说明", days=5 if a == "extend" else None)


@pytest.fixture
def q(tmp_path):
    queue = HallQueue(tmp_path / "f.sqlite", ratings_config(tmp_path), FixedClock(datetime(2026, 9, 30, 16, 0)))
    yield queue
    queue.close()


def test_paths_cover_every_state():
    assert set(PATHS) == set(STATES)


@pytest.mark.parametrize("state", list(PATHS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_transition(q, state, action):
    fid = open_followup(q)
    walk(q, fid, PATHS[state])
    assert q.followup(fid)["state_key"] == state
    starts, to = ACTIONS[action]
    if state in starts:
        out = q.followup_step(fid, action, "0517", "办理说明", days=3 if action == "extend" else None)
        # a rejection goes back to where the request was made; extend keeps the state
        back = {"appeal": "pending", "unfixable_requested": "verifying"}
        expected = to or (state if action == "extend" else back[state])
        assert out["state_key"] == expected
        step = out["steps"][-1]
        assert (step["action"], step["by"], step["note"], step["to"]) == (action, "0517", "办理说明", STATES[out["state_key"]])
    else:
        before = q.followup(fid)
        with pytest.raises(InvalidArgument) as e:
            q.followup_step(fid, action, "0517", "办理说明", days=3 if action == "extend" else None)
        assert STATES[state] in e.value.zh and action in str(e.value)
        assert q.followup(fid) == before  # nothing recorded


def test_reject_returns_to_where_it_was(q):
    fid = open_followup(q)
    walk(q, fid, ["verify", "rectify", "appeal"])
    assert q.followup_step(fid, "reject_appeal", "9001", "评价属实")["state"] == "整改中"
    walk(q, fid, ["request_unfixable"])
    assert q.followup_step(fid, "reject_unfixable", "9001", "可以整改")["state"] == "整改中"


def test_unfixable_is_still_called_back_and_appeal_closes(q):
    fid = open_followup(q)
    walk(q, fid, ["verify", "request_unfixable", "approve_unfixable", "call_back"])
    f = q.followup(fid)
    assert f["state"] == "已回访" and f["closed"]
    g = open_followup(q, 5)
    walk(q, g, ["appeal", "approve_appeal"])
    assert q.followup(g)["state"] == "申诉成立" and q.followup(g)["closed"] and q.followup(g)["actions"] == []


def test_who_and_what_are_required(q):
    fid = open_followup(q)
    with pytest.raises(InvalidArgument, match="who"):
        q.followup_step(fid, "verify", "", "x")
    with pytest.raises(InvalidArgument, match="what was done"):
        q.followup_step(fid, "verify", "0517", "  ")
    with pytest.raises(InvalidArgument, match="unknown follow-up step"):
        q.followup_step(fid, "close", "0517", "x")
    with pytest.raises(UnknownTicket, match="no follow-up"):
        q.followup_step(999, "verify", "0517", "x")


def test_extend_once_within_the_limit(q):
    fid = open_followup(q)
    walk(q, fid, ["verify", "rectify"])
    with pytest.raises(InvalidArgument, match="1-15"):
        q.followup_step(fid, "extend", "9001", "材料需补", days=16)
    f = q.followup_step(fid, "extend", "9001", "材料需补", days=5)
    assert (f["rectify_due"], f["extended"]) == ("2026-11-03", 5)  # 10-27 + 5 working days
    with pytest.raises(InvalidArgument, match="once"):
        q.followup_step(fid, "extend", "9001", "再延", days=1)


def test_good_ratings_open_nothing_and_append_opens_once(q):
    t = served(q)
    assert q.rate_ticket(t.id, 3, "qrcode")["followup"] is None
    f1 = q.rate_ticket(t.id, 5, "mobile")["followup"]  # the 追加评价 turns it bad
    assert f1 is not None and len(q.followups()) == 1


# -- deadlines ------------------------------------------------------------------------------
def test_deadlines_across_the_national_day_week(q):
    """A 差评 on Wed 30 Sep 2026, 16:00: 1-7 Oct are holidays, Sat 10 Oct a make-up working day."""
    fid = open_followup(q)
    f = q.followup(fid)
    assert (f["callback_due"], f["rectify_due"]) == ("2026-10-08", "2026-10-27")
    assert f["due_soon"] and not f["overdue"]  # the call-back is one working day away


@pytest.mark.parametrize("today, deadline, overdue, due_soon", [
    (date(2026, 10, 7), "callback", False, True),     # a holiday: the 8th is the next working day
    (date(2026, 10, 8), "callback", False, True),     # the due day itself
    (date(2026, 10, 9), "callback", True, False),
])
def test_callback_flags(q, today, deadline, overdue, due_soon):
    fid = open_followup(q)
    q.clock.source.set(datetime.combine(today, datetime.min.time()).replace(hour=10))
    f = q.followup(fid)
    assert (f["deadline"], f["overdue"], f["due_soon"]) == (deadline, overdue, due_soon)
    assert [x["id"] for x in q.followups(overdue=True)] == ([fid] if overdue else [])


@pytest.mark.parametrize("today, overdue, due_soon", [
    (date(2026, 10, 22), False, False),   # 23, 26, 27 still to come: 3 working days
    (date(2026, 10, 23), False, True),    # 26, 27: 2 working days, the warning
    (date(2026, 10, 24), False, True),    # a Saturday
    (date(2026, 10, 27), False, True),
    (date(2026, 10, 28), True, False),
])
def test_rectify_flags(q, today, overdue, due_soon):
    fid = open_followup(q)
    q.followup_step(fid, "verify", "0517", "已联系")
    q.clock.source.set(datetime.combine(today, datetime.min.time()).replace(hour=10))
    f = q.followup(fid)
    assert (f["deadline"], f["overdue"], f["due_soon"]) == ("rectify", overdue, due_soon)


def test_rectified_in_time_is_no_longer_flagged(q):
    fid = open_followup(q)
    walk(q, fid, ["verify", "rectify", "done"])
    q.clock.source.set(datetime(2026, 12, 1, 9))
    f = q.followup(fid)
    assert (f["deadline"], f["overdue"]) == (None, False)


def test_hall_overrides_and_a_five_day_province(tmp_path):
    from config import load_hall
    from tests.ratings_helpers import ratings_toml
    path = ratings_toml(tmp_path, 'rectify_days = 5\n\n[calendar]\nholidays = ["2026-10-12"]\n'
                                  'workdays = ["2026-10-11"]\n')
    q = HallQueue(tmp_path / "o.sqlite", load_hall(path), FixedClock(datetime(2026, 9, 30, 16, 0)))
    try:
        f = q.followup(open_followup(q))
        # 8, 9, 10 (make-up Saturday), 11 (the hall opens that Sunday), 13 (12 closed by the hall)
        assert (f["callback_due"], f["rectify_due"]) == ("2026-10-08", "2026-10-13")
    finally:
        q.close()
