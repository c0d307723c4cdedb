"""Every rule of the queue core, driven through HallQueue with a frozen clock."""
from __future__ import annotations

from datetime import datetime

import pytest

from config import parse_hall
from hall import (DailyCapReached, EventFeed, HallQueue, InvalidArgument, ServiceClosed, UnknownService,
                  UnknownTicket, UnknownWindow, WindowNotReady)


def kinds(q, after=0):
    return [e.kind for e in q.events_after(after)]


def test_numbers_count_up_per_prefix_and_restart_each_day(queue, clock):
    assert [queue.issue("A").number for _ in range(3)] == ["A001", "A002", "A003"]
    assert queue.issue("B").number == "B001"
    clock.advance(days=1)
    assert queue.issue("A").number == "A001"


def test_services_sharing_a_prefix_share_one_counter(tmp_path, clock):
    cfg = parse_hall("""
        [hall]
        name = "h"
        [[services]]
        code = "A1"
        prefix = "A"
        name = "养老保险"
        [[services]]
        code = "A2"
        prefix = "A"
        name = "失业保险"
        [[windows]]
        number = 1
        services = ["A1", "A2"]
    """)
    q = HallQueue(tmp_path / "q.sqlite", cfg, clock)
    assert [q.issue("A1").number, q.issue("A2").number, q.issue("A1").number] == ["A001", "A002", "A003"]


def test_ahead_counts_people_waiting_for_the_service(queue):
    assert [queue.issue("C").ahead for _ in range(3)] == [0, 1, 2]
    assert queue.issue("D").ahead == 0


def test_priority_ticket_is_called_first(queue):
    first = queue.issue("A")
    vip = queue.issue("A", priority=True)
    assert vip.priority and vip.ahead == 0
    assert queue.call_next(1).number == vip.number
    assert queue.call_next(1).number == first.number


def test_strict_strategy_serves_the_windows_services_in_order(queue, clock):
    b = queue.issue("B")
    clock.advance(minutes=1)
    a = queue.issue("A")
    # window 1 serves ["A", "B"]: A first although B is older
    assert queue.call_next(1).id == a.id
    assert queue.call_next(1).id == b.id


def test_oldest_strategy_serves_oldest_across_services(tmp_path, clock, demo_config):
    cfg = demo_config.model_copy(update={"rules": demo_config.rules.model_copy(update={"strategy": "oldest"})})
    q = HallQueue(tmp_path / "q.sqlite", cfg, clock)
    b = q.issue("B")
    clock.advance(minutes=1)
    q.issue("A")
    assert q.call_next(1).id == b.id


def test_call_on_empty_queue_returns_none(queue):
    assert queue.call_next(4) is None
    assert queue.window_state(4).state == "idle"


def test_call_next_finishes_the_current_ticket(queue):
    t1, t2 = queue.issue("C"), queue.issue("C")
    queue.call_next(4)
    queue.call_next(4)
    assert queue.ticket(t1.id).status == "finished"
    assert queue.window_state(4).current.id == t2.id


def test_two_windows_never_get_the_same_ticket(queue):
    queue.issue("C")
    queue.issue("C")
    a, b = queue.call_next(4), queue.call_next(5)
    assert a.id != b.id
    assert queue.call_next(4) is None


def test_recall_repeats_and_counts(queue):
    t = queue.issue("A")
    queue.call_next(1)
    before = queue.last_event_id()
    assert queue.recall(1).id == t.id
    assert kinds(queue, before) == ["recalled"]


def test_recall_without_current_ticket_is_refused(queue):
    with pytest.raises(WindowNotReady):
        queue.recall(1)


def test_skip_then_reactivate_goes_behind_requeue_after_others(queue, clock):
    no_show = queue.issue("C")
    others = []
    for _ in range(5):
        clock.advance(seconds=10)
        others.append(queue.issue("C"))
    queue.call_next(4)
    assert queue.skip(4).status == "skipped"
    assert queue.window_state(4).state == "idle"
    queue.reactivate(no_show.number)
    order = [queue.call_next(4).id for _ in range(6)]
    # demo rules: requeue_after = 3
    assert order == [o.id for o in others[:3]] + [no_show.id] + [o.id for o in others[3:]]


