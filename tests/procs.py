"""Worker processes for the multi-process and crash tests (importable under spawn)."""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from config import HALLS_DIR, load_hall
from hall import HallQueue

START = datetime(2026, 11, 23, 9, 0)


class RunningClock:
    """09:00 on the test day, then running at wall speed (picklable)."""

    def __init__(self):
        self.t0 = time.time()

    def __call__(self):
        return START + timedelta(seconds=time.time() - self.t0)


def open_large(db: str) -> HallQueue:
    return HallQueue(db, load_hall(HALLS_DIR / "large.toml"), RunningClock())


def kiosk(db: str, seed: int, count: int, out) -> None:
    q = open_large(db)
    rng = random.Random(seed)
    codes = [s.code for s in q.config.services]
    numbers = [(t.id, t.number) for t in (q.issue(rng.choice(codes), priority=rng.random() < 0.05,
                                                   kiosk=f"k{seed}") for _ in range(count))]
    out.put(("issued", numbers))


def caller(db: str, windows: list[int], kiosks_done, out) -> None:
    q = open_large(db)
    got = []
    while True:
        # a whole pass that began after the kiosks stopped and found nobody: nothing more can come
        finished_before_pass = kiosks_done.is_set()
        idle = 0
        for w in windows:
            t = q.call_next(w)
            if t is None:
                idle += 1
            else:
                got.append((w, t.id))
        if idle == len(windows) and finished_before_pass:
            break
    out.put(("called", got))


def busy_writer(db: str) -> None:
    q = open_large(db)
    rng = random.Random(1)
    codes = [s.code for s in q.config.services]
    windows = [w.number for w in q.config.windows]
    while True:
        q.issue(rng.choice(codes))
        w = rng.choice(windows)
        if q.call_next(w) is not None and rng.random() < 0.3:
            q.finish(w)
