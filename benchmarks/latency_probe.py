"""Where the time of one queue operation went: for the sustained benchmark's slow operations.

Per operation it keeps, in arrays (the benchmark's own records must not lengthen Python's
GC pauses): the wall time; the thread's CPU time and its time runnable but waiting for a
CPU (Linux schedstat, read with one pread of an open fd); the time of ``BEGIN IMMEDIATE``
(the write lock: SQLite's busy handler sleeps 1, 2, 5, 10 ms … while another connection
holds it), of ``COMMIT`` (WAL write; an fsync when the commit starts the WAL again or runs
a checkpoint) and of the statements between; and what was off the CPU in BEGIN and COMMIT
(asleep or blocked on the disk). Off the CPU elsewhere is page reads from the disk or
waiting for the GIL. Python GC pauses come from ``gc.callbacks``; checkpoint rounds of
every process from the checkpointers' logs. :func:`cause` names the largest part.
"""
from __future__ import annotations

import gc
import os
import time
from array import array

PHASES = ("begin", "statements", "commit")


class SchedStat:
    """This thread's CPU time, run-queue wait and times scheduled (seconds, seconds, count)."""

    def __init__(self):
        try:
            self._fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            self._fd = None

    def read(self) -> tuple[float, float, int]:
        if self._fd is None:
            t = time.thread_time()
            return t, 0.0, 0
        cpu, wait, slices = os.pread(self._fd, 64, 0).split()[:3]
        return int(cpu) / 1e9, int(wait) / 1e9, int(slices)


class TimedConnection:
    """Wraps the queue's sqlite3 connection: times BEGIN, COMMIT and the statements between
    of the current operation (the benchmark calls :meth:`reset` before each)."""

    def __init__(self, conn, sched: SchedStat):
        self._conn = conn
        self._sched = sched
        self.reset()

    def reset(self) -> None:
        self.times = {p: 0.0 for p in PHASES}
        self.off_cpu = {"begin": 0.0, "commit": 0.0}  # wall minus CPU minus waiting for a CPU

    def execute(self, sql, *args):
        word = sql.lstrip()[:6].upper()
        phase = "begin" if word == "BEGIN " else "commit" if word == "COMMIT" else "statements"
        if phase == "statements":
            t = time.perf_counter()
            try:
                return self._conn.execute(sql, *args)
            finally:
                self.times[phase] += time.perf_counter() - t
        cpu0, wait0, _ = self._sched.read()
        t = time.perf_counter()
        try:
            return self._conn.execute(sql, *args)
        finally:
            took = time.perf_counter() - t
            cpu1, wait1, _ = self._sched.read()
            self.times[phase] += took
            self.off_cpu[phase] += max(0.0, took - (cpu1 - cpu0) - (wait1 - wait0))

    def __getattr__(self, name):
        return getattr(self._conn, name)


class GcLog:
    """Records Python's garbage-collector pauses in this process (start, seconds, generation)."""

    def __init__(self):
        self.starts, self.seconds, self.generations = array("d"), array("d"), array("b")
        self._t = 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.starts.append(self._t)
            self.seconds.append(time.perf_counter() - self._t)
            self.generations.append(info["generation"])

    def inside(self, start: float, end: float) -> list[tuple[float, int]]:
        return [(d, g) for t, d, g in zip(self.starts, self.seconds, self.generations) if start <= t <= end]


class OpLog:
    """One row per operation, columns in arrays."""

    COLUMNS = ("start", "op", "wall", "wal_bytes", "cpu", "cpu_wait", "slices", "restarted",
               "begin", "statements", "commit", "begin_off_cpu", "commit_off_cpu")
    TYPES = "dbdqddqbddddd"

    def __init__(self):
        self.cols = {name: array(code) for name, code in zip(self.COLUMNS, self.TYPES)}

    def add(self, **values) -> None:
        for name in self.COLUMNS:
            self.cols[name].append(values[name])

    def rows(self) -> list[dict]:
        return [dict(zip(self.COLUMNS, r)) for r in zip(*(self.cols[n] for n in self.COLUMNS))]


