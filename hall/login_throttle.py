"""Failed-login counts and lock-outs, in memory (`jiaohao serve` is the one process that
logs people in; a restart forgets them, which is at most one lock-out's worth of tries).

Per key (a staff number, or a client address): after ``limit`` failures a lock-out of
``lockout_s``, each next lock-out twice as long (at most a day); a success forgets a
staff number's failures (not an address's: one good account must not let a PC go on
guessing others). Attempts still being checked count as failures-to-be, so parallel tries cannot
get past the limit. A key quiet for a day is forgotten.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

MAX_LOCKOUT_S = 24 * 3600.0
FORGET_AFTER_S = 24 * 3600.0
MAX_KEYS = 20_000  # bound on memory when someone tries many staff numbers or addresses


@dataclass
class _Tally:
    failures: int = 0
    in_flight: int = 0
    lockouts: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Failed logins per key and the lock-outs they earn. Thread-safe."""

    def __init__(self, limit: int, lockout_s: float, monotonic: Callable[[], float], *,
                 forget_on_success: bool = True):
        self.limit, self.lockout_s, self._clock = limit, lockout_s, monotonic
        self.forget_on_success = forget_on_success
        self._tallies: dict[str, _Tally] = {}
        self._lock = threading.Lock()

    def begin(self, key: str) -> float:
        """Start an attempt: 0 when it may go on (then :meth:`end` or :meth:`cancel` it),
        else the seconds to wait."""
        now = self._clock()
        with self._lock:
            t = self._tallies.get(key)
            if t is None:
                self._prune(now)
                t = self._tallies[key] = _Tally(last=now)
            elif now - t.last > FORGET_AFTER_S and not t.in_flight:
                t.failures, t.lockouts = 0, 0
            if t.locked_until > now:
                return t.locked_until - now
            if t.failures + t.in_flight >= self.limit:
                return 1.0  # the last allowed tries are being checked right now
            t.in_flight += 1
            return 0.0

    def end(self, key: str, ok: bool) -> float:
        """The attempt's outcome; the seconds of a lock-out it started, else 0."""
        now = self._clock()
        with self._lock:
            t = self._tallies.get(key)
            if t is None:
                return 0.0
            t.in_flight = max(0, t.in_flight - 1)
            t.last = now
            if ok:
                if not self.forget_on_success:
                    return 0.0
                if not t.in_flight:
                    del self._tallies[key]
                else:
                    t.failures = 0
                return 0.0
            t.failures += 1
            if t.failures < self.limit:
                return 0.0
            t.lockouts += 1
            t.failures = 0
            wait = min(self.lockout_s * 2 ** (t.lockouts - 1), MAX_LOCKOUT_S)
            t.locked_until = now + wait
            return wait

    def cancel(self, key: str) -> None:
        """An attempt begun but not made (another bound refused it)."""
        with self._lock:
            t = self._tallies.get(key)
            if t is not None:
                t.in_flight = max(0, t.in_flight - 1)

    def _prune(self, now: float) -> None:
        if len(self._tallies) < MAX_KEYS:
            return
        for key in [k for k, t in self._tallies.items()
                    if not t.in_flight and t.locked_until <= now and now - t.last > self.lockout_s]:
            del self._tallies[key]
        if len(self._tallies) >= MAX_KEYS:  # all recent: forget the oldest unlocked half
            quiet = sorted((t.last, k) for k, t in self._tallies.items() if not t.in_flight and t.locked_until <= now)
            for _, key in quiet[: len(quiet) // 2]:
                del self._tallies[key]
