"""A hall's closed day in the layout the city report reads (format 4 of city.day_columns).

What the report counts is summed per day already: per service, per issue/call hour and
per window, one row of counts each (:data:`COUNTS`, :data:`WINDOW_COUNTS`). Only the
durations stay one value each, because an exact P90 needs them: the waits sorted by
service (a run length per service says which are whose) and the handling times
likewise. Each part is its own column, so a report fetches only what its grouping reads:

- ``base``: service codes, the 好差评 indicator counts, the services' runs of the
  durations, the counts per hour (the day's totals and arrivals) - every report;
- ``vals``: the durations, float64 seconds exactly as the rows give them - every report;
- ``by_service``: counts per service - ``--by service``;
- ``by_hour``: the issue hour of each wait, the call hour of each handling time - ``--by hour``;
- ``by_window``: counts per window (calls, evaluations, indicators), the window of
  each duration - ``--by department``.

Counts are uint16; a count above 65,535 is written as several rows of the same key
(the report adds rows up), so nothing is clipped. Built from a :class:`DayColumns`
(city/daycolumns.py): the shipper's, the one built from the rows, or an old format-3 blob.
"""
from __future__ import annotations

import struct

import numpy as np

from hall.rating_indicators import COUNTS as INDICATOR_COUNTS

from .daycolumns import STATUS, DayColumns

FORMAT = 4
PARTS = ("base", "vals", "by_service", "by_hour", "by_window")
#: the count columns of a service or hour row; of a window row
COUNTS = ("tickets", "expired", "cancelled", "open", "printfail", "refusals", "cap", "closed", "printer",
          "served", "transfers", "no_show", "s1", "s2", "s3", "s4", "s5")
WINDOW_COUNTS = ("served", "transfers", "no_show", "s1", "s2", "s3", "s4", "s5", *INDICATOR_COUNTS)
COL = {name: i for i, name in enumerate(COUNTS)}
WCOL = {name: i for i, name in enumerate(WINDOW_COUNTS)}
MAX_COUNT = 0xFFFF

ROW = np.dtype([("key", "<u2"), ("n", "<u2", (len(COUNTS),))])  # a service's or an hour's counts
WROW = np.dtype([("key", "<i2"), ("n", "<u2", (len(WINDOW_COUNTS),))])  # a window's (-1: none)
RUN = np.dtype([("key", "<u2"), ("n", "<u2")])  # the next n durations are this service's
VALUE, HOUR, WINDOW = np.dtype("<f8"), np.dtype("u1"), np.dtype("<i2")
IND = np.dtype(("<u4", (len(INDICATOR_COUNTS),)))
# format, services, bytes of their codes, wait runs, handle runs, hour rows, waits, handles, window rows
HEAD = struct.Struct("<HHIIIIIII")
SEP = "\x1f"