def overlaps(rounds, start: float, end: float) -> list[tuple[str, float, float]]:
    """Checkpoint rounds (who, start, seconds) that ran at some time in [start, end]."""
    return [(who, t, d) for who, t, d in rounds if t <= end and t + d >= start]


def shares(r: dict, gc_s: float) -> dict[str, float]:
    """The operation's wall time split into parts that add up to it (near enough)."""
    off = max(0.0, r["wall"] - r["cpu"] - r["cpu_wait"])
    commit = "WAL restart (header fsync in COMMIT)" if r["restarted"] else "COMMIT off CPU (disk write, fsync)"
    return {
        "waiting for a CPU (other programs)": r["cpu_wait"],
        "write lock wait (BEGIN off CPU)": r["begin_off_cpu"],
        commit: r["commit_off_cpu"],
        "off CPU elsewhere (page reads, GIL)": max(0.0, off - r["begin_off_cpu"] - r["commit_off_cpu"]),
        "Python GC pause": min(gc_s, r["cpu"]),
        "on CPU: SQLite and Python": max(0.0, r["cpu"] - gc_s),
    }


def cause(r: dict, gc_s: float) -> str:
    return max(shares(r, gc_s).items(), key=lambda kv: kv[1])[0]


def describe(r: dict, t0: float, gcs, near) -> str:
    ms = lambda x: f"{x * 1000:.1f}"  # noqa: E731
    parts = [f"{r['op']:9} {ms(r['wall']):>6} ms at {r['start'] - t0:8.3f} s:",
             f"BEGIN {ms(r['begin'])} (asleep {ms(r['begin_off_cpu'])})",
             f"statements {ms(r['statements'])}",
             f"COMMIT {ms(r['commit'])} (off CPU {ms(r['commit_off_cpu'])}{', WAL restart' if r['restarted'] else ''})",
             f"CPU {ms(r['cpu'])}, waiting for a CPU {ms(r['cpu_wait'])}, scheduled {r['slices']}x",
             f"WAL {r['wal_bytes'] / 2**20:.1f} MiB"]
    if gcs:
        parts.append("GC " + ", ".join(f"gen{g} {ms(d)}" for d, g in gcs))
    if near:
        parts.append("checkpoints " + ", ".join(f"{who} {(t - r['start']) * 1000:+.0f}ms/{ms(d)}" for who, t, d in near))
    return "  ".join(parts)


def report(rows: list[dict], gclog: GcLog, rounds, t0: float, slow_s: float = 0.005, show: int = 12) -> list[str]:
    """Lines: how many operations took over ``slow_s``, counted by cause, then the slowest."""
    slow = [r for r in rows if r["wall"] > slow_s]
    lines = [f"operations over {slow_s * 1000:g} ms: {len(slow)} of {len(rows):,}"]
    if not slow:
        return lines
    by_cause: dict[str, list[float]] = {}
    detail = []
    for r in slow:
        end = r["start"] + r["wall"]
        gcs = gclog.inside(r["start"], end)
        near = overlaps(rounds, r["start"], end)
        c = cause(r, sum(d for d, _ in gcs))
        by_cause.setdefault(c, []).append((r["wall"], bool(near)))
        detail.append((r["wall"], f"  {describe(r, t0, gcs, near)}  => {c}"))
    lines.append("  by largest cause (the parts add up to the operation's time):")
    for c, ops in sorted(by_cause.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"    {len(ops):5}  {c:40} max {max(w for w, _ in ops) * 1000:6.1f} ms; "
                     f"{sum(n for _, n in ops)} with a checkpoint running meanwhile")
    lines.append(f"  the {min(show, len(detail))} slowest:")
    lines += [d for _, d in sorted(detail, key=lambda x: -x[0])[:show]]
    return lines