def test_reactivation_is_limited(queue):
    t = queue.issue("C")
    queue.call_next(4)
    queue.skip(4)
    queue.reactivate(t.number)
    queue.call_next(4)
    queue.skip(4)
    with pytest.raises(InvalidArgument, match="already re-activated"):
        queue.reactivate(t.number)


def test_transfer_to_service_goes_ahead_of_that_queue(queue, clock):
    waiting = queue.issue("C")
    clock.advance(minutes=5)
    moved = queue.issue("A")
    queue.call_next(1)
    t = queue.transfer(1, to_service="C")
    assert t.status == "waiting" and t.service == "C" and t.transfers == 1
    assert queue.window_state(1).state == "idle"
    assert queue.call_next(4).id == moved.id
    assert queue.call_next(4).id == waiting.id


def test_transfer_to_window_only_that_window_calls_it(queue):
    t = queue.issue("A")
    queue.call_next(1)
    queue.transfer(1, to_window=2)
    assert queue.call_next(3) is None  # window 3 serves A too, but the ticket is for window 2
    assert queue.waiting_for_window(2) == 1
    assert queue.call_next(2).id == t.id


def test_transfer_needs_one_target(queue):
    queue.issue("A")
    queue.call_next(1)
    with pytest.raises(InvalidArgument):
        queue.transfer(1)
    with pytest.raises(UnknownWindow):
        queue.transfer(1, to_window=99)


def test_pause_refuses_calls_and_resume_restores(queue):
    queue.issue("A")
    ws = queue.pause(1, "lunch")
    assert ws.state == "paused" and ws.pause_reason == "lunch"
    with pytest.raises(WindowNotReady, match="paused"):
        queue.call_next(1)
    assert queue.resume(1).state == "idle"
    assert queue.call_next(1) is not None


def test_pause_keeps_the_current_ticket(queue):
    queue.issue("A")
    queue.call_next(1)
    queue.pause(1, "away")
    assert queue.resume(1).state == "serving"


@pytest.mark.parametrize("act", [
    lambda q: q.finish(1),
    lambda q: q.skip(1),
    lambda q: q.transfer(1, to_service="C"),
    lambda q: q.transfer(1, to_window=4),
], ids=["finish", "skip", "transfer-service", "transfer-window"])
def test_a_paused_window_ends_its_ticket_and_stays_paused_with_its_reason(queue, act):
    t = queue.issue("A")
    queue.call_next(1)
    queue.pause(1, "lunch")        # going to lunch after this citizen
    act(queue)
    assert queue.ticket(t.id).status != "called"
    ws = queue.window_state(1)
    assert (ws.state, ws.pause_reason, ws.current) == ("paused", "lunch", None)
    with pytest.raises(WindowNotReady, match="paused"):
        queue.call_next(1)
    ws = queue.resume(1)
    assert (ws.state, ws.pause_reason) == ("idle", None)


def test_a_paused_window_does_not_recall(queue):
    queue.issue("A")
    queue.call_next(1)
    queue.pause(1, "away")
    with pytest.raises(WindowNotReady, match="paused"):
        queue.recall(1)


def test_bad_pause_reason(queue):
    with pytest.raises(InvalidArgument):
        queue.pause(1, "nap")


def test_finish_and_rate(queue):
    t = queue.issue("A")
    queue.call_next(1)
    assert queue.finish(1).status == "finished"
    queue.rate(1, 5)
    ev = queue.events_after(0)[-1]
    assert (ev.kind, ev.ticket_id, ev.data["score"], ev.data["label"]) == ("rated", t.id, 5, "非常满意")
    with pytest.raises(InvalidArgument, match="already rated"):
        queue.rate(1, 4)


def test_a_ticket_still_being_served_cannot_be_rated(queue):
    t = queue.issue("A")
    queue.call_next(1)
    with pytest.raises(WindowNotReady, match="A001 is still being served"):
        queue.rate(1, 5)
    queue.finish(1)
    assert queue.rate(1, 5).id == t.id


