"""What a hall ships to the city: each kind of record, where it comes from in the hall's
database and where it goes in the city's.

A kind is either read from a hall table (the rows of the tickets an event names, and
every row of a day when the hall closes it) or made from the event itself (refusals,
closed days). A new kind (好差评 ratings, follow-ups …) is one more :class:`RecordKind`
in :data:`RECORD_KINDS` and its city table in a city migration. Only the columns listed
are shipped: no citizen names, mobile numbers or ID hashes, no staff numbers.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Callable

from hall.models import Event


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: ``columns`` of city table ``table`` (after ``hall_code``)."""

    name: str
    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...] = ("day", "id")  # with hall_code: the city's primary key (its first: the partition)
    #: SELECT of the columns, in order, from the hall's database; ``{where}`` is filled in
    select: str = ""
    hall_table: str = ""  # the hall table it reads: a hall without it ships none of this kind
    ticket_column: str | None = "ticket_id"  # rows of the tickets named by the events
    day_column: str | None = "day"  # every row of a day the hall closed
    #: rows made from one event (no hall table): a tuple of the columns, or None
    from_event: Callable[[Event], tuple | None] | None = None
    #: ids named by other events (not a ticket): {kind: fn(event) -> id or None}
    event_ids: dict[str, Callable[[Event], int | None]] = field(default_factory=dict)
    id_column: str = "id"
    data_events: frozenset[str] = frozenset()  # event kinds whose data from_event reads
    needs: tuple[str, ...] = ()  # further hall tables the select joins


def events_with_data(kinds: list[RecordKind]) -> set[str]:
    """The event kinds whose JSON data shipping reads (the rest is not parsed)."""
    out = {"day_closed"}
    for k in kinds:
        out |= set(k.data_events) | set(k.event_ids)
    return out


TICKETS = RecordKind(
    "tickets", "tickets",
    ("id", "day", "number", "service", "origin_service", "kind", "status", "cancel_reason", "window",
     "target_window", "ahead", "issued_at", "first_called_at", "called_at", "finished_at", "calls",
     "transfers", "reactivations", "appointment", "slot_at", "kiosk"),
    select="SELECT id, day, number, service, origin_service, kind, status, cancel_reason, window, target_window, "
           "ahead, issued_at, first_called_at, called_at, finished_at, calls, transfers, reactivations, "
           "appointment IS NOT NULL, slot_at, kiosk FROM tickets WHERE {where}",
    hall_table="tickets", ticket_column="id")

CALLS = RecordKind(
    "calls", "calls",
    ("id", "day", "ticket_id", "window", "service", "called_at", "ended_at", "recalls", "outcome"),
    select="SELECT id, day, ticket_id, window, service, called_at, ended_at, recalls, outcome "
           "FROM calls WHERE {where}",
    hall_table="calls")

EVALUATIONS = RecordKind(
    "evaluations", "evaluations",
    ("id", "day", "ticket_id", "call_id", "window", "score", "at"),
    select="SELECT id, day, ticket_id, call_id, window, score, at FROM evaluations WHERE {where}",
    hall_table="evaluations")


def _refusal(e: Event) -> tuple | None:
    if e.kind == "refused" or (e.kind == "printer" and e.data.get("action") == "refused"):
        reason = e.data.get("reason")
        return (e.id, e.day, e.at, e.kind, None if reason is None else str(reason),
                e.service or e.data.get("service"), e.data.get("kiosk"))
    return None


def _closed_day(e: Event) -> tuple | None:
    if e.kind == "day_closed" and e.data.get("closed_day"):
        return (e.data["closed_day"], e.at, int(e.data.get("expired") or 0), int(e.data.get("unfinished") or 0))
    return None


CASES = RecordKind(
    "cases", "cases", ("id", "ticket_id", "case_no", "item_code", "source", "at"), key=("id",),
    select="SELECT id, ticket_id, case_no, item_code, source, at FROM cases WHERE {where}",
    hall_table="cases", day_column=None)

RATINGS = RecordKind(  # 好差评 levels with their channels (hall/ratings.py); not the rater, not the text
    "ratings", "ratings",
    ("id", "ticket_day", "ticket_id", "seq", "level", "channel", "problems", "has_text", "day", "window",
     "service", "at", "detailed_at"), key=("ticket_day", "id"),
    select="SELECT r.id, t.day, r.ticket_id, r.seq, r.level, r.channel, r.problems, r.text != '', r.day, r.window, "
           "r.service, r.at, r.detailed_at FROM ratings r JOIN tickets t ON t.id = r.ticket_id WHERE {where}",
    hall_table="ratings", ticket_column="r.ticket_id", day_column="t.day", id_column="r.id")

