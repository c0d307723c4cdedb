"""Plain records the queue hands out: tickets, window states, events."""
from __future__ import annotations

import copy
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts).isoformat(timespec="seconds") if ts is not None else None


@dataclass(frozen=True)
class Ticket:
    id: int
    day: str
    number: str
    seq: int
    service: str
    service_name: str
    kind: str  # normal | priority | appointment
    status: str  # waiting | called | finished | skipped | expired | cancelled
    window: int | None
    ahead: int
    issued_at: float
    called_at: float | None = None
    finished_at: float | None = None
    transfers: int = 0
    target_window: int | None = None
    appointment: str | None = None
    cancel_reason: str | None = None
    token: str | None = None  # the status page's unguessable key (migration 0008)
    status_url: str | None = None  # the status page's full URL: what the ticket's QR code holds

    @property
    def priority(self) -> bool:
        return self.kind == "priority"

    @classmethod
    def from_row(cls, row: sqlite3.Row, service_name: str = "", status_url: str | None = None) -> "Ticket":
        return cls(
            id=row["id"], day=row["day"], number=row["number"], seq=row["seq"],
            service=row["service"], service_name=service_name, kind=row["kind"],
            status=row["status"], window=row["window"], ahead=row["ahead"],
            issued_at=row["issued_at"], called_at=row["called_at"],
            finished_at=row["finished_at"], transfers=row["transfers"],
            target_window=row["target_window"], appointment=row["appointment"],
            cancel_reason=row["cancel_reason"],
            token=row["token"] if "token" in row.keys() else None, status_url=status_url,
        )

    def to_json(self) -> dict:
        # its fields hold no containers, so a copy of __dict__ is what asdict() gives, at a
        # sixth of the cost (20 -> 3.3 µs; the hall snapshot turns up to 144 tickets into JSON)
        d = dict(self.__dict__)
        d["priority"] = self.priority
        for k in ("issued_at", "called_at", "finished_at"):
            d[k] = _iso(d[k])
        return d


@dataclass(frozen=True)
class WindowState:
    number: int
    state: str  # closed | idle | serving | paused
    pause_reason: str | None
    current: Ticket | None
    last: Ticket | None
    waiting: int
    staff: str | None
    department: str = ""
    services: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "number": self.number, "state": self.state, "pause_reason": self.pause_reason,
            "current": self.current.number if self.current else None,
            "current_ticket": self.current.to_json() if self.current else None,
            "last_ticket": self.last.to_json() if self.last else None,  # finished here last: the one to rate
            "waiting": self.waiting, "staff": self.staff, "department": self.department,
            "services": list(self.services),
        }


@dataclass(frozen=True)
class Event:
    """One row of the append-only event log."""

    id: int
    at: float
    day: str
    kind: str
    window: int | None
    ticket_id: int | None
    number: str | None
    service: str | None
    data: dict = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Event":
        return cls(row["id"], row["at"], row["day"], row["kind"], row["window"],
                   row["ticket_id"], row["number"], row["service"], json.loads(row["data"]))

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["data"] = copy.deepcopy(self.data)  # what asdict() did: the caller may change it
        d["at"] = _iso(self.at)
        return d
