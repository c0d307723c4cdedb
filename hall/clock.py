"""The hall clock: local wall time, injectable so tests and the demo can move time."""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Callable

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now()


class FixedClock:
    """A clock that only moves when told: ``clock.advance(minutes=5)``."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when


class ScaledClock:
    """Wall time sped up ``speed`` times from ``start`` (the demo's simulated day)."""

    def __init__(self, start: datetime, speed: float = 1.0):
        import time
        self._mono = time.monotonic
        self._t0 = self._mono()
        self.start = start
        self.speed = speed

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(self._mono() - self._t0) * self.speed)


class ZoneClock:
    """Wall time in a named time zone (a hall whose server runs on UTC)."""

    def __init__(self, zone: str):
        from zoneinfo import ZoneInfo
        self.zone = ZoneInfo(zone)

    def __call__(self) -> datetime:
        return datetime.now(self.zone).replace(tzinfo=None)


def clock_from_env(zone: str = "") -> Clock:
    """JIAOHAO_NOW=ISO-datetime freezes the clock; else the hall's zone, else local time."""
    fixed = os.environ.get("JIAOHAO_NOW")
    if fixed:
        return FixedClock(datetime.fromisoformat(fixed))
    return ZoneClock(zone) if zone else system_clock


def business_day(when: datetime) -> str:
    return when.date().isoformat()