FOLLOWUPS = RecordKind(  # 差评 follow-ups (hall/followups.py)
    "followups", "followups",
    ("id", "ticket_id", "rating_id", "state", "resume_state", "opened_at", "day", "callback_due", "rectify_due",
     "called_at", "rectified_at", "closed_at", "extended"), key=("id",),
    select="SELECT id, ticket_id, rating_id, state, resume_state, opened_at, day, callback_due, rectify_due, "
           "called_at, rectified_at, closed_at, extended FROM followups WHERE {where}",
    hall_table="followups", day_column=None)

FOLLOWUP_STEPS = RecordKind(  # each step's action and states; not who, not the note
    "followup_steps", "followup_steps", ("id", "followup_id", "action", "from_state", "to_state", "at"),
    key=("id",),
    select="SELECT s.id, s.followup_id, s.action, s.from_state, s.to_state, s.at FROM followup_steps s "
           "JOIN followups f ON f.id = s.followup_id WHERE {where}",
    hall_table="followup_steps", ticket_column="f.ticket_id", day_column=None, id_column="s.id",
    needs=("followups",))

REFUSALS = RecordKind("refusals", "refusals", ("id", "day", "at", "kind", "reason", "service", "kiosk"),
                      ticket_column=None, day_column=None, from_event=_refusal,
                      data_events=frozenset({"refused", "printer"}))
DAYS = RecordKind("days", "days", ("day", "closed_at", "expired", "unfinished"), key=("day",),
                  ticket_column=None, day_column=None, from_event=_closed_day,
                  data_events=frozenset({"day_closed"}))

#: every kind shipped, in the order they are written in a batch
RECORD_KINDS: list[RecordKind] = [TICKETS, CALLS, EVALUATIONS, CASES, RATINGS, FOLLOWUPS, FOLLOWUP_STEPS,
                                  REFUSALS, DAYS]


@dataclass
class Touched:
    """What a batch of events asks to ship: tickets, closed days, ids of other kinds, event rows."""

    ticket_ids: set[int] = field(default_factory=set)
    closed_days: set[str] = field(default_factory=set)
    ids: dict[str, set[int]] = field(default_factory=dict)  # kind name -> ids
    made: dict[str, list[tuple]] = field(default_factory=dict)  # kind name -> rows from events

    @classmethod
    def of(cls, events: list[Event], kinds: list[RecordKind]) -> "Touched":
        t = cls()
        for e in events:
            if e.ticket_id is not None:
                t.ticket_ids.add(e.ticket_id)
            if e.kind == "day_closed" and e.data.get("closed_day"):
                t.closed_days.add(str(e.data["closed_day"]))
            for k in kinds:
                if k.from_event is not None:
                    row = k.from_event(e)
                    if row is not None:
                        t.made.setdefault(k.name, []).append(row)
                fn = k.event_ids.get(e.kind)
                if fn is not None:
                    i = fn(e)
                    if i is not None:
                        t.ids.setdefault(k.name, set()).add(int(i))
        return t


def hall_tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def read_rows(conn: sqlite3.Connection, kind: RecordKind, touched: Touched, tables: set[str]) -> list[tuple]:
    """The rows of ``kind`` this batch ships, read from the hall's database."""
    if kind.from_event is not None:
        return touched.made.get(kind.name, [])
    if kind.hall_table and (kind.hall_table not in tables or any(t not in tables for t in kind.needs)):
        return []
    import json
    where, params = [], []
    if kind.ticket_column and touched.ticket_ids:
        where.append(f"{kind.ticket_column} IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(touched.ticket_ids)))
    if kind.day_column and touched.closed_days:
        where.append(f"{kind.day_column} IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(touched.closed_days)))
    ids = touched.ids.get(kind.name)
    if ids:
        where.append(f"{kind.id_column} IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(ids)))
    if not where:
        return []
    cur = conn.cursor()
    cur.row_factory = None
    return cur.execute(kind.select.format(where=" OR ".join(where)), params).fetchall()