def encode(day: DayColumns) -> dict[str, bytes]:
    """The five parts of one day."""
    t, c, e, r = day.t, day.c, day.e, day.r
    nsvc = max(len(day.services), 1)
    has_w, has_h = ~np.isnan(t["wait"]), ~np.isnan(c["handle"])
    w_order = np.argsort(t["svc"][has_w], kind="stable")
    h_order = np.argsort(c["svc"][has_h], kind="stable")
    w_svc, h_svc = t["svc"][has_w][w_order], c["svc"][has_h][h_order]
    waits, handles = t["wait"][has_w][w_order], c["handle"][has_h][h_order]

    def counted(tkey, ckey, ekey, rkey, size: int) -> np.ndarray:
        m = np.zeros((size, len(COUNTS)), dtype=np.int64)

        def add(col: str, keys, mask=None) -> None:
            m[:, COL[col]] += np.bincount(keys if mask is None else keys[mask], minlength=size)[:size]
        st = t["status"]
        add("tickets", tkey)
        add("expired", tkey, st == STATUS["expired"])
        add("cancelled", tkey, st == STATUS["cancelled"])
        add("open", tkey, (st == STATUS["waiting"]) | (st == STATUS["called"]))
        add("printfail", tkey, t["printfail"])
        add("refusals", rkey)
        for col, code in (("cap", 1), ("closed", 2), ("printer", 3)):
            add(col, rkey, r["reason"] == code)
        out = c["outcome"]
        add("served", ckey, (out == 1) | (out == 4))
        add("transfers", ckey, out == 2)
        add("no_show", ckey, c["noshow"])
        for s in range(1, 6):
            add(f"s{s}", ekey, e["score"] == s)
        return m

    def i64(a):
        return a.astype(np.int64)
    per_svc = counted(i64(t["svc"]), i64(c["svc"]), i64(e["svc"]), i64(r["svc"]), nsvc)
    per_hour = counted(i64(t["hour"]), i64(c["hour"]), i64(e["hour"]), i64(r["hour"]), 24)
    wins, inv = np.unique(_window(np.concatenate([c["win"], e["win"], t["twin"]])), return_inverse=True)
    nc, ne = len(c["win"]), len(e["win"])
    cw, ew, tw = inv[:nc], inv[nc:nc + ne], inv[nc + ne:]
    per_win = np.zeros((len(wins), len(WINDOW_COUNTS)), dtype=np.int64)
    out = c["outcome"]
    for col, mask in (("served", (out == 1) | (out == 4)), ("transfers", out == 2), ("no_show", c["noshow"])):
        per_win[:, WCOL[col]] = np.bincount(cw[mask], minlength=len(wins))
    for s in range(1, 6):
        per_win[:, WCOL[f"s{s}"]] = np.bincount(ew[e["score"] == s], minlength=len(wins))
    flags = indicator_flags(t)
    fin = t["status"] == STATUS["finished"]
    for col in INDICATOR_COUNTS:
        per_win[:, WCOL[col]] = np.bincount(tw[fin][flags[col]], minlength=len(wins))
    ind_total = np.array([np.count_nonzero(flags[col]) for col in INDICATOR_COUNTS], dtype=IND.base)
    names = SEP.join(day.services).encode("utf-8")
    w_runs = _runs(w_svc, nsvc)
    h_runs = _runs(h_svc, nsvc)
    hour_rows = _rows(ROW, np.arange(24), per_hour)
    win_rows = _rows(WROW, wins, per_win)
    base = b"".join([HEAD.pack(FORMAT, len(day.services), len(names), len(w_runs), len(h_runs), len(hour_rows),
                               len(waits), len(handles), len(win_rows)),
                     names, ind_total.tobytes(), w_runs.tobytes(), h_runs.tobytes(), hour_rows.tobytes()])
    first_win = np.asarray(t["wwin"])[has_w][w_order]
    return {
        "base": base,
        "vals": waits.astype(VALUE).tobytes() + handles.astype(VALUE).tobytes(),
        "by_service": _rows(ROW, np.arange(nsvc), per_svc).tobytes(),
        "by_hour": t["hour"][has_w][w_order].astype(HOUR).tobytes() + c["hour"][has_h][h_order].astype(HOUR).tobytes(),
        "by_window": win_rows.tobytes() + _window(first_win).astype(WINDOW).tobytes()
        + _window(np.asarray(c["win"])[has_h][h_order]).astype(WINDOW).tobytes(),
    }


def _window(numbers: np.ndarray) -> np.ndarray:
    """Window numbers as stored: 1..9999 as they are, below 0 as -1 (no window); above
    32767 (no hall file has one) 32767, a window of no department, as unknown windows are."""
    n = np.asarray(numbers, dtype=np.int64)
    return np.where(n < 0, -1, np.minimum(n, 0x7FFF))


