"""The queue: every operation on tickets and windows, one short transaction each.

Each operation runs in ``BEGIN IMMEDIATE`` so writers from several processes are
serialised by SQLite itself: two windows calling at once never get the same ticket
and two kiosks never issue the same number. The state change and its ``events`` row
are written in the same transaction.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # (a config.views.HallView works as well: jiaohao queue …)
    from config import HallConfig, Service

from . import rules
from .checkpointer import Checkpointer
from .clock import Clock, HallClock, business_day, system_clock
from .db import begin_immediate, connect
from .dbfile import committed
from .errors import (DailyCapReached, InvalidArgument, ServiceClosed, UnknownService,
                     UnknownTicket, UnknownWindow, WindowNotReady)
from .models import Ticket
from .public_url import status_url
from .appointments import AppointmentOps
from .followups import FollowupOps
from .ratings import SCORES, RatingOps  # noqa: F401 - SCORES re-exported
from .window_ops import PAUSE_REASONS, WindowOps  # noqa: F401 - PAUSE_REASONS re-exported
from .bookings import BookingOps
from .reads import QueueReads
from .issue_stops import issue_stop

log = logging.getLogger(__name__)

WAL_BOUND_PAGES = 10_000
CHECKPOINT_EVERY_S = 0.25
STATUS_ZH = {"waiting": "正在等候", "called": "已叫号", "finished": "已办结", "skipped": "已过号",
             "expired": "已过期", "cancelled": "已取消"}


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}{seq:03d}"


class HallQueue(AppointmentOps, BookingOps, RatingOps, FollowupOps, WindowOps, QueueReads):
    """The hall's queue on one SQLite file. Safe to share between threads of a process."""

    def __init__(self, path: Path | str, config: HallConfig, clock: Clock = system_clock):
        self._bind(path, config, clock)
        self._conn = connect(path, hall_name=config.hall.name)
        self._hall_tag = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if self.path != ":memory:":
            # the background checkpointer keeps the WAL small; SQLite's own checkpoint at
            # 10,000 pages (~40 MB) stays as the bound when writers never pause
            self._conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_BOUND_PAGES}")
            self._checkpointer = Checkpointer(path, CHECKPOINT_EVERY_S, owner_commit=self._start_wal)
            self._checkpointer.start()
        self._sync_config()

    def _bind(self, path: Path | str, config: HallConfig, clock: Clock) -> None:
        """What every queue object holds besides its connection (see hall.readonly too)."""
        self.config = config
        self.clock = HallClock(clock, config.hall.timezone)
        self.path = str(path)
        self._services = {s.code: s for s in config.services}
        self._windows = {w.number: w for w in config.windows}
        self._lock = threading.RLock()
        self._checkpointer: Checkpointer | None = None
        self._checked_day: str | None = None
        self._tx_now: datetime | None = None  # the open transaction's time (hall time), else None
        self._hall_tag = 0
        self._figures_reader = None  # hall.snapshot.HallReader, made on the first snapshot()

    def close(self) -> None:
        reader = getattr(self, "_figures_reader", None)
        if reader is not None:
            reader.close()
        with self._lock:
            self._conn.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()

    def _start_wal(self) -> None:
        """The checkpointer's commit that starts the WAL again, made on this connection so
        that its page cache stays (see Checkpointer._start_wal): page 1 rewritten as it is."""
        with self._lock:
            c = self._conn
            begin_immediate(c, timeout_s=0)  # another writer: the next round tries again
            with committed(c):
                c.execute(f"PRAGMA user_version = {self._hall_tag}")

    # -- plumbing ------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[tuple[sqlite3.Connection, datetime]]:
        """One transaction around several operations: ``with queue.transaction() as (conn, now):``.

        Operations called inside it (same thread) join it, each in a SAVEPOINT of its own:
        a refused operation undoes its own part only (and the refusal it logs stays), and
        everything commits together or not at all."""
        with self._tx() as tx:
            yield tx

    @contextmanager
    def _tx(self) -> Iterator[tuple[sqlite3.Connection, datetime]]:
        with self._lock:
            c = self._conn
            if self._tx_now is not None:  # inside an open transaction of this queue
                with self._savepoint(c):
                    yield c, self._tx_now
                return
            begin_immediate(c)  # waits for another writer from 0.1 ms on, not SQLite's 1, 2, 5 ms …
            with committed(c):
                start = c.total_changes
                now = self._now(c)
                today = self._roll_day(c, now)
                self._tx_now = now
                try:
                    yield c, now
                finally:
                    self._tx_now = None
                # a transaction that changed nothing (a CALL with nobody waiting) stays
                # read-only: no frame in the WAL, the write lock held for microseconds
                if c.total_changes != start:
                    self.clock.record(c, now)
                    # page 1 in every commit: the WAL carries the hall's tag (hall.dbfile.check_wal)
                    if self._hall_tag:
                        c.execute(f"PRAGMA user_version = {self._hall_tag}")
            # only once committed: a rolled-back transaction also undid any day close
            self._checked_day = today

    @staticmethod
    @contextmanager
    def _savepoint(c: sqlite3.Connection) -> Iterator[None]:
        c.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK TO nested")
                c.execute("RELEASE nested")
            raise
        c.execute("RELEASE nested")

    def _now(self, c: sqlite3.Connection) -> datetime:
        """Hall time for this transaction, never before the latest the database has seen;
        a change of the clock's offset (hall/clock.py) is logged and recorded."""
        now, change = self.clock.now_in(c)
        if change:
            log.warning(change.message)
            self._event(c, now, change.kind, **change.data)
        return now

    def _sync_config(self) -> None:
        with self._tx() as (c, _):
            for s in self.config.services:
                c.execute("INSERT INTO services VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
                          "name = excluded.name, prefix = excluded.prefix, zone = excluded.zone, "
                          "expected_minutes = excluded.expected_minutes",
                          (s.code, s.name, s.ticket_prefix, s.zone, s.expected_minutes))
            for w in self.config.windows:
                c.execute("INSERT INTO windows (number, department) VALUES (?, ?) ON CONFLICT (number) "
                          "DO UPDATE SET department = excluded.department", (w.number, w.department))

    def _event(self, c: sqlite3.Connection, now: datetime, kind: str, window: int | None = None,
               ticket: sqlite3.Row | None = None, **data) -> int:
        if ticket is not None:
            data.setdefault("service_name", self._services[ticket["service"]].name
                            if ticket["service"] in self._services else ticket["service"])
        cur = c.execute(
            "INSERT INTO events (at, day, kind, window, ticket_id, number, service, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now.timestamp(), business_day(now), kind, window,
             ticket["id"] if ticket is not None else None,
             ticket["number"] if ticket is not None else None,
             ticket["service"] if ticket is not None else data.get("service"),
             json.dumps(data, ensure_ascii=False)))
        return cur.lastrowid

    def _roll_day(self, c: sqlite3.Connection, now: datetime) -> str:
        today = business_day(now)
        if self._checked_day == today:
            return today
        row = c.execute("SELECT value FROM meta WHERE key = 'day'").fetchone()
        if row is None:
            c.execute("INSERT INTO meta VALUES ('day', ?)", (today,))
        elif row[0] < today:
            self._close_day(c, now, row[0])
            c.execute("UPDATE meta SET value = ? WHERE key = 'day'", (today,))
        return today

    def _close_day(self, c: sqlite3.Connection, now: datetime, day: str) -> None:
        ts = now.timestamp()
        expired = c.execute("UPDATE tickets SET status = 'expired' WHERE status = 'waiting'").rowcount
        # a called ticket is always some window's current one: no scan of the year's tickets
        open_calls = c.execute("UPDATE tickets SET status = 'finished' WHERE id IN "
                               "(SELECT current_ticket FROM windows WHERE current_ticket IS NOT NULL)").rowcount
        c.execute("UPDATE calls SET outcome = 'day_end' WHERE id IN "
                  "(SELECT current_call FROM windows WHERE current_call IS NOT NULL)")
        c.execute("UPDATE windows SET state = CASE state WHEN 'closed' THEN 'closed' ELSE 'idle' END, "
                  "pause_reason = NULL, current_ticket = NULL, current_call = NULL, last_ticket = NULL, "
                  "updated_at = ?", (ts,))
        self._event(c, now, "day_closed", closed_day=day, expired=expired, unfinished=open_calls)
        log.info("closed business day %s: %d waiting tickets expired", day, expired)

    def _service(self, code: str) -> Service:
        try:
            return self._services[code]
        except KeyError:
            raise UnknownService(f"unknown service {code!r}", zh=f"没有业务 {code}") from None

    def _window_row(self, c: sqlite3.Connection, number: int) -> sqlite3.Row:
        if number not in self._windows:
            raise UnknownWindow(f"unknown window {number}", zh=f"没有{number}号窗口")
        return c.execute("SELECT * FROM windows WHERE number = ?", (number,)).fetchone()

    def _ticket_row(self, c: sqlite3.Connection, ticket_id: int) -> sqlite3.Row:
        row = c.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise UnknownTicket(f"no ticket with id {ticket_id}", zh=f"没有编号为 {ticket_id} 的票")
        return row

    def _ticket(self, row: sqlite3.Row) -> Ticket:
        svc = self._services.get(row["service"])
        token = row["token"] if "token" in row.keys() else None
        return Ticket.from_row(row, svc.name if svc else row["service"],
                               status_url=status_url(self.config, token) if token else None)

    def _current(self, c: sqlite3.Connection, w: sqlite3.Row, action: str) -> sqlite3.Row:
        if w["current_ticket"] is None:
            raise WindowNotReady(f"window {w['number']} has no current ticket to {action}",
                                 zh=f"{w['number']}号窗口当前没有正在办理的号")
        return self._ticket_row(c, w["current_ticket"])

    def is_open(self, code: str, when: datetime | None = None) -> bool:
        svc = self._service(code)
        t = (when or self.clock()).time()
        return not svc.hours or any(a <= t < b for a, b in svc.periods())

    # -- issuing ---------------------------------------------------------------
    def issue(self, service: str, priority: bool = False, kiosk: str | None = None) -> Ticket:
        """Issue the next number of ``service``; refuse outside hours or over the cap."""
        return self._issue(service, "priority" if priority else "normal", kiosk=kiosk)

    def _issue(self, service: str, kind: str, kiosk: str | None = None,
               appointment: str | None = None, slot_at: float | None = None) -> Ticket:
        svc = self._service(service)
        try:
            with self._tx() as (c, now):
                return self._ticket(self._insert_ticket(c, now, svc, kind, kiosk, appointment, slot_at))
        except (ServiceClosed, DailyCapReached) as e:
            with self._tx() as (c, now):
                self._event(c, now, "refused", service=svc.code, reason=e.code, kiosk=kiosk,
                            service_name=svc.name)
            raise

    def _insert_ticket(self, c, now, svc: Service, kind: str, kiosk, appointment, slot_at) -> sqlite3.Row:
        day, ts = business_day(now), now.timestamp()
        stopped = issue_stop(c, day, svc.code)
        if stopped is not None:  # 暂停取号 by a manager (hall/manage_ops.py)
            raise ServiceClosed(f"{svc.name} takes no more tickets today: {stopped}",
                                zh=f"{svc.name}今日暂停取号：{stopped}")
        if svc.hours and not any(a <= now.time() < b for a, b in svc.periods()) and kind != "appointment":
            raise ServiceClosed(f"{svc.name} is not open now (hours {', '.join(svc.hours)})",
                                zh=f"{svc.name}现在不在办理时间（{'、'.join(svc.hours)}）")
        if svc.daily_cap is not None and kind == "normal":
            issued = c.execute("SELECT count(*) FROM tickets WHERE day = ? AND service = ? "
                               "AND status != 'cancelled'", (day, svc.code)).fetchone()[0]
            if issued >= svc.daily_cap:
                raise DailyCapReached(f"{svc.name} has reached today's limit of {svc.daily_cap} tickets",
                                      zh=f"{svc.name}今日{svc.daily_cap}个号已取完")
        prefix = svc.ticket_prefix
        seq = c.execute("INSERT INTO counters VALUES (?, ?, 1) ON CONFLICT (day, prefix) "
                        "DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq", (day, prefix)).fetchone()[0]
        lane = {"priority": rules.LANE_PRIORITY, "appointment": rules.LANE_APPOINTMENT}.get(kind, rules.LANE_NORMAL)
        ahead = c.execute("SELECT count(*) FROM tickets WHERE status = 'waiting' AND service = ? AND lane <= ?",
                          (svc.code, lane)).fetchone()[0]
        cur = c.execute(
            "INSERT INTO tickets (day, prefix, seq, number, service, origin_service, kind, status, lane, "
            "sort_key, ahead, issued_at, appointment, slot_at, kiosk) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?, ?, ?, ?)",
            (day, prefix, seq, format_number(prefix, seq), svc.code, svc.code, kind, lane,
             slot_at if slot_at is not None else ts, ahead, ts, appointment, slot_at, kiosk))
        row = self._ticket_row(c, cur.lastrowid)
        self._event(c, now, "issued", ticket=row, ticket_kind=kind, ahead=ahead, kiosk=kiosk)
        return row

    def cancel(self, ticket_id: int, reason: str) -> Ticket:
        """Cancel a waiting ticket (e.g. ``print_failed``): never called, number not reused."""
        with self._tx() as (c, now):
            row = self._ticket_row(c, ticket_id)
            if row["status"] != "waiting":
                raise InvalidArgument(f"ticket {row['number']} is {row['status']}, not waiting",
                                      zh=f"{row['number']}号{STATUS_ZH.get(row['status'], row['status'])}，不在等候")
            c.execute("UPDATE tickets SET status = 'cancelled', cancel_reason = ? WHERE id = ?",
                      (reason, ticket_id))
            self._event(c, now, "cancelled", ticket=row, reason=reason)
            return self._ticket(self._ticket_row(c, ticket_id))

    # -- calling -----------------------------------------------------------------
    def call_next(self, window: int) -> Ticket | None:
        """Finish the window's current ticket (if any) and call the next; None if nobody waits."""
        with self._tx() as (c, now):
            w = self._ready_window(c, window)
            if w["current_ticket"] is not None:
                self._end_current(c, now, w, "finished", auto=True)
            found = rules.pick_next(c, window, self._windows[window].services, self.config.rules.strategy,
                                    now.timestamp())
            if found is None:
                return None
            return self._ticket(self._start_call(c, now, window, found))

    def call_ticket(self, window: int, number: str | int) -> Ticket:
        """Call a given ticket: ``"A023"``, or its number within the day (23) in the window's prefixes."""
        with self._tx() as (c, now):
            w = self._ready_window(c, window)
            row = self._find_callable(c, now, window, number)
            if w["current_ticket"] is not None:
                self._end_current(c, now, w, "finished", auto=True)
            return self._ticket(self._start_call(c, now, window, row["id"]))

    def _find_callable(self, c, now, window: int, number: str | int) -> sqlite3.Row:
        day = business_day(now)
        if isinstance(number, int) or (str(number).isascii() and str(number).isdigit()):
            prefixes = sorted({self._services[s].ticket_prefix for s in self._windows[window].services})
            marks = ",".join("?" * len(prefixes))
            rows = c.execute(f"SELECT * FROM tickets WHERE day = ? AND seq = ? AND prefix IN ({marks}) "
                             "AND status IN ('waiting', 'skipped') ORDER BY issued_at", (day, int(number), *prefixes)).fetchall()
        else:
            rows = c.execute("SELECT * FROM tickets WHERE day = ? AND number = ?",
                             (day, str(number).upper())).fetchall()
        if not rows:
            raise UnknownTicket(f"no ticket {number} today", zh=f"今天没有 {number} 号")
        row = rows[0]
        if row["status"] not in ("waiting", "skipped"):
            raise InvalidArgument(f"ticket {row['number']} is {row['status']}, it cannot be called",
                                  zh=f"{row['number']}号{STATUS_ZH.get(row['status'], row['status'])}，不能呼叫")
        return row

    def _ready_window(self, c, window: int) -> sqlite3.Row:
        w = self._window_row(c, window)
        if w["state"] == "paused":
            raise WindowNotReady(f"window {window} is paused; resume it first", zh=f"{window}号窗口已暂停，请先恢复服务")
        if w["state"] == "closed":
            raise WindowNotReady(f"window {window} is closed; log in first", zh=f"{window}号窗口未开放，请先登录")
        return w

    def _start_call(self, c, now, window: int, ticket_id: int) -> sqlite3.Row:
        ts = now.timestamp()
        row = self._ticket_row(c, ticket_id)
        staff = c.execute("SELECT staff FROM windows WHERE number = ?", (window,)).fetchone()[0]
        c.execute("UPDATE tickets SET status = 'called', window = ?, staff = ?, called_at = ?, "
                  "first_called_at = coalesce(first_called_at, ?), calls = calls + 1, target_window = NULL "
                  "WHERE id = ?", (window, staff, ts, ts, ticket_id))
        call_id = c.execute("INSERT INTO calls (ticket_id, day, window, service, staff, called_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (ticket_id, business_day(now), window, row["service"], staff, ts)).lastrowid
        c.execute("UPDATE windows SET state = 'serving', current_ticket = ?, current_call = ?, updated_at = ? "
                  "WHERE number = ?", (ticket_id, call_id, ts, window))
        row = self._ticket_row(c, ticket_id)
        self._event(c, now, "called", window, row, ticket_kind=row["kind"], transfers=row["transfers"])
        return row

    def _end_current(self, c, now, w: sqlite3.Row, outcome: str, **data) -> sqlite3.Row:
        ts = now.timestamp()
        row = self._ticket_row(c, w["current_ticket"])
        c.execute("UPDATE calls SET ended_at = ?, outcome = ? WHERE id = ?", (ts, outcome, w["current_call"]))
        last = row["id"] if outcome == "finished" else w["last_ticket"]
        # a paused window stays paused with its reason: staff finish the citizen at the desk, then go
        c.execute("UPDATE windows SET state = CASE state WHEN 'paused' THEN 'paused' ELSE 'idle' END, "
                  "current_ticket = NULL, current_call = NULL, last_ticket = ?, updated_at = ? WHERE number = ?",
                  (last, ts, w["number"]))
        if outcome == "finished":
            c.execute("UPDATE tickets SET status = 'finished', finished_at = ? WHERE id = ?", (ts, row["id"]))
            self._event(c, now, "finished", w["number"], row, evaluate=True, **data)
        return row

    def recall(self, window: int) -> Ticket:
        """Announce the current ticket again."""
        with self._tx() as (c, now):
            w = self._ready_window(c, window)
            row = self._current(c, w, "recall")
            c.execute("UPDATE calls SET recalls = recalls + 1 WHERE id = ?", (w["current_call"],))
            c.execute("UPDATE tickets SET calls = calls + 1, called_at = ? WHERE id = ?",
                      (now.timestamp(), row["id"]))
            row = self._ticket_row(c, row["id"])
            self._event(c, now, "recalled", window, row, calls=row["calls"])
            return self._ticket(row)

    def skip(self, window: int) -> Ticket:
        """Mark the current ticket a no-show (过号)."""
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            self._current(c, w, "skip")
            row = self._end_current(c, now, w, "skipped")
            c.execute("UPDATE tickets SET status = 'skipped' WHERE id = ?", (row["id"],))
            row = self._ticket_row(c, row["id"])
            self._event(c, now, "skipped", window, row)
            return self._ticket(row)

    def reactivate(self, number: str) -> Ticket:
        """Put a skipped ticket back in its queue, behind ``rules.requeue_after`` others."""
        with self._tx() as (c, now):
            row = c.execute("SELECT * FROM tickets WHERE day = ? AND number = ?",
                            (business_day(now), number.upper())).fetchone()
            if row is None:
                raise UnknownTicket(f"no ticket {number} today", zh=f"今天没有 {number} 号")
            if row["status"] != "skipped":
                raise InvalidArgument(f"ticket {row['number']} is {row['status']}, not a no-show",
                                      zh=f"{row['number']}号{STATUS_ZH.get(row['status'], row['status'])}，不是过号")
            if row["reactivations"] >= self.config.rules.max_reactivations:
                raise InvalidArgument(f"ticket {row['number']} was already re-activated "
                                      f"{row['reactivations']} time(s); please take a new ticket",
                                      zh=f"{row['number']}号已重排过{row['reactivations']}次，请重新取号")
            key = rules.requeue_key(c, row["service"], self.config.rules.requeue_after, now.timestamp())
            c.execute("UPDATE tickets SET status = 'waiting', lane = 3, sort_key = ?, window = NULL, "
                      "reactivations = reactivations + 1 WHERE id = ?", (key, row["id"]))
            row = self._ticket_row(c, row["id"])
            self._event(c, now, "reactivated", ticket=row)
            return self._ticket(row)

    def transfer(self, window: int, to_service: str | None = None, to_window: int | None = None) -> Ticket:
        """Move the current ticket to another service or window, ahead of that queue."""
        if (to_service is None) == (to_window is None):
            raise InvalidArgument("transfer needs exactly one of a target service or a target window",
                                  zh="转移须指定一个目标业务或一个目标窗口（只能选一个）")
        if to_service is not None:
            self._service(to_service)
        if to_window is not None and to_window not in self._windows:
            raise UnknownWindow(f"unknown window {to_window}", zh=f"没有{to_window}号窗口")
        if to_window == window:
            raise InvalidArgument("cannot transfer a ticket to its own window", zh="不能转移到本窗口")
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            row = self._current(c, w, "transfer")
            self._end_current(c, now, w, "transferred")
            service = to_service or row["service"]
            c.execute("UPDATE tickets SET status = 'waiting', service = ?, lane = 0, sort_key = ?, "
                      "target_window = ?, window = NULL, transfers = transfers + 1 WHERE id = ?",
                      (service, now.timestamp(), to_window, row["id"]))
            row = self._ticket_row(c, row["id"])
            self._event(c, now, "transferred", window, row, to_service=to_service, to_window=to_window)
            return self._ticket(row)

    def finish(self, window: int) -> Ticket:
        """End service of the current ticket; the evaluator then asks for a rating."""
        with self._tx() as (c, now):
            w = self._window_row(c, window)
            self._current(c, w, "finish")
            return self._ticket(self._ticket_row(c, self._end_current(c, now, w, "finished")["id"]))

    # -- device and diagnostic notices -----------------------------------------------
    def log_event(self, kind: str, window: int | None = None, **data) -> int:
        """Append a notice (printer fault, device offline …) to the event log."""
        with self._tx() as (c, now):
            return self._event(c, now, kind, window, **data)

    def roll_day(self) -> None:
        """Close yesterday if the business day has changed (operations do this by themselves)."""
        with self._tx():
            pass
