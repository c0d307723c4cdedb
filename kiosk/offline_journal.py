"""The kiosk's offline journal: its number leases, the tickets it printed while the hall
server could not be reached, and what it last knew of the server's clock.

A small SQLite file on the kiosk PC (``~/.local/state/jiaohao/kiosk-offline.sqlite``
by default), written before a ticket is printed, so a kiosk restarted while offline
loses nothing and sends everything on reconnect. Thread-safe (the issuing thread and
the lease keeper share it).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from hall.ticket_token import new_token

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
    id INTEGER PRIMARY KEY, server TEXT NOT NULL, day TEXT NOT NULL, prefix TEXT NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, next_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    local_id TEXT PRIMARY KEY, server TEXT NOT NULL, lease INTEGER NOT NULL, seq INTEGER NOT NULL,
    number TEXT NOT NULL, day TEXT NOT NULL, service TEXT NOT NULL, priority INTEGER NOT NULL,
    kiosk_time REAL NOT NULL, offset_s REAL, offset_error_s REAL, cancel_reason TEXT, supersedes TEXT,
    sent INTEGER NOT NULL DEFAULT 0, ticket_id INTEGER, result TEXT, token TEXT);
"""


def default_journal_path() -> Path:
    from platformdirs import user_state_dir
    return Path(user_state_dir("jiaohao")) / "kiosk-offline.sqlite"


@dataclass(frozen=True)
class Lease:
    id: int
    day: str
    prefix: str
    first_seq: int
    last_seq: int
    next_seq: int

    @property
    def left(self) -> int:
        return self.last_seq - self.next_seq + 1


