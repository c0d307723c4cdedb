"""The demo's figures, read straight from the queue database: the live status line and
the end-of-day summary. Read-only SQL on its own connection (WAL lets it read while
the hall writes)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Status:
    clock: str
    issued: int
    waiting: int
    served: int
    calls: int
    serving: int
    paused: int

    def line(self) -> str:
        return (f"{self.clock}  已取号 issued {self.issued:4d}  等候 waiting {self.waiting:3d}  "
                f"已办结 served {self.served:4d}  呼叫 calls {self.calls:4d}  "
                f"窗口 windows serving {self.serving:2d} paused {self.paused:2d}")


@dataclass
class Summary:
    day: str
    issued: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    not_printed: int = 0
    served: int = 0
    no_shows: int = 0
    transferred: int = 0
    still_waiting: int = 0
    calls: int = 0
    recalls: int = 0
    mean_wait_min: float | None = None
    max_wait_min: float | None = None
    mean_handling_min: float | None = None
    ratings: dict[int, int] = field(default_factory=dict)
    mean_rating: float | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


class Figures:
    """Counts for today's business day of the queue at ``db_path``."""

    def __init__(self, db_path: Path | str):
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5,
                                    check_same_thread=False)

    def close(self) -> None:
        self.conn.close()

    def _one(self, sql: str, args: tuple = ()):
        return self.conn.execute(sql, args).fetchone()[0]

    def status(self, day: str, clock: str) -> Status:
        issued = self._one("SELECT count(*) FROM tickets WHERE day = ? AND status != 'cancelled'", (day,))
        waiting = self._one("SELECT count(*) FROM tickets WHERE day = ? AND status = 'waiting'", (day,))
        served = self._one("SELECT count(*) FROM tickets WHERE day = ? AND status = 'finished'", (day,))
        calls = self._one("SELECT count(*) FROM calls WHERE day = ?", (day,))
        states = dict(self.conn.execute("SELECT state, count(*) FROM windows GROUP BY state").fetchall())
        return Status(clock, issued, waiting, served, calls, states.get("serving", 0), states.get("paused", 0))

    def summary(self, day: str) -> Summary:
        s = Summary(day)
        for kind, n in self.conn.execute("SELECT kind, count(*) FROM tickets WHERE day = ? "
                                         "AND status != 'cancelled' GROUP BY kind", (day,)):
            s.by_kind[kind] = n
        s.issued = sum(s.by_kind.values())
        s.refused = self._one("SELECT count(*) FROM events WHERE day = ? AND kind = 'refused'", (day,))
        s.not_printed = self._one("SELECT count(*) FROM tickets WHERE day = ? AND status = 'cancelled'", (day,))
        statuses = dict(self.conn.execute("SELECT status, count(*) FROM tickets WHERE day = ? GROUP BY status",
                                          (day,)).fetchall())
        s.served = statuses.get("finished", 0)
        s.no_shows = statuses.get("skipped", 0)
        s.still_waiting = statuses.get("waiting", 0)
        s.transferred = self._one("SELECT count(*) FROM tickets WHERE day = ? AND transfers > 0", (day,))
        s.calls = self._one("SELECT count(*) FROM calls WHERE day = ?", (day,))
        s.recalls = self._one("SELECT coalesce(sum(recalls), 0) FROM calls WHERE day = ?", (day,))
        row = self.conn.execute("SELECT avg(first_called_at - issued_at), max(first_called_at - issued_at) "
                                "FROM tickets WHERE day = ? AND first_called_at IS NOT NULL "
                                "AND kind != 'appointment'", (day,)).fetchone()
        if row[0] is not None:
            s.mean_wait_min, s.max_wait_min = round(row[0] / 60, 1), round(row[1] / 60, 1)
        handling = self._one("SELECT avg(finished_at - called_at) FROM tickets WHERE day = ? "
                             "AND status = 'finished' AND finished_at IS NOT NULL", (day,))
        if handling is not None:
            s.mean_handling_min = round(handling / 60, 1)
        for score, n in self.conn.execute("SELECT score, count(*) FROM evaluations WHERE day = ? "
                                          "GROUP BY score ORDER BY score DESC", (day,)):
            s.ratings[score] = n
        if s.ratings:
            s.mean_rating = round(sum(k * v for k, v in s.ratings.items()) / sum(s.ratings.values()), 2)
        return s
