"""Which processes have a SQLite database open (restoring under a running process would
lose its writes): the POSIX locks every connection in WAL mode holds, read from
/proc/locks and with F_GETLK."""
from __future__ import annotations

import fcntl
import os
import struct
from pathlib import Path


def _lock_owner(path: str, start: int, length: int) -> int | None:
    """The pid of a process holding a POSIX lock on the byte range (F_GETLK), if any."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        # struct flock on Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
        req = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, req))
        return pid if kind != fcntl.F_UNLCK and pid > 0 else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _proc_locks(paths: list[str]) -> set[int]:
    """Every pid with a POSIX lock on one of ``paths`` (Linux /proc/locks)."""
    inodes = set()
    for p in paths:
        try:
            st = os.stat(p)
            inodes.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
        except OSError:
            pass
    pids = set()
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return pids
    for line in lines:
        parts = line.split()
        if len(parts) < 6 or parts[1] != "POSIX" or "->" in parts:
            continue
        try:
            major, minor, ino = parts[5].split(":")
            key = (int(major, 16), int(minor, 16), int(ino))
            pid = int(parts[4])
        except ValueError:
            continue
        if key in inodes and pid > 0:
            pids.add(pid)
    return pids


def users_of(db: Path | str) -> list[tuple[int, str]]:
    """Processes that have the database open (pid, command line), this one excluded.

    Every SQLite connection in WAL mode holds a read lock on the database's shared-lock
    range and on the -shm's "dead man switch" byte for as long as it is open.
    """
    db = str(db)
    pids = _proc_locks([db, f"{db}-shm"])
    for path, start, length in ((db, 0x40000002, 510), (f"{db}-shm", 128, 1)):
        pid = _lock_owner(path, start, length)
        if pid:
            pids.add(pid)
    pids.discard(os.getpid())
    out = []
    for pid in sorted(pids):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = ""
        out.append((pid, cmd or "?"))
    return out