class OfflineJournal:
    """Leases and offline tickets of one kiosk for one hall server (``server``)."""

    def __init__(self, path: Path | str, server: str):
        self.path, self.server = Path(path), server
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._open()
        except sqlite3.DatabaseError as e:
            damaged = "not a database" in str(e) or "malformed" in str(e)  # not locked, not unwritable
            if str(path) == ":memory:" or not damaged:
                raise
            self._db.close()
            aside = self._move_aside(e)
            self._open()
            log.error("the kiosk's offline journal %s was damaged (%s): kept as %s, a new one started; offline "
                      "tickets it held and had not yet sent are not in the queue (check the tickets printed "
                      "while the server was unreachable)", self.path, e, aside)

    def _open(self) -> None:
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=5)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")  # a printed ticket is on disk first
        self._db.executescript(SCHEMA)
        if "token" not in {r[1] for r in self._db.execute("PRAGMA table_info(tickets)")}:  # a journal of 0.2
            self._db.execute("ALTER TABLE tickets ADD COLUMN token TEXT")

    def _move_aside(self, e: Exception) -> Path:
        """The damaged file renamed (with its -wal and -shm), never deleted: it may be read later."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            f = Path(f"{self.path}{suffix}")
            if f.exists():
                f.replace(Path(f"{aside}{suffix}"))
        return aside

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- what the kiosk last knew ------------------------------------------------------
    def get(self, key: str, default=None):
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (f"{self.server} {key}",)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, **values) -> None:
        with self._lock:
            self._db.executemany("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                 [(f"{self.server} {k}", json.dumps(v)) for k, v in values.items()])

    # -- leases --------------------------------------------------------------------------
    def leases(self) -> dict[str, Lease]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM leases WHERE server = ?", (self.server,)).fetchall()
        return {r["prefix"]: Lease(r["id"], r["day"], r["prefix"], r["first_seq"], r["last_seq"], r["next_seq"])
                for r in rows}

    def set_leases(self, leases: list[dict]) -> None:
        """The server's open leases: a lease kept keeps the numbers already used from it."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                used = {r["id"]: r["next_seq"] for r in db.execute("SELECT id, next_seq FROM leases WHERE server = ?",
                                                                  (self.server,))}
                db.execute("DELETE FROM leases WHERE server = ?", (self.server,))
                for l in leases:
                    nxt = max(used.get(l["id"], l["first_seq"]), l["first_seq"])
                    db.execute("INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (l["id"], self.server, l["day"], l["prefix"], l["first_seq"], l["last_seq"], nxt))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -- offline tickets -------------------------------------------------------------------
    def take(self, prefix: str, day: str, service: str, priority: bool, kiosk_time: float,
             offset_s: float | None, supersedes: str | None,
             offset_error_s: float | None = None) -> tuple[str, int, str, int, str] | None:
        """The next number of ``prefix``'s lease of ``day``, recorded as a ticket with a
        status-page token of its own (hall/ticket_token.py): (local_id, seq, number, rowid,
        token), or None when there is no such lease or it is spent."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                r = db.execute("SELECT * FROM leases WHERE server = ? AND prefix = ? AND day = ?",
                               (self.server, prefix, day)).fetchone()
                if r is None or r["next_seq"] > r["last_seq"]:
                    db.execute("ROLLBACK")
                    return None
                seq, local_id, token = r["next_seq"], uuid.uuid4().hex, new_token()
                number = f"{prefix}{seq:03d}"
                db.execute("UPDATE leases SET next_seq = next_seq + 1 WHERE id = ?", (r["id"],))
                cur = db.execute("INSERT INTO tickets (local_id, server, lease, seq, number, day, service, priority, "
                                 "kiosk_time, offset_s, offset_error_s, supersedes, token) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 (local_id, self.server, r["id"], seq, number, day, service, int(priority),
                                  kiosk_time, offset_s, offset_error_s, supersedes, token))
                db.execute("COMMIT")
                return local_id, seq, number, cur.lastrowid, token
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def cancel(self, rowid: int, reason: str) -> bool:
        with self._lock:
            return self._db.execute("UPDATE tickets SET cancel_reason = ? WHERE rowid = ? AND sent = 0",
                                    (reason, rowid)).rowcount == 1

    def unsent(self, limit: int = 500) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM tickets WHERE server = ? AND sent = 0 ORDER BY kiosk_time, rowid "
                                    "LIMIT ?", (self.server, limit)).fetchall()
        out = []
        for r in rows:
            t = {"local_id": r["local_id"], "lease": r["lease"], "seq": r["seq"], "service": r["service"],
                 "priority": bool(r["priority"]), "kiosk_time": r["kiosk_time"]}
            for k in ("offset_s", "cancel_reason", "supersedes", "token"):
                if r[k] is not None:
                    t[k] = r[k]
            out.append(t)
        return out

    def largest_offset_error(self) -> float:
        """The most the offsets carried by this journal's tickets can be wrong by (seconds)."""
        with self._lock:
            v = self._db.execute("SELECT max(offset_error_s) FROM tickets WHERE server = ?", (self.server,)).fetchone()[0]
        return float(v or 0.0)

    def pending(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM tickets WHERE server = ? AND sent = 0",
                                    (self.server,)).fetchone()[0]

    def mark_sent(self, results: list[dict]) -> None:
        with self._lock:
            for r in results:
                ticket = r.get("ticket") or {}
                self._db.execute("UPDATE tickets SET sent = 1, ticket_id = ?, result = ? WHERE local_id = ?",
                                 (ticket.get("id"), r["result"] if r["result"] != "refused"
                                  else "refused: " + json.dumps(r.get("error"), ensure_ascii=False), r["local_id"]))

    def issued_since(self, service: str, kiosk_time: float) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM tickets WHERE server = ? AND service = ? AND kiosk_time >= ? "
                                    "AND cancel_reason IS NULL", (self.server, service, kiosk_time)).fetchone()[0]

    def issued_on(self, service: str, day: str) -> int:
        """Offline tickets of ``service`` on ``day`` not yet sent (for the daily cap)."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM tickets WHERE server = ? AND service = ? AND day = ? "
                                    "AND sent = 0 AND cancel_reason IS NULL", (self.server, service, day)).fetchone()[0]
