"""Where the sustained benchmark's slow operations waited, from the kernel's own stacks.

Record the benchmark's context switches while it runs (root), with the same clock as the
benchmark's times, then read them against its output:

    perf record -e sched:sched_switch -g --clockid monotonic -p PID -o run.perf
    python benchmarks/offcpu_stacks.py run.perf run.txt [fds.txt]

``PID`` and the run's start on CLOCK_MONOTONIC are the line ``pid …`` that
sustained_bench.py prints before its loop. For each of the slowest operations it lists
the switches of the queue thread off the CPU inside the operation, with the thread's
state (D: blocked in the kernel, S: asleep, R: preempted) and its kernel stack; then every
switch in state D counted by where it blocked. Add ``-e syscalls:sys_enter_pread64 -e
syscalls:sys_enter_pwrite64`` to the recording and an ``ls -l /proc/PID/fd`` taken during
the run (fds.txt) to see which file a blocked read or write was on.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

HEAD = re.compile(r"^\S.*?\s(\d+)\s+\[\d+\]\s+([\d.]+):\s+sched:sched_switch:.*prev_pid=(\d+).*prev_state=(\S+)")
CALL = re.compile(r"^\S.*?\s(\d+)\s+\[\d+\]\s+([\d.]+):\s+syscalls:sys_enter_(pread64|pwrite64):\s+fd: (0x[0-9a-f]+)")
SLOW = re.compile(r"^\s+(issue|call-next)\s+([\d.]+) ms at\s+([\d.]+) s:")


def switches(perf_data: str) -> list[tuple[float, int, str, list[str], str]]:
    """(time, tid, state, kernel frames innermost first, the pread/pwrite it was in: "pread64
    fd 5") of each switch off the CPU. The syscall is known when the recording also has
    ``-e syscalls:sys_enter_pread64 -e syscalls:sys_enter_pwrite64``."""
    text = subprocess.run(["perf", "script", "-i", perf_data], capture_output=True, text=True).stdout
    out = []
    last_call: dict[int, str] = {}
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        c = CALL.match(lines[0]) if lines else None
        if c:
            last_call[int(c.group(1))] = f"{c.group(3)} fd {int(c.group(4), 16)}"
            continue
        m = HEAD.match(lines[0]) if lines else None
        if not m:
            continue
        frames = [ln.split()[1].split("+", 1)[0] for ln in lines[1:] if len(ln.split()) > 1]
        kernel = [f for f in frames if f not in ("__schedule", "schedule", "[unknown]")]
        tid = int(m.group(3))
        call = last_call.get(tid, "") if any(f.startswith("__x64_sys_p") for f in kernel) else ""
        out.append((float(m.group(2)), tid, m.group(4), kernel, call))
    return out


def fd_names(listing: str) -> dict[str, str]:
    """fd number -> file name, from an ``ls -l /proc/PID/fd`` taken during the run."""
    names = {}
    for line in open(listing, encoding="utf-8"):
        parts = line.split()
        if "->" in parts:
            names[parts[parts.index("->") - 1]] = parts[-1].rsplit("/", 1)[-1]
    return names


def bench_run(bench_txt: str) -> tuple[int, float, list[tuple[str, float, float]]]:
    """The benchmark's pid, its run's start (CLOCK_MONOTONIC) and its slowest operations."""
    pid, t0, slow = 0, 0.0, []
    for line in open(bench_txt, encoding="utf-8"):
        if line.startswith("pid "):
            pid = int(line.split()[1].rstrip(";"))
            t0 = float(re.search(r"CLOCK_MONOTONIC ([\d.]+)", line).group(1))
        m = SLOW.match(line)
        if m:
            slow.append((m.group(1), float(m.group(2)) / 1000, float(m.group(3))))
    return pid, t0, slow


def where(frames: list[str], depth: int = 7) -> str:
    return " <- ".join(frames[:depth])


def main() -> None:
    perf_data, bench_txt = sys.argv[1:3]
    names = fd_names(sys.argv[3]) if len(sys.argv) > 3 else {}
    pid, t0, slow = bench_run(bench_txt)

    def on(call: str) -> str:
        if not call:
            return ""
        fd = call.rsplit(" ", 1)[1]
        return f"  [{call}{' ' + names[fd] if fd in names else ''}]"
    events = [e for e in switches(perf_data) if e[1] == pid]  # the queue runs in the main thread
    print(f"{len(events):,} switches of the queue thread (pid {pid}) off the CPU")
    for op, wall, at in slow:
        start = t0 + at
        inside = [e for e in events if start - 0.0005 <= e[0] <= start + wall + 0.0005]
        print(f"{op} {wall * 1000:.1f} ms at {at:.1f} s: {len(inside)} switch(es) off the CPU")
        for t, _, state, frames, call in inside:
            print(f"    +{(t - start) * 1000:6.2f} ms  {state}  {where(frames, 12)}{on(call)}")
    blocked = Counter(where(f) + on(c) for _, _, s, f, c in events if s.startswith("D"))
    print(f"switches in state D (blocked in the kernel): {sum(blocked.values())}, by where:")
    for stack, n in blocked.most_common(10):
        print(f"  {n:6}  {stack}")


if __name__ == "__main__":
    main()
