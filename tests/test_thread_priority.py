"""Housekeeping threads run below the threads that answer requests (Linux: per-thread nice)."""
from __future__ import annotations

import os
import threading
import time

import pytest

from hall.thread_priority import lower_thread_priority, set_thread_nice

pytestmark = pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no per-thread nice values here")


def _nice_in_thread(fn) -> tuple[int, int]:
    """(the process's nice, the thread's nice after ``fn``), read from inside a new thread."""
    got = {}

    def run():
        fn()
        got["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    t = threading.Thread(target=run)
    t.start()
    t.join(5)
    return os.getpriority(os.PRIO_PROCESS, 0), got["thread"]


def test_lowering_is_relative_and_capped():
    base, mine = _nice_in_thread(lambda: lower_thread_priority(3))
    assert mine == min(19, base + 3)
    base, mine = _nice_in_thread(lambda: lower_thread_priority(40))
    assert mine == 19
    base, mine = _nice_in_thread(lambda: lower_thread_priority(0))
    assert mine == base


def test_set_is_per_thread_only():
    if os.getpriority(os.PRIO_PROCESS, 0) >= 19:
        pytest.skip("the tests run at nice 19: no lower nice value to set")
    base, mine = _nice_in_thread(lambda: set_thread_nice(19))
    assert mine == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # the caller's own untouched


def test_the_event_streams_writer_runs_below_the_server():
    from server.fanout import WRITER_NICE_STEP, FanoutWriter
    writer = FanoutWriter(hub=None)
    try:
        tid = writer._thread.native_id
        want = min(19, os.getpriority(os.PRIO_PROCESS, 0) + WRITER_NICE_STEP)
        deadline = time.monotonic() + 5
        while os.getpriority(os.PRIO_PROCESS, tid) != want and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.getpriority(os.PRIO_PROCESS, tid) == want
    finally:
        writer.stop()
