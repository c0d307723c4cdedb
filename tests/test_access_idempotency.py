"""Safe retries (hall/idempotency.py) and the nested transactions of HallQueue they stand on:
an operation and its stored answer are one transaction; a refusal is stored and replayed;
two threads with one key do the operation once; a crash of the operation stores nothing."""
from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime

import pytest

from hall import HallError, HallQueue, InvalidArgument, ServiceClosed
from hall import idempotency as idem
from hall.errors import IdempotencyMismatch
from hall.idempotency import run_once


def count(queue, sql, *args):
    return queue._conn.execute(sql, args).fetchone()[0]


def issue_op(queue, service="A"):
    return lambda: (201, queue.issue(service, kiosk="kiosk-2").to_json())


# -- nested transactions ---------------------------------------------------------------------
def test_operations_inside_a_transaction_commit_together(queue):
    with queue.transaction():
        a = queue.issue("A")
        b = queue.issue("A")
        assert count(queue, "SELECT count(*) FROM tickets") == 2
    assert (a.number, b.number) == ("A001", "A002")
    other = sqlite3.connect(queue.path)
    assert other.execute("SELECT count(*) FROM tickets").fetchone()[0] == 2
    other.close()


def test_an_exception_in_a_transaction_undoes_every_operation_in_it(queue):
    with pytest.raises(RuntimeError):
        with queue.transaction():
            queue.issue("A")
            queue.issue("A")
            raise RuntimeError("crash")
    assert count(queue, "SELECT count(*) FROM tickets") == 0
    assert count(queue, "SELECT count(*) FROM events WHERE kind = 'issued'") == 0
    assert queue.issue("A").number == "A001"  # the counter was undone too


def test_a_refused_operation_inside_undoes_only_its_part_and_its_refusal_stays(queue, clock):
    clock.set(datetime(2026, 11, 23, 22, 0))  # every demo service closed
    with queue.transaction():
        queue.log_event("printer", kiosk="kiosk-2")
        with pytest.raises(ServiceClosed):
            queue.issue("A")
        with pytest.raises(InvalidArgument):
            queue.rate(1, 9)
    assert count(queue, "SELECT count(*) FROM events WHERE kind = 'printer'") == 1
    assert count(queue, "SELECT count(*) FROM tickets") + count(queue, "SELECT count(*) FROM counters") == 0
    assert count(queue, "SELECT count(*) FROM events WHERE kind = 'refused'") == 1


def test_the_clock_and_the_day_roll_run_once_at_the_outer_level(queue, clock):
    queue.issue("A")
    clock.set(datetime(2026, 11, 24, 9, 0))
    with queue.transaction():
        t1 = queue.issue("A")
        clock.advance(minutes=5)
        t2 = queue.issue("A")
    assert t1.issued_at == t2.issued_at  # one time for the whole transaction
    assert (t1.number, t2.number) == ("A001", "A002")  # a new day: numbers start again
    assert count(queue, "SELECT count(*) FROM events WHERE kind = 'day_closed'") == 1


def test_another_thread_waits_for_the_open_transaction(queue):
    order = []
    started = threading.Event()

    def other():
        started.set()
        order.append(("other", queue.issue("B").number))
    with queue.transaction():
        queue.issue("A")
        t = threading.Thread(target=other)
        t.start()
        started.wait(5)
        t.join(0.2)
        assert t.is_alive()  # blocked on the queue's lock, not joined to this transaction
        order.append(("outer", "done"))
    t.join(10)
    assert order == [("outer", "done"), ("other", "B001")]


def test_a_read_only_queue_refuses_a_transaction(queue, demo_config, clock, db_path):
    from hall.errors import DatabaseProblem
    from hall.readonly import ReadOnlyQueue
    ro = ReadOnlyQueue(db_path, demo_config, clock)
    try:
        with pytest.raises(DatabaseProblem) as e:
            with ro.transaction():
                pass
        assert e.value.what == "只读打开 (opened for reading only)"
        assert e.value.fix.startswith("改用有写权限、会改动队列的命令 (use a command")
    finally:
        ro.close()


