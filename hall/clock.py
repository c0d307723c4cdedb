"""The hall clock: local wall time, injectable so tests and the demo can move time.

Every time the queue stores is the hall's *naive local wall time* (what the clock on the
hall's wall says) as epoch seconds. :class:`HallClock` is how the queue reads time:

- a clock that returns an aware datetime (``2026-11-23T09:00+08:00``, or a clock
  injected by other code) is converted to the hall's zone and made naive, so its
  tickets sort with everyone else's;
- hall time never goes backwards. The database remembers the latest time it has seen
  (``meta.clock_latest``). A clock a little behind it (up to ``STEP_BACK_QUIET_S``, e.g.
  NTP slewing or two processes reading the clock a moment apart) holds time still at
  the latest; a clock further behind (someone set the date back a day) is given an
  offset (``meta.clock_offset``) so hall time goes on from the latest at the real
  rate: the business day stays, tickets stay in issue order, waiting times stay right.
  That is logged as a warning and recorded once as a ``clock_behind`` event. When the
  clock is put right (it reads at least the latest time again) the offset is dropped,
  with a ``clock_ok`` event.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from .errors import InvalidArgument

Clock = Callable[[], datetime]

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # any date outside is a typo
STEP_BACK_QUIET_S = 60.0


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


def wall_time(when: datetime, zone: str = "") -> datetime:
    """``when`` as naive wall time in ``zone`` (the host's zone when empty)."""
    if when.tzinfo is None:
        return when
    if zone:
        from zoneinfo import ZoneInfo
        return when.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return when.astimezone().replace(tzinfo=None)


def check_day(day: date, what: str, what_zh: str = "") -> date:
    """``day``, or InvalidArgument naming it as ``what`` (``what_zh`` in the Chinese sentence)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidArgument(f"{what} {day.isoformat()}: dates run from {FIRST_DAY} to {LAST_DAY}",
                              zh=f"{what_zh or what} {day.isoformat()}：日期须在 {FIRST_DAY} 至 {LAST_DAY} 之间")
    return day


class AnchoredClock:
    """Hall time ``start`` at the real moment ``anchor`` (epoch seconds), running ``speed``
    times real time from there: every process given the same three reads the same time,
    across restarts (tests of a controller stopped for a simulated 10 minutes)."""

    def __init__(self, start: datetime, anchor: float, speed: float = 1.0):
        import time
        self._wall = time.time
        self.start, self.anchor, self.speed = start, anchor, speed

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(self._wall() - self.anchor) * self.speed)


def _running(when: datetime) -> Clock | None:
    """JIAOHAO_CLOCK_SPEED (and JIAOHAO_CLOCK_ANCHOR, epoch seconds; default: now) make
    JIAOHAO_NOW run instead of standing still."""
    speed = os.environ.get("JIAOHAO_CLOCK_SPEED", "").strip()
    if not speed:
        return None
    import time
    try:
        rate = float(speed)
        anchor = float(os.environ.get("JIAOHAO_CLOCK_ANCHOR", "").strip() or time.time())
    except ValueError:
        raise InvalidArgument("JIAOHAO_CLOCK_SPEED and JIAOHAO_CLOCK_ANCHOR must be numbers",
                              zh="JIAOHAO_CLOCK_SPEED 与 JIAOHAO_CLOCK_ANCHOR 须为数字") from None
    if not 0 < rate <= 10_000:
        raise InvalidArgument(f"JIAOHAO_CLOCK_SPEED={speed!r}: from above 0 to 10000",
                              zh=f"JIAOHAO_CLOCK_SPEED={speed!r}：须大于 0，至多 10000")
    return AnchoredClock(when, anchor, rate)


def clock_from_env(zone: str = "") -> Clock:
    """JIAOHAO_NOW=ISO-datetime freezes the clock (with JIAOHAO_CLOCK_SPEED it runs from
    there); else the hall's zone, else local time."""
    fixed = os.environ.get("JIAOHAO_NOW", "").strip()
    if fixed:
        try:
            when = datetime.fromisoformat(fixed)
        except ValueError:
            raise InvalidArgument(f"JIAOHAO_NOW={fixed!r} is not a date and time like 2026-11-23T09:00",
                                  zh=f"JIAOHAO_NOW={fixed!r} 不是日期时间，应形如 2026-11-23T09:00") from None
        when = wall_time(when, zone)
        check_day(when.date(), "JIAOHAO_NOW")
        return _running(when) or FixedClock(when)
    return ZoneClock(zone) if zone else system_clock


def business_day(when: datetime) -> str:
    return when.date().isoformat()


def set_meta(c: sqlite3.Connection, key: str, value: str) -> None:
    c.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


@dataclass
class ClockChange:
    """The clock fell behind the hall (``clock_behind``) or was put right (``clock_ok``)."""

    kind: str
    message: str
    data: dict


class HallClock:
    """The time the queue runs on: ``source`` as naive hall wall time plus ``offset``
    seconds (non-zero only while the source is behind; see the module docstring)."""

    def __init__(self, source: Clock, zone: str = ""):
        self.source = source
        self.zone = zone
        self.offset = 0.0
        self._latest_read: float | None = None  # clock_latest as the last now_in() read it

    def reading(self) -> datetime:
        """The source clock as naive wall time, without the offset."""
        return wall_time(self.source(), self.zone)

    def __call__(self) -> datetime:
        now = self.reading()
        return now + timedelta(seconds=self.offset) if self.offset else now

    def settle(self, latest: float | None, offset: float) -> tuple[datetime, str | None]:
        """Hall time now, given the database's latest time and offset; sets ``self.offset``.

        Returns the time and ``"clock_behind"`` / ``"clock_ok"`` when the offset was just
        taken up / dropped (the caller records it), else None."""
        reading = self.reading()
        change = None
        if offset and latest is not None and reading.timestamp() >= latest:
            offset, change = 0.0, "clock_ok"
        now = reading + timedelta(seconds=offset)
        behind = (latest - now.timestamp()) if latest is not None else 0.0
        if behind > STEP_BACK_QUIET_S:
            offset, change = offset + behind, "clock_behind"
            now = reading + timedelta(seconds=offset)
        elif behind > 0:
            now += timedelta(seconds=behind)  # a small step back: time stands still
        self.offset = offset
        return now, change

    def record(self, c: sqlite3.Connection, now: datetime) -> None:
        """Keep ``now`` as the latest time the hall has seen, in the transaction that read
        it with :meth:`now_in` (called only when that transaction changed something: a
        transaction that changes nothing stays read-only and leaves nothing to order)."""
        latest = self._latest_read
        if latest is None or now.timestamp() > latest:
            set_meta(c, "clock_latest", repr(now.timestamp()))

    def now_in(self, c: sqlite3.Connection) -> tuple[datetime, ClockChange | None]:
        """Hall time inside a write transaction on the queue database ``c``, whose meta
        table keeps the latest time and the offset for every process."""
        meta = dict(c.execute("SELECT key, value FROM meta WHERE key IN ('clock_latest', 'clock_offset')"))
        if "clock_latest" in meta:
            latest = float(meta["clock_latest"])
        else:  # a database from before the clock was remembered: its last event
            row = c.execute("SELECT at FROM events ORDER BY id DESC LIMIT 1").fetchone()
            latest = row[0] if row else None
        offset = float(meta.get("clock_offset", 0.0))
        now, change = self.settle(latest, offset)
        self._latest_read = latest
        if self.offset != offset:
            set_meta(c, "clock_offset", repr(self.offset))
        if change == "clock_behind":
            reading = now - timedelta(seconds=self.offset)
            return now, ClockChange(change, (
                f"the clock reads {reading:%Y-%m-%d %H:%M:%S}, {self.offset:.0f} s behind the latest time this "
                f"hall has seen: hall time goes on from {now:%Y-%m-%d %H:%M:%S} (business day {business_day(now)}) "
                "until the clock is put right"),
                {"clock": reading.isoformat(timespec="seconds"), "behind_s": round(self.offset, 1)})
        if change == "clock_ok":
            return now, ClockChange(change, f"the clock is right again ({now:%Y-%m-%d %H:%M:%S}): hall time follows it",
                                    {})
        return now, None
