"""Safe retries: an operation sent again with the same ``Idempotency-Key`` is done once
(docs/api.md "Safe retries").

:func:`run_once` runs the operation and stores its answer (status and JSON body, a
refusal included) in ONE transaction of the queue, so a server killed in between has
done both or neither; the same key again from the same credential returns the stored
answer and changes nothing. Answers are kept 24 hours.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Callable

from .errors import DatabaseProblem, HallError, IdempotencyMismatch, InvalidArgument

KEEP_S = 24 * 3600.0
PURGE_EVERY_S = 60.0
MAX_KEY = 200

# docs/api.md "Errors": the status of each refusal code (the server may pass its own mapping)
STATUS_OF_CODE = {
    "invalid": 400, "bad_login": 401, "unknown_service": 404, "unknown_window": 404, "unknown_ticket": 404,
    "unknown_device": 404, "unknown_staff": 404, "closed": 409, "cap": 409, "slot_full": 409, "already_booked": 409, "suspended": 403, "window_state": 409,
    "idempotency_mismatch": 409, "too_many_attempts": 429, "database": 503,
}

_purged: dict[str, float] = {}  # database path -> monotonic time of its last purge
_purged_lock = threading.Lock()


def refusal_answer(e: HallError) -> tuple[int, dict]:
    """The status and error body of a refusal, as docs/api.md "Errors" shows them."""
    return STATUS_OF_CODE.get(e.code, 400), {"error": {"code": e.code, "message": getattr(e, "zh", "") or str(e),
                                                       "message_en": str(e)}}


def run_once(queue, credential: str, key: str, method: str, path: str, fingerprint: str,
             op: Callable[[], tuple[int, object]],
             refusal: Callable[[HallError], tuple[int, object]] = refusal_answer) -> tuple[int, object, bool]:
    """(status, JSON-able body, replayed) of ``op`` done once for (``credential``, ``key``).

    ``op`` runs inside the queue's transaction (queue operations join it); its answer is
    stored with it. A :class:`HallError` from ``op`` is a refusal: its part is undone, the
    refusal (``refusal(e)``) is stored and answered, and what the queue logs of it (a
    ``refused`` event) stays. Any other exception, and a refusal of status 5xx (the
    database failing), undoes everything, stores nothing and goes on up. The same key
    with another method, path or ``fingerprint`` (a digest of the request body) raises
    :class:`IdempotencyMismatch`."""
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise InvalidArgument(f"an Idempotency-Key is 1-{MAX_KEY} printable characters",
                              zh=f"Idempotency-Key 须为 1-{MAX_KEY} 个可打印字符")
    with queue.transaction() as (c, now):
        ts = now.timestamp()
        _purge_if_due(c, queue.path, ts)
        row = c.execute("SELECT method, path, fingerprint, status, body, at FROM idempotency "
                        "WHERE credential = ? AND key = ?", (credential, key)).fetchone()
        if row is not None and row[5] >= ts - KEEP_S:
            if (row[0], row[1], row[2]) != (method, path, fingerprint):
                raise IdempotencyMismatch(
                    f"Idempotency-Key {key!r} was used for another request ({row[0]} {row[1]}); "
                    "use a new key for a new request",
                    zh=f"Idempotency-Key“{key}”已用于另一个请求（{row[0]} {row[1]}），新请求请用新的键")
            return row[3], json.loads(row[4]), True
        try:
            status, body = op()
        except HallError as e:
            status, body = refusal(e)
            # the database failing (disk full …) is no answer to keep: its retry must run.
            # After SQLITE_FULL/IOERR SQLite has rolled the whole transaction back already.
            if isinstance(e, DatabaseProblem) or status >= 500 or not c.in_transaction:
                raise
        c.execute("INSERT OR REPLACE INTO idempotency (credential, key, method, path, fingerprint, status, body, at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  (credential, key, method, path, fingerprint, status, json.dumps(body, ensure_ascii=False), ts))
        return status, body, False


def _purge_if_due(c, path: str, ts: float) -> None:
    mono = time.monotonic()
    with _purged_lock:
        if mono - _purged.get(path, -PURGE_EVERY_S) < PURGE_EVERY_S:
            return
        _purged[path] = mono
    c.execute("DELETE FROM idempotency WHERE at < ?", (ts - KEEP_S,))
