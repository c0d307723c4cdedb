"""Shipping a hall's records to the city's PostgreSQL, from its event log.

A batch: read the events after the city's cursor for this hall (the cursor lives in the
city, in ``city.halls``, and moves in the same transaction as the records), read the
current rows of the tickets those events name (and all rows of a day the hall closed),
then in one city transaction upsert them keyed by (hall_code, day, id) and move the
cursor. A crash or a cut link before the commit ships the batch again; after it, nothing
is repeated; upserts make a repeat harmless either way (at-least-once, idempotent).

The hall never waits for the city: shipping reads the queue database on its own
read-only connection, in its own thread (``serve``) or process (``jiaohao ship``); it
writes to the hall's database only its status row (``city_shipping``), after the city
has committed.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hall.db import connect, connect_readonly
from hall.eventlog import ROW_ERRORS, read_events
from hall.models import Event
from hall.versions import VERSION

from . import daycolumns as day_columns
from . import dayparts as day_parts
from .records import RECORD_KINDS, RecordKind, Touched, events_with_data, hall_tables, read_rows
from .schema import CityError, check_ready, ensure_months, one_line, read_password, redact
from .schema import connect as city_connect

log = logging.getLogger(__name__)

DAY_PARTS_SQL = (  # a closed day's columns (city/dayparts.py); a format-3 blob it replaces goes
    "INSERT INTO city.day_columns (hall_code, day, format, " + ", ".join(day_parts.PARTS) + ") "
    "VALUES (%s, %s, %s" + ", %s" * len(day_parts.PARTS) + ") ON CONFLICT (hall_code, day) DO UPDATE SET "
    "format = excluded.format, data = NULL, built_at = now(), "
    + ", ".join(f"{p} = excluded.{p}" for p in day_parts.PARTS))


@dataclass
class ShipResult:
    """What one ``ship`` run did."""

    batches: int = 0
    events: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    cursor: int = 0
    behind: int = 0  # events in the hall's log not yet in the city
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _q(name: str) -> str:
    return f'"{name}"'


class Shipper:
    """Ships one hall's database to the city. ``hooks`` are for tests: names of points in
    a batch (``before_commit``, ``after_commit``) mapped to callables."""

    def __init__(self, db_path: Path | str, city_cfg, hall_name: str = "", services=(), windows=(),
                 base_dir: Path | None = None, kinds: list[RecordKind] | None = None,
                 hooks: dict[str, Callable[[], None]] | None = None, password: str | None = None):
        self.db_path = str(db_path)
        self.cfg = city_cfg
        self.hall_code = city_cfg.hall_code
        self.hall_name = hall_name
        self.services = [(s.code, s.name, getattr(s, "zone", ""), getattr(s, "item_code", "")) for s in services]
        self.windows = [(w.number, w.name or f"{w.number}号窗口", w.department) for w in windows]
        self.base_dir = base_dir
        self.kinds = kinds or RECORD_KINDS
        self.hooks = hooks or {}
        self._password = password
        self._pg = None
        self._ro: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._hall_id: str | None = None
        self._dims_shipped = False
        self._staged: set[str] = set()
        self._months: set[str] = set()  # "YYYY-MM" whose partitions are known to exist
        self._data_kinds = events_with_data(self.kinds)

    # -- connections -------------------------------------------------------------------
    def _city(self):
        if self._pg is None or self._pg.closed:
            password = self._password if self._password is not None else \
                read_password(self.cfg.password_file, self.base_dir)
            self._pg = city_connect(self.cfg.database, password, self.cfg.connect_timeout_s,
                                    autocommit=True, application=f"jiaohao ship {self.hall_code}")
            check_ready(self._pg)
            self._staged = set()
        return self._pg

    def _hall(self) -> sqlite3.Connection:
        if self._ro is None:
            self._ro = connect_readonly(self.db_path)
            row = self._ro.execute("SELECT value FROM meta WHERE key = 'hall_id'").fetchone()
            self._hall_id = row[0] if row else "unknown"
        return self._ro

    def close(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()
            except Exception:  # noqa: BLE001 - a dead link closes as it can
                pass
            self._pg = None
        if self._ro is not None:
            self._ro.close()
            self._ro = None

    def drop_city_connection(self) -> None:
        """After an error: the next attempt opens a new connection."""
        pg, self._pg = self._pg, None
        if pg is not None:
            try:
                pg.close()
            except Exception:  # noqa: BLE001
                pass

    # -- shipping ----------------------------------------------------------------------
    def ship(self, max_batches: int | None = None, deadline: float | None = None) -> ShipResult:
        """Ship batches until the city has every event (or ``max_batches``/``deadline``)."""
        t0 = time.perf_counter()
        result = ShipResult()
        pg = self._city()
        hall = self._hall()
        cursor = self._register(pg, hall)
        if not self._dims_shipped:
            self._ship_dimensions(pg)
        while max_batches is None or result.batches < max_batches:
            if deadline is not None and time.monotonic() > deadline:
                break
            n, cursor = self._batch(pg, hall, cursor, result)
            if n == 0:
                break
        result.cursor = cursor
        last = hall.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        result.behind = max(0, last - cursor)
        result.seconds = time.perf_counter() - t0
        self._record_status(cursor, None)
        return result

    def _register(self, pg, hall: sqlite3.Connection) -> int:
        """The city's cursor for this hall (a new hall starts at 0). Refuses another
        database under the same hall code; restarts from 0 when the hall's log no longer
        has the event the city saw last (a restored backup)."""
        with pg.transaction():
            row = pg.execute("SELECT source_id, shipped_event_id, shipped_event_at FROM city.halls "
                             "WHERE hall_code = %s FOR UPDATE", (self.hall_code,)).fetchone()
            if row is None:
                pg.execute("INSERT INTO city.halls (hall_code, name, source_id, program_version) "
                           "VALUES (%s, %s, %s, %s)", (self.hall_code, self.hall_name, self._hall_id, VERSION))
                return 0
            source, cursor, cursor_at = row
            if source != self._hall_id:
                raise CityError(
                    f"the city already has hall {self.hall_code} from another queue database (id {source}; "
                    f"this one is {self._hall_id}). A hall code belongs to one database: give this hall its "
                    f"own hall_code, or run `jiaohao ship --adopt` if this database replaces the old one")
            if cursor:
                seen = hall.execute("SELECT at FROM events WHERE id = ?", (cursor,)).fetchone()
                if seen is None or (cursor_at is not None and abs(seen[0] - cursor_at) > 1e-3):
                    log.warning("hall %s: the event log no longer has event %d the city saw last "
                                "(a restored backup?): shipping everything again", self.hall_code, cursor)
                    pg.execute("UPDATE city.halls SET shipped_event_id = 0, shipped_event_at = NULL "
                               "WHERE hall_code = %s", (self.hall_code,))
                    cursor = 0
            pg.execute("UPDATE city.halls SET name = %s, program_version = %s WHERE hall_code = %s",
                       (self.hall_name, VERSION, self.hall_code))
            return cursor

    def adopt(self) -> None:
        """Make this database the source of its hall code in the city (it replaces the
        old one: its records are shipped again over the old ones)."""
        pg = self._city()
        self._hall()  # reads this database's id
        with pg.transaction():
            pg.execute("UPDATE city.halls SET source_id = %s, shipped_event_id = 0, shipped_event_at = NULL "
                       "WHERE hall_code = %s", (self._hall_id, self.hall_code))

    def _ship_dimensions(self, pg) -> None:
        with pg.transaction():
            with pg.cursor() as cur:
                if self.services:
                    cur.executemany("INSERT INTO city.services (hall_code, code, name, zone, item_code) "
                                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (hall_code, code) DO UPDATE SET "
                                    "name = excluded.name, zone = excluded.zone, item_code = excluded.item_code",
                                    [(self.hall_code, *s) for s in self.services])
                if self.windows:
                    cur.executemany('INSERT INTO city.windows (hall_code, number, name, department) '
                                    'VALUES (%s, %s, %s, %s) ON CONFLICT (hall_code, number) DO UPDATE SET '
                                    'name = excluded.name, department = excluded.department',
                                    [(self.hall_code, *w) for w in self.windows])
        self._dims_shipped = True

    def _batch(self, pg, hall: sqlite3.Connection, cursor: int, result: ShipResult) -> tuple[int, int]:
        events, skipped, last = self._read_events(hall, cursor)
        if last == cursor:
            return 0, cursor
        touched = Touched.of(events, self.kinds)
        tables = hall_tables(hall)
        hall.execute("BEGIN")  # one snapshot for every kind of row
        try:
            rows = {k.name: read_rows(hall, k, touched, tables) for k in self.kinds}
            # a closed day's columns for the city's fast reports: when it closes, and again when a
            # record of it changes later (a 追加评价, a follow-up, a ticket merged in late)
            current = hall.execute("SELECT value FROM meta WHERE key = 'day'").fetchone()
            late = {r[1] for r in rows.get("tickets", ()) if current and r[1] < current[0]}
            codes = [svc[0] for svc in self.services]  # one order for every day: the report caches it
            columns = {day: day_parts.encode(day_columns.from_hall(hall, day, codes))
                       for day in sorted(touched.closed_days | late)}
        finally:
            hall.execute("COMMIT")
        # the business days the partitioned kinds write into (the first column of their key)
        days = {r[k.columns.index(k.key[0])] for k in self.kinds if len(k.key) > 1 for r in rows[k.name]}
        months = {d[:7] for d in days if d} - self._months
        if months:
            ensure_months(pg, [m + "-01" for m in months])
            self._months |= months
        last_at = events[-1].at if events and events[-1].id == last else None
        if last_at is None:
            got = hall.execute("SELECT at FROM events WHERE id = ?", (last,)).fetchone()
            last_at = got[0] if got else None
        with pg.transaction():
            now = pg.execute("SELECT shipped_event_id FROM city.halls WHERE hall_code = %s FOR UPDATE",
                             (self.hall_code,)).fetchone()[0]
            if now != cursor:  # another shipper of this hall moved it meanwhile: go on from there
                log.warning("hall %s: the city's cursor moved from %d to %d under this shipper",
                            self.hall_code, cursor, now)
                return 1, now
            for k in self.kinds:
                if rows[k.name]:
                    self._upsert(pg, k, rows[k.name])
            for day, parts in columns.items():
                pg.execute(DAY_PARTS_SQL, (self.hall_code, day, day_parts.FORMAT, *(parts[p] for p in day_parts.PARTS)))
            pg.execute("UPDATE city.halls SET shipped_event_id = %s, shipped_event_at = %s, shipped_at = now() "
                       "WHERE hall_code = %s", (last, last_at, self.hall_code))
            self._hook("before_commit")
        self._hook("after_commit")
        result.batches += 1
        result.events += len(events) + len(skipped)
        for k in self.kinds:
            if rows[k.name]:
                result.rows[k.name] = result.rows.get(k.name, 0) + len(rows[k.name])
        return len(events) + len(skipped), last

    def _read_events(self, hall: sqlite3.Connection, cursor: int):
        """The next events after ``cursor``. Only the events some kind reads the data of
        have it parsed (JSON costs more than the rest of the read); a damaged row sends
        the batch through hall.eventlog, which passes over it and says so."""
        try:
            cur = hall.cursor()
            cur.row_factory = None
            rows = cur.execute("SELECT id, at, day, kind, window, ticket_id, number, service, data FROM events "
                               "WHERE id > ? ORDER BY id LIMIT ?", (cursor, self.cfg.batch_size)).fetchall()
            kinds = self._data_kinds
            events = [Event(i, at, day, kind, w, t, n, svc, json.loads(data) if kind in kinds else {})
                      for i, at, day, kind, w, t, n, svc, data in rows]
            return events, [], events[-1].id if events else cursor
        except ROW_ERRORS:
            return read_events(hall, self._lock, self.db_path, cursor, self.cfg.batch_size)

    def _upsert(self, pg, kind: RecordKind, rows: list[tuple]) -> None:
        """COPY into a session-local staging table, then one INSERT … ON CONFLICT."""
        stage = f"stage_{kind.table}"
        cols = ("hall_code", *kind.columns)
        qcols = ", ".join(_q(c) for c in cols)
        if stage not in self._staged:
            # emptied by every commit (and after a rollback nothing stays either)
            pg.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                       f"SELECT {qcols} FROM city.{kind.table} WITH NO DATA")
            self._staged.add(stage)
        code = self.hall_code
        with pg.cursor() as cur:
            with cur.copy(f"COPY {stage} ({qcols}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row((code, *r))
            key = ("hall_code", *kind.key)
            changing = [c for c in cols if c not in key]
            updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in changing)
            # a row shipped again unchanged (a repeat, a day close) is left alone: no new version
            differs = (f"({', '.join(f'city.{kind.table}.{_q(c)}' for c in changing)}) IS DISTINCT FROM "
                       f"({', '.join(f'excluded.{_q(c)}' for c in changing)})")
            action = f"DO UPDATE SET {updates} WHERE {differs}" if updates else "DO NOTHING"
            cur.execute(f"INSERT INTO city.{kind.table} ({qcols}) SELECT {qcols} FROM {stage} "
                        f"ON CONFLICT ({', '.join(_q(c) for c in key)}) {action}")

    def _hook(self, name: str) -> None:
        fn = self.hooks.get(name)
        if fn is not None:
            fn()

    # -- the hall's own record of it ------------------------------------------------------
    def _record_status(self, cursor: int | None, error: str | None) -> None:
        """The status row in the hall's database (``jiaohao ship --status``, diag). A busy
        hall database is not waited for long: the status is a convenience."""
        try:
            conn = connect(self.db_path, timeout_s=2.0)
        except Exception as e:  # noqa: BLE001 - the status must never stop shipping
            log.debug("no status written: %s", e)
            return
        try:
            now = time.time()
            if error is None:
                conn.execute("INSERT INTO city_shipping (hall_code, shipped_event_id, shipped_at, failures) "
                             "VALUES (?, ?, ?, 0) ON CONFLICT (hall_code) DO UPDATE SET "
                             "shipped_event_id = excluded.shipped_event_id, shipped_at = excluded.shipped_at, "
                             "failures = 0, last_error = NULL", (self.hall_code, cursor or 0, now))
            else:
                conn.execute("INSERT INTO city_shipping (hall_code, last_error, last_error_at, failures) "
                             "VALUES (?, ?, ?, 1) ON CONFLICT (hall_code) DO UPDATE SET "
                             "last_error = excluded.last_error, last_error_at = excluded.last_error_at, "
                             "failures = failures + 1", (self.hall_code, error, now))
        except sqlite3.Error as e:
            log.debug("no status written: %s", e)
        finally:
            conn.close()

    def record_failure(self, error: str) -> None:
        self._record_status(None, error)


def status(db_path: Path | str) -> list[dict]:
    """The hall's shipping status rows, with how many events are still to ship."""
    conn = connect_readonly(str(db_path))
    try:
        if not conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'city_shipping'").fetchone():
            return []
        last = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        return [{"hall_code": r["hall_code"], "shipped_event_id": r["shipped_event_id"],
                 "behind": max(0, last - r["shipped_event_id"]), "shipped_at": r["shipped_at"],
                 "last_error": r["last_error"], "last_error_at": r["last_error_at"], "failures": r["failures"]}
                for r in conn.execute("SELECT * FROM city_shipping ORDER BY hall_code")]
    finally:
        conn.close()


def describe_error(e: BaseException, url: str) -> str:
    if isinstance(e, CityError):
        return str(e)
    return f"city database {redact(url)}: {one_line(e)}"
