"""Does a write into a shared file mapping stall while the filesystem's journal commits?

Issue 19's unexplained stall: a call-next took 228 ms off the CPU inside its statements.
The suspect is SQLite's ``-shm`` file, mapped MAP_SHARED by every connection: the kernel's
flusher writes its dirty pages back (and write-protects them); the next store into such a
page faults (``page_mkwrite``), which updates the file's mtime/ctime; on ext4 that needs a
journal handle and the inode's buffer, and waits while the journal commits (fsyncs of
other files on the filesystem, such as the checkpointer's, make it commit).

This reproduces that without SQLite, in three processes per run:

- the *writer* stores a word into each 4 KiB page of a small file mapped MAP_SHARED (as
  every transaction writes its read mark and the WAL index into ``-shm``), every 10 ms,
  and times each store (with its CPU time and its wait for a CPU, from schedstat);
- the *flusher* writes the small file's dirty pages back (``sync_file_range``, no fsync,
  no journal commit) every ``--flush-s`` seconds: the kernel's flusher does the same to a
  page dirty for 30 s; this only makes it happen more often (0: leave it to the kernel);
- the *checkpointer* writes 4 MiB into a large file (half overwritten, half appended) and
  fdatasyncs it, every 0.2 s, as the checkpointer copies WAL frames into the database.

The parent samples the writer's kernel stack (``/proc/PID/task/TID/stack``, root only)
whenever a store has taken over 2 ms, and prints the stacks counted by where they wait.

Targets (each run alternates through them, back to back): a folder on the root
filesystem; the -shm in /dev/shm (tmpfs: no writeback, no page_mkwrite); and, as root
with ``--loop``, an ext4 image mounted through a loop device, once ``relatime`` and once
``lazytime`` (remounted between runs: the same filesystem, only the option differs).

    python benchmarks/shm_stall.py [--seconds 60] [--rounds 2] [--loop] [--flush-s 1] [--mib 4]

The journalled inode updates themselves are counted by perf (one per write-back round
on ext4, with or without ``lazytime``: docs/backup.md):

    perf stat -e ext4:ext4_mark_inode_dirty python benchmarks/shm_stall.py --only beside
"""
from __future__ import annotations

import argparse
import ctypes
import mmap
import multiprocessing as mp
import os
import shutil
import subprocess
import tempfile
import threading
import time
from array import array
from collections import Counter
from pathlib import Path

PAGE = 4096
SHM_PAGES = 8  # SQLite maps -shm in 32 KiB regions
STORE_EVERY_S = 0.010
STALL_S = 0.002  # sample the stack of a store taking longer than this
FAULT_S = 0.000015  # a store this slow took a page fault (a plain store: ~1 µs)


def schedstat(fd: int) -> tuple[float, float]:
    cpu, wait = os.pread(fd, 64, 0).split()[:2]
    return int(cpu) / 1e9, int(wait) / 1e9


def writer(shm: str, seconds: float, shared, out) -> None:
    """Stores into each page of the mapping; sends back (wall, cpu, cpu wait, at) per slow store."""
    fd = os.open(shm, os.O_RDWR | os.O_CREAT, 0o644)
    os.ftruncate(fd, SHM_PAGES * PAGE)
    mm = mmap.mmap(fd, SHM_PAGES * PAGE, mmap.MAP_SHARED)
    sched = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    shared[1] = os.getpid()
    shared[2] = threading.get_native_id()
    walls = array("d")
    slow = []
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for p in range(SHM_PAGES):
            n += 1
            cpu0, wait0 = schedstat(sched)
            t = time.perf_counter()
            shared[0] = t
            mm[p * PAGE:p * PAGE + 8] = n.to_bytes(8, "little")
            took = time.perf_counter() - t
            shared[0] = 0.0
            cpu1, wait1 = schedstat(sched)
            walls.append(took)
            if took > FAULT_S:
                slow.append((took, cpu1 - cpu0, wait1 - wait0, t))
        time.sleep(STORE_EVERY_S)
    mm.close()
    os.close(fd)
    shared[3] = 1.0  # done: a process with data in a queue ends only once it is read
    out.put((walls.tobytes(), slow))


