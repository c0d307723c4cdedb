"""A thread's own CPU priority (Linux gives each thread a nice value of its own).

Housekeeping threads (backups, the event stream's writer) run below the threads that
answer queue operations, so an operation that wakes while they work gets the CPU first.
Only within the process's own session group: jiaohao/cpu_priority.py orders the groups."""
from __future__ import annotations

import contextlib
import os
import threading


def set_thread_nice(nice: int) -> None:
    """Give the calling thread this nice value (no-op where threads have none)."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(-20, min(19, nice)))


def lower_thread_priority(step: int) -> None:
    """Run the calling thread ``step`` nice levels below where it is (below the process)."""
    if step > 0 and hasattr(os, "getpriority"):
        with contextlib.suppress(OSError):
            set_thread_nice(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + step)