def indicator_flags(t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per finished ticket (a case), the 好差评 indicator each counts in
    (hall/rating_indicators.py): its final level (0: 未评价) and follow-up."""
    fin = t["status"] == STATUS["finished"]
    level, fstate, frect = t["level"][fin], t["fstate"][fin], t["frect"][fin]
    return {"cases": np.ones(len(level), dtype=bool), "rated": level > 0, "unrated": level == 0,
            "good": (level >= 1) & (level <= 3), "bad": level >= 4, "followups": fstate > 0,
            "appeals_approved": fstate == 2, "rectified": frect.astype(bool), "called_back": fstate == 3}


def _rows(dtype: np.dtype, keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Rows of the keys with any count; a count above MAX_COUNT continues in more rows."""
    counts = counts.copy()
    out = []
    while True:
        live = counts.any(axis=1)
        if not live.any():
            break
        part = np.minimum(counts[live], MAX_COUNT)
        rows = np.empty(int(live.sum()), dtype=dtype)
        rows["key"], rows["n"] = keys[live], part
        out.append(rows)
        counts[live] -= part
    return np.concatenate(out) if out else np.empty(0, dtype=dtype)


def _runs(sorted_keys: np.ndarray, nkeys: int) -> np.ndarray:
    """(service, count) runs of durations sorted by service; a run above MAX_COUNT is split."""
    keys, sizes = [], []
    for key, n in enumerate(np.bincount(sorted_keys.astype(np.int64), minlength=nkeys).tolist()):
        while n > 0:
            keys.append(key)
            sizes.append(min(n, MAX_COUNT))
            n -= sizes[-1]
    runs = np.empty(len(keys), dtype=RUN)
    runs["key"], runs["n"] = keys, sizes
    return runs


class Parsed:
    """One day's parts as byte slices (memoryviews), for the report to join per kind."""

    __slots__ = ("names", "ind", "w_runs", "h_runs", "hours", "waits", "handles", "n_waits", "n_handles",
                 "by_service", "w_hours", "h_hours", "win_rows", "w_wins", "h_wins")

    def __init__(self, base, vals, by_service=None, by_hour=None, by_window=None):
        b = memoryview(base)
        fmt, _nsvc, nl, nwr, nhr, nhour, nw, nh, nwin = HEAD.unpack_from(b, 0)
        if fmt != FORMAT:
            raise ValueError(f"day columns of format {fmt}, this part reads {FORMAT}")
        p = HEAD.size
        self.names = b[p:p + nl]
        p += nl
        self.ind = b[p:p + IND.itemsize]
        p += IND.itemsize
        self.w_runs = b[p:p + nwr * RUN.itemsize]
        p += nwr * RUN.itemsize
        self.h_runs = b[p:p + nhr * RUN.itemsize]
        p += nhr * RUN.itemsize
        self.hours = b[p:p + nhour * ROW.itemsize]
        self.n_waits, self.n_handles = nw, nh
        v = memoryview(vals)
        self.waits, self.handles = v[:nw * VALUE.itemsize], v[nw * VALUE.itemsize:(nw + nh) * VALUE.itemsize]
        self.by_service = by_service
        if by_hour is not None:
            self.w_hours, self.h_hours = memoryview(by_hour)[:nw], memoryview(by_hour)[nw:nw + nh]
        if by_window is not None:
            w = memoryview(by_window)
            end = nwin * WROW.itemsize
            self.win_rows = w[:end]
            self.w_wins = w[end:end + nw * WINDOW.itemsize]
            self.h_wins = w[end + nw * WINDOW.itemsize:end + (nw + nh) * WINDOW.itemsize]


def services_of(names) -> list[str]:
    text = bytes(names).decode("utf-8")
    return text.split(SEP) if text else []


def rewrite_old_days(conn, batch: int = 200) -> int:
    """Rewrite the days an older version stored as one format-3 blob in this format
    (`jiaohao city migrate` runs it after the migrations; again later for the days a
    not yet upgraded hall ships meanwhile). The number of days rewritten."""
    from .daycolumns import DayColumns
    sets = ", ".join(f"{p} = %s" for p in PARTS)
    done = 0
    while True:
        with conn.transaction():
            rows = conn.cursor(binary=True).execute(
                "SELECT hall_code, day, data FROM city.day_columns WHERE format = 3 "
                "ORDER BY hall_code, day LIMIT %s FOR UPDATE SKIP LOCKED", (batch,)).fetchall()
            if not rows:
                return done
            params = []
            for hall, day, data in rows:
                parts = encode(DayColumns.decode(data))
                params.append((FORMAT, *(parts[p] for p in PARTS), hall, day))
            conn.cursor().executemany(f"UPDATE city.day_columns SET format = %s, data = NULL, {sets} "
                                      "WHERE hall_code = %s AND day = %s", params)
        done += len(rows)