def flusher(shm: str, every_s: float, seconds: float) -> None:
    """Writes the mapping's dirty pages back without an fsync, as the kernel's flusher does."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(shm, os.O_RDWR | os.O_CREAT, 0o644)
    flags = 1 | 2 | 4  # SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(every_s)
        libc.sync_file_range(fd, ctypes.c_longlong(0), ctypes.c_longlong(0), ctypes.c_uint(flags))
    os.close(fd)


def checkpointer(big: str, seconds: float, mib: int, out) -> None:
    """Writes ``mib`` MiB (half over old data, half appended) and fdatasyncs, every 0.2 s."""
    chunk = os.urandom(1 << 20)
    half = max(1, mib // 2)
    fd = os.open(big, os.O_RDWR | os.O_CREAT, 0o644)
    syncs = array("d")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        size = os.fstat(fd).st_size
        if size > 1 << 30:
            os.ftruncate(fd, 0)
            size = 0
        for k in range(half):
            os.pwrite(fd, chunk, (k << 20) if size > half << 20 else size + (k << 20))
        for k in range(half):
            os.pwrite(fd, chunk, size + (k << 20))
        t = time.perf_counter()
        os.fdatasync(fd)
        syncs.append(time.perf_counter() - t)
        time.sleep(0.2)
    os.close(fd)
    out.put(syncs.tobytes())


def frames(stack: str) -> tuple[str, ...]:
    """The function names of a /proc stack, innermost first, without offsets."""
    return tuple(line.split("] ", 1)[-1].split("+", 1)[0] for line in stack.splitlines() if "] " in line)


def sample_stacks(shared, stacks: Counter, states: Counter) -> None:
    """Until the writer is done: its kernel stack whenever a store has lasted over STALL_S."""
    seen_for = 0.0
    while not shared[3]:
        time.sleep(0.0005)
        start, pid, tid = shared[0], int(shared[1]), int(shared[2])
        if not start or time.perf_counter() - start < STALL_S or start == seen_for or not tid:
            continue
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            stack = Path(f"/proc/{pid}/task/{tid}/stack").read_text()
        except OSError:
            continue
        if shared[0] != start:
            continue  # the store ended while we read
        seen_for = start
        states[stat.rsplit(")", 1)[1].split()[0]] += 1
        stacks[frames(stack)] += 1


def run(name: str, shm_dir: Path, data_dir: Path, seconds: float, flush_s: float, mib: int) -> dict:
    ctx = mp.get_context("fork")
    shm = str(shm_dir / "stall-test.sqlite-shm")
    big = str(data_dir / "stall-test.sqlite")
    shared = ctx.RawArray("d", 4)  # store started at, pid, tid, done
    to_parent = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(shm, seconds, shared, to_parent))]
    syncs_q = ctx.Queue()
    procs.append(ctx.Process(target=checkpointer, args=(big, seconds, mib, syncs_q)))
    if flush_s > 0:
        procs.append(ctx.Process(target=flusher, args=(shm, flush_s, seconds)))
    load0 = os.getloadavg()[0]
    for p in procs:
        p.start()
    stacks: Counter = Counter()
    states: Counter = Counter()
    sample_stacks(shared, stacks, states)
    walls_b, slow = to_parent.get(timeout=60)
    syncs = array("d")
    syncs.frombytes(syncs_q.get(timeout=60))
    for p in procs:
        p.join(timeout=30)
    for f in (shm, big):
        Path(f).unlink(missing_ok=True)
    walls = array("d")
    walls.frombytes(walls_b)
    return {"name": name, "walls": walls, "slow": slow, "syncs": syncs, "stacks": stacks,
            "states": states, "load": (load0, os.getloadavg()[0])}


def show(r: dict) -> list[str]:
    walls = sorted(r["walls"])
    ms = lambda x: f"{x * 1000:.2f}"  # noqa: E731
    faults = r["slow"]
    over1 = [s for s in faults if s[0] > 0.001]
    over10 = [s for s in faults if s[0] > 0.010]
    blocked = [s for s in over1 if s[0] - s[1] - s[2] > s[2]]  # off the CPU more than waiting for one
    syncs = sorted(r["syncs"])
    lines = [f"{r['name']}: {len(walls):,} stores, {len(faults):,} took a fault (> {FAULT_S * 1e6:.0f} µs); "
             f"over 1 ms {len(over1)}, over 10 ms {len(over10)} ({len(blocked)} of those over 1 ms blocked off "
             f"the CPU, the rest waiting for one); max {ms(walls[-1])} ms; load {r['load'][0]:.2f} → "
             f"{r['load'][1]:.2f}",
             f"    checkpointer: {len(syncs)} fdatasyncs, median {ms(syncs[len(syncs) // 2])} ms, "
             f"max {ms(syncs[-1])} ms" if syncs else "    checkpointer: no fdatasync"]
    for took, cpu, wait, _ in sorted(over1, reverse=True)[:5]:
        lines.append(f"    store {ms(took)} ms: CPU {ms(cpu)}, waiting for a CPU {ms(wait)}, "
                     f"off the CPU {ms(max(0.0, took - cpu - wait))}")
    if r["states"]:
        lines.append("    thread state while stalled: " + ", ".join(f"{k} {v}" for k, v in r["states"].most_common()))
    for stack, count in r["stacks"].most_common(4):
        lines.append(f"    {count} x " + " <- ".join(stack[:9]))
    return lines


class LoopExt4:
    """An ext4 image on a loop device, mounted under a temporary folder; removed on exit."""

    def __init__(self, parent: Path):
        self.image = parent / "jiaohao-shm-stall.ext4"
        self.mnt = Path(tempfile.mkdtemp(prefix="jiaohao-shm-stall-mnt-"))

    def __enter__(self) -> "LoopExt4":
        subprocess.run(["truncate", "-s", "2G", str(self.image)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(self.image)], check=True)
        subprocess.run(["mount", "-o", "loop,relatime", str(self.image), str(self.mnt)], check=True)
        return self

    def options(self, opt: str) -> str:
        subprocess.run(["mount", "-o", f"remount,{opt}", str(self.mnt)], check=True)
        return subprocess.run(["findmnt", "-no", "OPTIONS", str(self.mnt)], capture_output=True,
                              text=True).stdout.strip()

    def __exit__(self, *exc) -> None:
        subprocess.run(["umount", str(self.mnt)], check=False)
        self.mnt.rmdir()
        self.image.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="per target and round")
    ap.add_argument("--rounds", type=int, default=2, help="times through all the targets, alternating")
    ap.add_argument("--flush-s", type=float, default=1.0,
                    help="write the mapping back this often (0: only the kernel's flusher, every ~30 s)")
    ap.add_argument("--mib", type=int, default=4, help="MiB the checkpointer writes before each fdatasync")
    ap.add_argument("--dir", default="/var/tmp", help="a folder on the filesystem under test")
    ap.add_argument("--loop", action="store_true", help="also an ext4 loop image, relatime and lazytime (root)")
    ap.add_argument("--only", default="", help="comma-separated target names to run (default: all)")
    a = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="jiaohao-shm-stall-", dir=a.dir))
    shm_tmp = Path(tempfile.mkdtemp(prefix="jiaohao-shm-stall-", dir="/dev/shm"))
    fs = subprocess.run(["findmnt", "-no", "FSTYPE,OPTIONS", "-T", str(base)], capture_output=True,
                        text=True).stdout.strip()
    print(f"{os.uname().release}, {os.cpu_count()} cores; {a.dir}: {fs}; {a.seconds:g} s per run, "
          + (f"flusher every {a.flush_s:g} s" if a.flush_s else "flusher: the kernel's own"), flush=True)
    loop = LoopExt4(Path(a.dir)) if a.loop else None
    try:
        if loop:
            loop.__enter__()
        targets = [("root fs, -shm beside the file", lambda: (base, base)),
                   ("-shm on tmpfs, file on root fs", lambda: (shm_tmp, base))]
        if loop:
            targets += [(f"loop ext4 {opt}", lambda opt=opt: (print(f"  ({loop.options(opt)})"), loop.mnt, loop.mnt)[1:])
                        for opt in ("relatime,nolazytime", "lazytime")]
        only = [t for t in a.only.split(",") if t]
        targets = [t for t in targets if not only or any(o in t[0] for o in only)]
        for k in range(a.rounds):
            for name, where in targets:
                shm_dir, data_dir = where()
                for line in show(run(f"[{k + 1}] {name}", shm_dir, data_dir, a.seconds, a.flush_s, a.mib)):
                    print(line, flush=True)
    finally:
        if loop:
            loop.__exit__(None, None, None)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(shm_tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
