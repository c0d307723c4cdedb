"""A hall's business day as columns: what the city report needs of each ticket, call,
evaluation and refusal, one numpy array per field.

The shipper builds them from the hall's database when it ships a ``day_closed`` event
and stores them, summed and packed by city/dayparts.py, in ``city.day_columns`` (one row
per hall and day), so a month report over 150 halls reads 4,500 small rows instead of
scanning millions; the report builds the same columns from the shipped rows for a day
without stored ones (today). One builder, :func:`build`, for both. A day stored by an
older version as one blob of these records (format 3) is read by :meth:`DayColumns.decode`.

The figures' definitions are those of hall/report_queries.py (docs/reports.md); what a
column holds says which figure it feeds.
"""
from __future__ import annotations

import math
import struct
import time
from dataclasses import dataclass

import numpy as np

FORMAT = 3  # of the record blobs (city.day_columns.data) written before city/dayparts.py
STATUS = {"waiting": 0, "called": 1, "finished": 2, "skipped": 3, "expired": 4, "cancelled": 5}
OUTCOME = {None: 0, "finished": 1, "transferred": 2, "skipped": 3, "day_end": 4}
REFUSAL = {"cap": 1, "closed": 2, "printer": 3}  # 0: a reason no figure counts
PRINTER_REASONS = frozenset({"printer", "printer_unavailable", "paper_out", "cover_open", "offline", "print_failed"})

# the rows each builder input has (SQLite and PostgreSQL loaders give these, in this order)
TICKET_COLS = ("id", "origin_service", "issued_at", "status", "cancel_reason", "first_called_at", "window",
               "level", "fstate", "frectified")  # the last three: 好差评 (final level, follow-up), or NULL
FOLLOWUP = {None: 0, "appeal_approved": 2, "called_back": 3}  # any other state: 1
CALL_COLS = ("id", "ticket_id", "window", "service", "called_at", "ended_at", "outcome")
EVAL_COLS = ("window", "at", "score", "call_id")
REFUSAL_COLS = ("at", "kind", "reason", "service")

FIELDS = {  # table -> (field, dtype)
    "t": (("svc", "<i2"), ("hour", "i1"), ("status", "i1"), ("printfail", "?"), ("wait", "<f8"), ("wwin", "<i4"),
          ("twin", "<i4"), ("level", "i1"), ("fstate", "i1"), ("frect", "?")),
    "c": (("svc", "<i2"), ("win", "<i4"), ("hour", "i1"), ("outcome", "i1"), ("handle", "<f8"), ("noshow", "?")),
    "e": (("svc", "<i2"), ("win", "<i4"), ("hour", "i1"), ("score", "i1")),
    "r": (("svc", "<i2"), ("hour", "i1"), ("reason", "i1")),
}


def local_hour(ts: float) -> int:
    return time.localtime(ts).tm_hour


#: each table's records, packed: one numpy structured array per table in a blob
DTYPES = {tab: np.dtype([(name, dtype) for name, dtype in fields]) for tab, fields in FIELDS.items()}
_HEAD = struct.Struct("<HIIIII")  # format, records of t, c, e, r, bytes of the service names
SEP = "\x1f"


@dataclass
class DayColumns:
    """The columns of one hall's day; ``services`` names the service indices (``svc``)."""

    services: list[str]
    t: dict[str, np.ndarray]
    c: dict[str, np.ndarray]
    e: dict[str, np.ndarray]
    r: dict[str, np.ndarray]

    def encode(self) -> bytes:
        names = SEP.join(self.services).encode("utf-8")
        parts, counts = [], []
        for tab, dt in DTYPES.items():
            cols = getattr(self, tab)
            n = len(cols["svc"])
            rec = np.empty(n, dtype=dt)
            for name in dt.names:
                rec[name] = cols[name]
            parts.append(rec.tobytes())
            counts.append(n)
        return b"".join([_HEAD.pack(FORMAT, *counts, len(names)), names, *parts])

    @classmethod
    def decode(cls, blob: bytes) -> "DayColumns":
        services, tables = split(blob)
        return cls(services, **{tab: {name: np.frombuffer(raw, dtype=DTYPES[tab])[name]
                                      for name in DTYPES[tab].names} for tab, raw in tables.items()})


def split(blob) -> tuple[list[str], dict[str, memoryview]]:
    """(service names, each table's packed records) of a blob, without copying."""
    mv = memoryview(blob)
    fmt, nt, nc, ne, nr, size = _HEAD.unpack_from(mv, 0)
    if fmt != FORMAT:
        raise ValueError(f"day columns of format {fmt}, this version reads {FORMAT}")
    pos = _HEAD.size
    services = bytes(mv[pos:pos + size]).decode("utf-8").split(SEP) if size else []
    pos += size
    tables = {}
    for tab, n in zip(DTYPES, (nt, nc, ne, nr)):
        end = pos + n * DTYPES[tab].itemsize
        tables[tab] = mv[pos:end]
        pos = end
    return services, tables