@pytest.mark.parametrize("number", ["٢", "２", "²", "1_2"])
def test_call_ticket_takes_ascii_digits_only(queue, number):
    queue.issue("A"), queue.issue("A")
    with pytest.raises(UnknownTicket):
        queue.call_ticket(1, number)


def test_a_late_rating_goes_to_the_ticket_finished_before_the_next_call(queue):
    first, _ = queue.issue("A"), queue.issue("A")
    queue.call_next(1)
    queue.call_next(1)             # finishes A001, serves A002
    assert queue.rate(1, 4).id == first.id
    with pytest.raises(InvalidArgument, match="already rated"):
        queue.rate(1, 4)           # A002 is not rated while it is being served


@pytest.mark.parametrize("score", [0, 6, 7, -1])
def test_rate_refuses_scores_outside_the_scale(queue, score):
    queue.issue("A")
    queue.call_next(1)
    queue.finish(1)
    with pytest.raises(InvalidArgument, match="1-5"):
        queue.rate(1, score)


def test_opening_hours_refuse_and_log(queue, clock):
    clock.set(datetime(2026, 11, 23, 12, 30))  # lunch break: A is 08:30-12:00, 14:00-17:30
    with pytest.raises(ServiceClosed, match="08:30-12:00"):
        queue.issue("A")
    ev = queue.events_after(0)[-1]
    assert (ev.kind, ev.data["reason"], ev.data["service"]) == ("refused", "closed", "A")
    clock.set(datetime(2026, 11, 23, 14, 0))
    assert queue.issue("A").number == "A001"


def test_daily_cap(tmp_path, clock, demo_config):
    services = [s.model_copy(update={"daily_cap": 2}) if s.code == "C" else s for s in demo_config.services]
    q = HallQueue(tmp_path / "q.sqlite", demo_config.model_copy(update={"services": services}), clock)
    q.issue("C")
    cancelled = q.issue("C")
    q.cancel(cancelled.id, "print_failed")  # a cancelled ticket does not use the cap
    q.issue("C")
    with pytest.raises(DailyCapReached, match="limit of 2"):
        q.issue("C")
    assert q.events_after(0)[-1].data["reason"] == "cap"
    clock.advance(days=1)
    assert q.issue("C").number == "C001"


def test_cancelled_ticket_is_never_called_and_number_not_reused(queue):
    t = queue.issue("A")
    queue.cancel(t.id, "print_failed")
    assert queue.call_next(1) is None
    assert queue.issue("A").number == "A002"
    assert queue.ticket(t.id).cancel_reason == "print_failed"


def test_call_given_ticket_by_number_or_sequence(queue):
    queue.issue("A")
    second = queue.issue("A")
    queue.issue("B")
    assert queue.call_ticket(1, "a002").id == second.id
    # 1 matches A001 and B001 (window 1 serves both prefixes): the one issued first
    assert queue.call_ticket(1, 1).number == "A001"
    assert queue.call_ticket(1, 1).number == "B001"
    with pytest.raises(UnknownTicket):
        queue.call_ticket(1, "Z999")


def test_appointments_come_when_their_slot_has_come(queue, clock):
    queue.add_appointment("YY100", "A", datetime(2026, 11, 23, 9, 20), "张三")
    walk_in = queue.issue("A")
    with pytest.raises(InvalidArgument, match="check in from"):
        queue.add_appointment("YY200", "A", datetime(2026, 11, 23, 11, 0)) or queue.check_in("YY200")
    appt = queue.check_in("YY100")
    assert appt.kind == "appointment" and appt.appointment == "YY100"
    assert queue.check_in("YY100").id == appt.id  # scanning twice gives the same ticket
    assert queue.call_next(1).id == walk_in.id    # 09:00: the 09:20 slot has not come
    queue.issue("A")
    clock.set(datetime(2026, 11, 23, 9, 20))
    assert queue.call_next(1).id == appt.id


def test_unknown_names(queue):
    with pytest.raises(UnknownService):
        queue.issue("Z")
    with pytest.raises(UnknownWindow):
        queue.call_next(99)