# -- run_once ----------------------------------------------------------------------------------
def test_the_same_key_replays_the_first_answer_and_changes_nothing(queue):
    first = run_once(queue, "tok1", "k-1", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    assert first[0] == 201 and first[2] is False and first[1]["number"] == "A001"
    events = count(queue, "SELECT count(*) FROM events")
    again = run_once(queue, "tok1", "k-1", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    assert again == (201, first[1], True)
    assert count(queue, "SELECT count(*) FROM tickets") == 1
    assert count(queue, "SELECT count(*) FROM events") == events
    other = run_once(queue, "tok2", "k-1", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    assert other[1]["number"] == "A002" and other[2] is False  # keys are per credential


def test_a_refusal_is_stored_and_replayed_and_its_refused_event_lands_once(queue, clock):
    clock.set(datetime(2026, 11, 23, 22, 0))
    status, body, replayed = run_once(queue, "tok1", "k-2", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    assert (status, replayed) == (409, False)
    assert body["error"]["code"] == "closed" and body["error"]["message_en"] and body["error"]["message"]
    assert count(queue, "SELECT count(*) FROM events WHERE kind = 'refused'") == 1
    clock.set(datetime(2026, 11, 23, 9, 30))  # open again: the retry still gets the refusal
    assert run_once(queue, "tok1", "k-2", "POST", "/api/v1/tickets", "fp", issue_op(queue)) == (409, body, True)
    assert count(queue, "SELECT count(*) FROM tickets") == 0
    assert count(queue, "SELECT count(*) FROM events WHERE kind = 'refused'") == 1


def test_the_server_may_give_its_own_refusal_body(queue):
    seen = []

    def refusal(e: HallError):
        seen.append(e.code)
        return 404, {"mine": e.code}
    answer = run_once(queue, "t", "k", "POST", "/x", "fp", issue_op(queue, "NOPE"), refusal=refusal)
    assert answer == (404, {"mine": "unknown_service"}, False) and seen == ["unknown_service"]


def test_a_crash_in_the_operation_stores_nothing_and_changes_nothing(queue):
    def crash():
        queue.issue("A")
        raise KeyError("a bug")
    with pytest.raises(KeyError):
        run_once(queue, "tok1", "k-3", "POST", "/api/v1/tickets", "fp", crash)
    assert count(queue, "SELECT count(*) FROM idempotency") == 0
    assert count(queue, "SELECT count(*) FROM tickets") == 0
    answer = run_once(queue, "tok1", "k-3", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    assert answer[1]["number"] == "A001" and answer[2] is False  # the retry runs


def test_a_database_failure_is_not_kept_as_an_answer(queue):
    from hall.errors import DatabaseProblem

    def full():
        queue.issue("A")
        raise DatabaseProblem("full", queue.path, "the disk is full", "free some space")
    with pytest.raises(DatabaseProblem):
        run_once(queue, "tok1", "k-5", "POST", "/api/v1/tickets", "fp", full)
    assert count(queue, "SELECT count(*) FROM idempotency") + count(queue, "SELECT count(*) FROM tickets") == 0
    assert run_once(queue, "tok1", "k-5", "POST", "/api/v1/tickets", "fp", issue_op(queue))[2] is False


@pytest.mark.parametrize("method, path, fingerprint", [("POST", "/api/v1/tickets", "other body"),
                                                      ("POST", "/api/v1/checkins", "fp"),
                                                      ("PUT", "/api/v1/tickets", "fp")])
def test_the_same_key_for_another_request_is_refused(queue, method, path, fingerprint):
    run_once(queue, "tok1", "k-4", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    with pytest.raises(IdempotencyMismatch) as e:
        run_once(queue, "tok1", "k-4", method, path, fingerprint, issue_op(queue))
    assert e.value.code == "idempotency_mismatch" and "k-4" in str(e.value) and e.value.zh
    assert count(queue, "SELECT count(*) FROM tickets") == 1


def test_two_threads_with_one_key_do_the_operation_once(queue):
    answers, start = [], threading.Barrier(6)

    def go():
        start.wait()
        answers.append(run_once(queue, "tok1", "tap-7", "POST", "/api/v1/tickets", "fp", issue_op(queue)))
    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 6
    assert [a[2] for a in answers].count(False) == 1
    assert len({json.dumps(a[1], sort_keys=True) for a in answers}) == 1
    assert count(queue, "SELECT count(*) FROM tickets") == 1


def test_two_processes_with_one_key_do_the_operation_once(queue, demo_config, clock, db_path):
    """Two queue objects on one file (as two processes would be): BEGIN IMMEDIATE orders them."""
    other = HallQueue(db_path, demo_config, clock)
    try:
        a = run_once(queue, "tok1", "tap-8", "POST", "/api/v1/tickets", "fp", issue_op(queue))
        b = run_once(other, "tok1", "tap-8", "POST", "/api/v1/tickets", "fp", issue_op(other))
    finally:
        other.close()
    assert (a[2], b[2]) == (False, True) and a[1] == b[1]


def test_records_older_than_a_day_are_purged_and_not_replayed(queue, clock, monkeypatch):
    monkeypatch.setattr(idem, "_purged", {})
    run_once(queue, "tok1", "old", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    clock.advance(hours=23)
    assert run_once(queue, "tok1", "old", "POST", "/api/v1/tickets", "fp", issue_op(queue))[2] is True
    clock.advance(hours=1, seconds=1)
    fresh = run_once(queue, "tok1", "old", "POST", "/api/v1/tickets", "fp", issue_op(queue))
    assert fresh[2] is False  # past 24 h: a new request
    monkeypatch.setattr(idem, "_purged", {})
    clock.advance(hours=25)
    run_once(queue, "tok1", "new", "POST", "/api/v1/tickets", "fp", lambda: (200, None))
    assert [r[0] for r in queue._conn.execute("SELECT key FROM idempotency")] == ["new"]


def test_the_purge_runs_at_most_once_a_minute(queue, monkeypatch):
    monkeypatch.setattr(idem, "_purged", {})
    statements = []
    queue._conn.set_trace_callback(statements.append)
    for n in range(5):
        run_once(queue, "tok1", f"k{n}", "POST", "/x", "fp", lambda: (204, None))
    queue._conn.set_trace_callback(None)
    assert sum("DELETE FROM idempotency" in s for s in statements) == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "line\nbreak", None])
def test_a_bad_key_is_refused_in_words(queue, key):
    with pytest.raises(InvalidArgument, match="Idempotency-Key"):
        run_once(queue, "tok1", key, "POST", "/x", "fp", issue_op(queue))
    assert count(queue, "SELECT count(*) FROM tickets") == 0


def test_a_body_of_none_and_unicode_round_trip(queue):
    assert run_once(queue, "t", "a", "POST", "/x", "fp", lambda: (204, None)) == (204, None, False)
    assert run_once(queue, "t", "a", "POST", "/x", "fp", lambda: (204, "x")) == (204, None, True)
    body = {"name": "张三", "n": [1, 2.5, True]}
    run_once(queue, "t", "b", "POST", "/x", "fp", lambda: (200, body))
    assert run_once(queue, "t", "b", "POST", "/x", "fp", lambda: (500, {})) == (200, body, True)


def test_a_full_disk_in_the_middle_stores_nothing_and_the_retry_runs(queue):
    """SQLITE_FULL inside the operation (the database at its size limit): both undone."""
    run_once(queue, "tok1", "before", "POST", "/x", "fp", issue_op(queue))
    before = count(queue, "SELECT count(*) FROM tickets")
    pages = count(queue, "PRAGMA page_count")
    queue._conn.execute(f"PRAGMA max_page_count = {pages}")

    def many():
        for _ in range(5000):
            queue.log_event("printer", detail="x" * 2000)
        return 200, None
    try:
        with pytest.raises((sqlite3.Error, HallError)):
            run_once(queue, "tok1", "full", "POST", "/x", "fp", many)
    finally:
        queue._conn.execute("PRAGMA max_page_count = 1073741823")
    assert not queue._conn.in_transaction
    assert count(queue, "SELECT count(*) FROM idempotency WHERE key = 'full'") == 0
    assert count(queue, "SELECT count(*) FROM events WHERE kind = 'printer'") == 0
    assert count(queue, "SELECT count(*) FROM tickets") == before
    assert run_once(queue, "tok1", "full", "POST", "/x", "fp", issue_op(queue))[2] is False