def build(tickets, calls, evaluations, refusals, services: list[str] = ()) -> DayColumns:
    """The columns of one day from its rows (each a sequence in the ``*_COLS`` order).
    ``services``: the hall's service codes, numbered first in this order (the same list
    every day lets the report map a hall's days once)."""
    codes: dict[str, int] = {code: i for i, code in enumerate(dict.fromkeys(services))}

    def svc(code) -> int:
        code = "?" if code is None else str(code)
        i = codes.get(code)
        if i is None:
            i = codes[code] = len(codes)
        return i

    status_of = {}
    t = {k: [] for k, _ in FIELDS["t"]}
    for tid, origin, issued, status, reason, first, window, level, fstate, frect in tickets:
        status_of[tid] = status
        t["svc"].append(svc(origin))
        t["hour"].append(local_hour(issued))
        t["status"].append(STATUS.get(status, 0))
        t["printfail"].append(status == "cancelled" and reason == "print_failed")
        t["wait"].append(first - issued if first is not None else math.nan)
        t["twin"].append(-1 if window is None else window)  # the window that finished it: its department
        t["level"].append(level or 0)  # 0: 未评价
        t["fstate"].append(FOLLOWUP.get(fstate, 1))
        t["frect"].append(bool(frect))
    first_call: dict[int, tuple[int, int]] = {}  # ticket -> (call id, window) of its first call
    last_call: dict[int, int] = {}
    for cid, tid, win, _svc, _at, _end, _out in calls:
        f = first_call.get(tid)
        if f is None or cid < f[0]:
            first_call[tid] = (cid, win)
        if cid > last_call.get(tid, -1):
            last_call[tid] = cid
    t["wwin"] = [first_call[tid][1] if tid in first_call and row[5] is not None else -1
                 for row in tickets for tid in (row[0],)]
    c = {k: [] for k, _ in FIELDS["c"]}
    call_service = {}
    for cid, tid, win, service, called, ended, outcome in calls:
        call_service[cid] = service
        c["svc"].append(svc(service))
        c["win"].append(win)
        c["hour"].append(local_hour(called))
        c["outcome"].append(OUTCOME.get(outcome, 0))
        c["handle"].append(ended - called if outcome in ("finished", "transferred") and ended is not None
                           else math.nan)
        c["noshow"].append(outcome == "skipped" and status_of.get(tid) == "skipped" and last_call.get(tid) == cid)
    e = {k: [] for k, _ in FIELDS["e"]}
    for win, at, score, call_id in evaluations:
        e["svc"].append(svc(call_service.get(call_id)) if call_id in call_service else svc(None))
        e["win"].append(win)
        e["hour"].append(local_hour(at))
        e["score"].append(score)
    r = {k: [] for k, _ in FIELDS["r"]}
    for at, kind, reason, service in refusals:
        if kind == "printer":
            code = REFUSAL["printer"]
        else:
            code = REFUSAL.get(reason, REFUSAL["printer"] if reason in PRINTER_REASONS else 0)
        r["svc"].append(svc(service))
        r["hour"].append(local_hour(at))
        r["reason"].append(code)
    arrays = {}
    for tab, cols in (("t", t), ("c", c), ("e", e), ("r", r)):
        arrays[tab] = {name: np.asarray(cols[name], dtype=dtype) for name, dtype in FIELDS[tab]}
    return DayColumns(list(codes), **arrays)


# -- reading one day's rows from the hall's SQLite database ------------------------------------
def from_hall(conn, day: str, services: list[str] = ()) -> DayColumns:
    """The columns of ``day`` from the hall's queue database (a closed day)."""
    cur = conn.cursor()
    cur.row_factory = None
    rated = {r[0] for r in cur.execute("SELECT name FROM sqlite_schema WHERE name IN ('ratings', 'followups')")}
    if rated == {"ratings", "followups"}:
        tickets = cur.execute(
            "SELECT t.id, t.origin_service, t.issued_at, t.status, t.cancel_reason, t.first_called_at, t.window, "
            "(SELECT r.level FROM ratings r WHERE r.ticket_id = t.id ORDER BY r.seq DESC LIMIT 1), "
            "f.state, f.rectified_at IS NOT NULL FROM tickets t LEFT JOIN followups f ON f.ticket_id = t.id "
            "WHERE t.day = ?", (day,)).fetchall()
    else:  # a hall without 好差评 tables
        tickets = cur.execute("SELECT id, origin_service, issued_at, status, cancel_reason, first_called_at, window, "
                              "NULL, NULL, 0 FROM tickets WHERE day = ?", (day,)).fetchall()
    calls = cur.execute(f"SELECT {', '.join(CALL_COLS)} FROM calls WHERE day = ? ORDER BY id", (day,)).fetchall()
    evals = cur.execute(f"SELECT {', '.join(EVAL_COLS)} FROM evaluations WHERE day = ?", (day,)).fetchall()
    refusals = cur.execute(
        "SELECT at, kind, json_extract(data, '$.reason'), coalesce(service, json_extract(data, '$.service')) "
        "FROM events WHERE day = ? AND kind IN ('refused', 'printer') "
        "AND (kind = 'refused' OR json_extract(data, '$.action') = 'refused')", (day,)).fetchall()
    return build(tickets, calls, evals, refusals, services)