def test_day_rollover_expires_waiting_and_resets_windows(queue, clock):
    queue.issue("A")
    waiting = queue.issue("A")
    queue.call_next(1)
    queue.pause(2, "meeting")
    clock.advance(days=1)
    assert queue.waiting_by_service()["A"] == 0
    assert queue.ticket(waiting.id).status == "expired"
    assert queue.window_state(1).current is None
    assert queue.window_state(2).state == "idle"
    closed = [e for e in queue.events_after(0) if e.kind == "day_closed"]
    assert len(closed) == 1 and closed[0].data == {"closed_day": "2026-11-23", "expired": 1, "unfinished": 1}
    # the day's figures stay
    assert queue.issued_today("A") == 0
    assert queue.ticket_by_number("A001", day="2026-11-23").status == "finished"


def test_every_operation_writes_its_event(queue):
    queue.issue("A")
    queue.call_next(1)
    queue.recall(1)
    queue.pause(1, "away")
    queue.resume(1)
    queue.finish(1)
    queue.rate(1, 3)
    queue.login(2, "S007")
    queue.logout(2)
    assert kinds(queue) == ["issued", "called", "recalled", "paused", "resumed", "finished", "rated",
                            "login", "logout"]
    called = queue.events_after(0)[1]
    assert (called.window, called.number, called.data["service_name"]) == (1, "A001", "社会保障")


def test_logged_out_window_is_closed(queue):
    queue.logout(3)
    with pytest.raises(WindowNotReady, match="closed"):
        queue.call_next(3)
    assert queue.login(3, "S001").state == "idle"


def test_event_feed_resumes_from_saved_cursor(queue, demo_config, clock, db_path):
    feed = EventFeed(queue, consumer="voice")
    queue.issue("A")
    queue.call_next(1)
    seen = feed.poll()
    assert [e.kind for e in seen] == ["issued", "called"]
    feed.save()
    queue.recall(1)
    other = HallQueue(db_path, demo_config, clock)  # a restarted process
    again = EventFeed(other, consumer="voice")
    assert [e.kind for e in again.poll()] == ["recalled"]
    assert again.poll() == []


def test_window_state_follows_operations(queue):
    queue.issue("A")
    queue.issue("B")
    assert queue.window_state(1).waiting == 2
    queue.call_next(1)
    ws = queue.window_state(1)
    assert (ws.state, ws.current.number, ws.waiting) == ("serving", "A001", 1)
    assert ws.to_json()["current"] == "A001"


def test_day_closes_even_when_the_first_operation_of_the_day_is_refused(queue, clock):
    left = queue.issue("A")
    clock.set(datetime(2026, 11, 24, 7, 0))  # next day, before opening: the issue is refused
    with pytest.raises(ServiceClosed):
        queue.issue("A")
    assert queue.ticket(left.id).status == "expired"
    assert [e.kind for e in queue.events_after(0)][-2:] == ["day_closed", "refused"]


def test_refusals_name_their_service_in_the_event_row(queue, clock):
    clock.set(datetime(2026, 11, 23, 12, 30))
    with pytest.raises(ServiceClosed):
        queue.issue("C")
    ev = queue.events_after(0)[-1]
    assert (ev.kind, ev.service, ev.number) == ("refused", "C", None)


def test_queue_operations_leave_checkpoints_to_the_background(demo_config, clock, tmp_path):
    import shutil
    import sqlite3

    db = tmp_path / "hall.sqlite"
    q = HallQueue(db, demo_config, clock)
    from hall.queue import WAL_BOUND_PAGES
    assert q._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_BOUND_PAGES
    assert q._checkpointer is not None and q._checkpointer._thread.is_alive()
    for _ in range(50):
        q.issue("A")
    q.close()
    # after close everything is in the main file: a copy without the -wal file has it all
    shutil.copy(db, tmp_path / "copy.sqlite")
    with sqlite3.connect(tmp_path / "copy.sqlite") as c:
        assert c.execute("SELECT count(*) FROM tickets").fetchone()[0] == 50
