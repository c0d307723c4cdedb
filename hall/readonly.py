"""The queue opened for reading only: status, figures and the event log for users and
commands that may not (or need not) write the database."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config import HallConfig

from .clock import Clock, business_day, system_clock
from .db import connect_readonly
from .errors import DatabaseProblem
from .queue import HallQueue

READ_ONLY = "只读打开 (opened for reading only)"


class ReadOnlyQueue(HallQueue):
    """A :class:`HallQueue` that only reads: no new file, no migration, no config sync, no
    day close (a day the writers have not closed yet is shown as it stands)."""

    def __init__(self, path: Path | str, config: HallConfig, clock: Clock = system_clock):
        self._bind(path, config, clock)
        self._conn = connect_readonly(self.path)
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
        self.clock.offset = float(row[0]) if row else 0.0   # a clock set back: the writers' hall time

    def _tx(self):
        raise DatabaseProblem("readonly", self.path, READ_ONLY,
                              "改用有写权限、会改动队列的命令 (use a command that changes the queue with write access)")

    def roll_day(self) -> None:
        self._checked_day = business_day(self.clock())

    def set_cursor(self, consumer: str, event_id: int) -> None:
        raise DatabaseProblem("readonly", self.path, READ_ONLY,
                              "记录读取位置要有写权限 (a consumer that keeps a cursor needs write access)")
