"""Make the controller's nice value count against other programs, not only its own threads.

Most distribution kernels group tasks by session (``CONFIG_SCHED_AUTOGROUP``, on by
default) and share the CPU fairly between the groups first: a nice value then only
orders threads within the same session. systemd starts every service in a session of
its own, so `Nice=-10` in deploy/jiaohao-serve.service alone does not put `serve` ahead of
the kiosk or the screen (measured: benchmarks/sustained_bench.py, docs/backup.md). The
session's group has a nice value of its own, in ``/proc/self/autogroup``:
:func:`share_nice_with_session` gives it the process's nice value. Lowering it below 0
needs ``LimitNICE=`` in the unit (or CAP_SYS_NICE).
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

AUTOGROUP = "/proc/self/autogroup"


def autogroup_nice(path: str = AUTOGROUP) -> int | None:
    """The nice value of this process's session group, or None without autogroups."""
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split("nice")[1])  # "/autogroup-123 nice 0"
    except (OSError, IndexError, ValueError):
        return None


def share_nice_with_session(path: str = AUTOGROUP) -> int | None:
    """Give the session's CPU group this process's nice value, when the process leads its
    session (as under systemd: never renice a terminal's session from inside it).
    Returns the group's nice value afterwards; None when there are no autogroups."""
    current = autogroup_nice(path)
    if current is None:
        return None
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    if nice == current or os.getsid(0) != os.getpid():
        return current
    try:
        with open(path, "w", encoding="ascii") as f:
            f.write(str(nice))
    except OSError as e:
        log.warning("cannot give the session's CPU group nice %d (%s): the service's Nice= then only "
                    "orders its own threads; add LimitNICE=%d to the unit", nice, e.strerror or e, nice)
        return current
    log.info("session CPU group at nice %d, as the process", nice)
    return autogroup_nice(path)
