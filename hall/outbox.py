"""A persistent outbox: webhooks the hall must deliver, exactly once as far as it can.

Features queue records inside their own transaction with :func:`enqueue` (a text
message reminder, a rating for the provincial 好差评 platform, an alarm): the record and
the change that caused it commit together, so a crash never loses one nor sends one for
a change that rolled back. :class:`OutboxSender` (a `jiaohao serve` component) posts
each due record as JSON to its channel's :class:`Destination`, oldest first, with the
header ``Idempotency-Key: <dedupe_key>``; a 2xx marks it sent, anything else (refused,
time-out, no route) is retried (without holding up the records after it: one record a
receiver rejects must not stop a channel) after 2 s, 4 s, 8 s … up to 10 minutes between tries,
for as long as it takes, across restarts.

Delivery is at-least-once on the wire: if the process dies after the receiver answered
but before the record is marked sent, it is posted again with the same Idempotency-Key,
which receivers use to drop the repeat. Nothing else is ever posted twice.

Destinations come from the hall config: each feature lists a ``"module:function"`` in
:data:`DESTINATION_FACTORIES`, ``function(config) -> {channel: Destination}``; records of
a channel without a destination wait (and ``status`` shows them) until one is configured."""
from __future__ import annotations

import importlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

FIRST_RETRY_S = 2.0
MAX_RETRY_S = 600.0
BATCH = 50

# "module:function" -> function(config) -> dict[channel, Destination]; features add theirs
DESTINATION_FACTORIES: list[str] = [
    "hall.alarms:destinations",  # the alarm webhook ([limits] webhook, docs/manage.md)
    "hall.reminders:destinations",  # 叫号提醒: [notify] webhook
    "hall.rating_push:destinations",  # the provincial 好差评 platform (hall/rating_push.py)
]


@dataclass(frozen=True)
class Destination:
    """Where a channel's records go: ``accept(response)`` may return an error text for a
    2xx answer the receiver still refused (a platform answering 200 with ``{"code": 1}``)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 10.0
    accept: Callable | None = None


def enqueue(conn: sqlite3.Connection, channel: str, payload: dict, dedupe_key: str,
            at: float | None = None) -> bool:
    """Queue ``payload`` for ``channel`` unless (channel, dedupe_key) is queued already.
    Call it inside the transaction of the change it reports. True when queued now."""
    at = time.time() if at is None else at
    cur = conn.execute(
        "INSERT OR IGNORE INTO outbox (channel, dedupe_key, payload, created_at, next_at) VALUES (?, ?, ?, ?, ?)",
        (channel, dedupe_key, json.dumps(payload, ensure_ascii=False, separators=(",", ":")), at, at))
    return cur.rowcount == 1


def status(conn: sqlite3.Connection) -> list[dict]:
    """Per channel: pending, sent, failing (pending with at least one failed try), the
    oldest pending record's time and the last error."""
    rows = conn.execute("""
        SELECT channel, SUM(sent_at IS NULL), SUM(sent_at IS NOT NULL),
               SUM(sent_at IS NULL AND attempts > 0), MIN(CASE WHEN sent_at IS NULL THEN created_at END)
        FROM outbox GROUP BY channel ORDER BY channel""").fetchall()
    out = []
    for channel, pending, sent, failing, oldest in rows:
        err = conn.execute("SELECT last_error FROM outbox WHERE channel = ? AND sent_at IS NULL AND last_error IS NOT NULL "
                           "ORDER BY next_at DESC LIMIT 1", (channel,)).fetchone()
        out.append({"channel": channel, "pending": pending or 0, "sent": sent or 0, "failing": failing or 0,
                    "oldest_pending_at": oldest, "last_error": err[0] if err else None})
    return out


def destinations(config) -> dict[str, Destination]:
    """Every channel's destination, from the factories in :data:`DESTINATION_FACTORIES`."""
    out: dict[str, Destination] = {}
    for entry in DESTINATION_FACTORIES:
        module, _, name = entry.partition(":")
        out.update(getattr(importlib.import_module(module), name)(config) or {})
    return out


def retry_after(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones."""
    return min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1))


class OutboxSender:
    """Delivers due outbox records from a thread of its own (a `serve` component)."""

    name = "outbox"

    def __init__(self, db_path, routes: dict[str, Destination], *, poll_s: float = 1.0, clock=time.time):
        self.db_path, self.routes, self.poll_s, self.clock = db_path, dict(routes), poll_s, clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(15)

    def wake(self) -> None:
        """Look for due records now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        import httpx

        from .db import connect
        conn = connect(self.db_path)
        try:
            with httpx.Client(follow_redirects=False) as client:
                while not self._stop.is_set():
                    try:
                        busy = self.send_due(conn, client)
                    except sqlite3.Error:
                        log.exception("outbox: cannot read the queue database; trying again")
                        busy = False
                    except Exception:  # noqa: BLE001 - the sender must outlive any one record
                        log.exception("outbox: sending failed; trying again")
                        busy = False
                    if not busy:
                        self._wake.wait(self.poll_s)
                        self._wake.clear()
        finally:
            conn.close()

    def send_due(self, conn: sqlite3.Connection, client) -> bool:
        """Post the due records of configured channels once each; True if any was due."""
        if not self.routes:
            return False
        now = self.clock()
        marks = ",".join("?" * len(self.routes))
        rows = conn.execute(f"SELECT id, channel, dedupe_key, payload, attempts FROM outbox "
                            f"WHERE sent_at IS NULL AND next_at <= ? AND channel IN ({marks}) "
                            f"ORDER BY next_at, id LIMIT {BATCH}", (now, *self.routes)).fetchall()
        for rid, channel, key, payload, attempts in rows:
            if self._stop.is_set():
                break
            if not isinstance(attempts, int) or not isinstance(payload, str):  # a damaged record
                log.error("outbox %s: record %s is damaged (attempts %r); set aside for a day, run "
                          "`jiaohao diag check`", channel, rid, str(attempts)[:20])
                conn.execute("UPDATE outbox SET next_at = ?, last_error = 'damaged record' WHERE id = ?",
                             (self.clock() + 86400, rid))
                continue
            error = self._post(client, self.routes[channel], key, payload)
            done = self.clock()
            if error is None:
                conn.execute("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                             (done, rid))
                self.delivered += 1
            else:
                log.warning("outbox %s: record %s not delivered (try %d): %s", channel, rid, attempts + 1, error)
                conn.execute("UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?",
                             (done + retry_after(attempts + 1), error[:500], rid))
        return bool(rows)

    @staticmethod
    def _post(client, dest: Destination, key: str, payload: str) -> str | None:
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key, **dest.headers}
        try:
            response = client.post(dest.url, content=payload.encode("utf-8"), headers=headers, timeout=dest.timeout_s)
        except Exception as e:  # noqa: BLE001 - every transport failure is a retry, named in the record
            return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        if not 200 <= response.status_code < 300:
            return f"HTTP {response.status_code}: {response.text[:200]}"
        if dest.accept is not None:
            return dest.accept(response)
        return None


def components(ctx) -> list:
    """The outbox sender for `jiaohao serve`, when any channel has a destination."""
    routes = destinations(ctx.config)
    if not routes:
        return []
    return [OutboxSender(ctx.db_path, routes)]
