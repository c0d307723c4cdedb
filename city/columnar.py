"""The city report from day columns (city/daycolumns.py): every hall's days in the range
loaded as arrays and aggregated with numpy, with the definitions of hall/reports.py.

A month of 150 halls is 4,500 blobs read in one query; counting is ``bincount`` and
each group's durations are sorted once for the nearest-rank P90. Days without stored
columns (today; days shipped by an older version) are built from the shipped rows.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np

from hall.report_model import NO_DEPARTMENT, SCORE_LABELS, Figures, Stats

from .daycolumns import CALL_COLS, EVAL_COLS, REFUSAL, REFUSAL_COLS, STATUS, TICKET_COLS, DayColumns, build

TICKET_LEVEL = ("hall", "service", "day", "hour")


def _days(d0: str, d1: str) -> list[str]:
    a, b = date.fromisoformat(d0), date.fromisoformat(d1)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def load(conn, d0: str, d1: str, halls: list[str]) -> list[tuple[str, str, DayColumns]]:
    """(hall, day, columns) of every hall's days in the range that have any record."""
    out, have = [], set()
    cur = conn.cursor(binary=True)  # bytea as bytes: no hex text to decode
    for hall, day, data in cur.execute(
            "SELECT hall_code, day::text, data FROM city.day_columns WHERE day BETWEEN %s AND %s "
            "AND hall_code = ANY(%s)", (d0, d1, halls)).fetchall():
        out.append((hall, day, DayColumns.decode(data)))
        have.add((hall, day))
    missing = [(h, d) for h in halls for d in _days(d0, d1) if (h, d) not in have]
    if missing:
        out.extend(_from_rows(conn, missing))
    return out


def _from_rows(conn, pairs: list[tuple[str, str]]) -> list[tuple[str, str, DayColumns]]:
    """Columns built from the shipped rows of these (hall, day) pairs."""
    hs, ds = [p[0] for p in pairs], [p[1] for p in pairs]
    join = "JOIN unnest(%s::text[], %s::date[]) AS p(h, d) ON x.hall_code = p.h AND x.day = p.d"

    def q(table: str, cols: tuple[str, ...], order: str = "") -> dict:
        rows = defaultdict(list)
        sql = (f"SELECT x.hall_code, x.day::text, {', '.join('x.' + _q(c) for c in cols)} "
               f"FROM city.{table} x {join}{order}")
        for r in conn.execute(sql, (hs, ds)).fetchall():
            rows[(r[0], r[1])].append(r[2:])
        return rows

    tickets = q("tickets", TICKET_COLS)
    calls = q("calls", CALL_COLS, " ORDER BY x.id")
    evals = q("evaluations", EVAL_COLS)
    refusals = q("refusals", REFUSAL_COLS)
    out = []
    for key in set(tickets) | set(calls) | set(evals) | set(refusals):
        out.append((*key, build(tickets.get(key, []), calls.get(key, []), evals.get(key, []), refusals.get(key, []))))
    return out


def _q(c: str) -> str:
    return f'"{c}"'


class _Index:
    """Names to small integers, in order of first sight."""

    def __init__(self):
        self.ids: dict = {}
        self.names: list = []

    def __call__(self, name) -> int:
        i = self.ids.get(name)
        if i is None:
            i = self.ids[name] = len(self.names)
            self.names.append(name)
        return i


def aggregate(days: list[tuple[str, str, DayColumns]], by: str, departments: dict[tuple[str, int], str],
              label) -> tuple[list[Figures], Figures, dict[int, int], list[Figures], dict[str, str]]:
    """(rows, total, arrivals by hour, waits by service, service codes by index) of the days."""
    svc_ix, dept_ix, hall_ix, day_ix = _Index(), _Index(), _Index(), _Index()
    tabs: dict[str, dict[str, list]] = {t: defaultdict(list) for t in "tcer"}
    svc_maps: dict[tuple, np.ndarray] = {}
    luts: dict[str, np.ndarray] = {}
    for hall, day, cols in days:
        names_ = tuple(cols.services)
        gsvc = svc_maps.get(names_)
        if gsvc is None:
            gsvc = svc_maps[names_] = np.array([svc_ix(code) for code in names_] or [0], dtype=np.int32)
        h, d = hall_ix(hall), day_ix(day)
        for tab in "tcer":
            part = getattr(cols, tab)
            n = len(part["svc"])
            if not n:
                continue
            acc = tabs[tab]
            for name, arr in part.items():
                acc[name].append(gsvc[arr] if name == "svc" else arr)
            acc["hall"].append(np.full(n, h, dtype=np.int32))
            acc["day"].append(np.full(n, d, dtype=np.int32))
            for win_field, dept_field in (("win", "dept"), ("wwin", "wdept")):
                if by == "department" and win_field in part:
                    acc[dept_field].append(_dept_map(hall, part[win_field], departments, dept_ix, luts))
    cat = {tab: {k: np.concatenate(v) for k, v in acc.items()} for tab, acc in tabs.items()}
    names = {"hall": hall_ix.names, "service": svc_ix.names, "department": dept_ix.names, "day": day_ix.names,
             "hour": list(range(24))}[by]
    ticket_level = by in TICKET_LEVEL

    def key(tab: str, for_wait: bool = False):
        t = cat[tab]
        if not t:
            return None
        if by == "department":
            return t["wdept"] if for_wait else t.get("dept")
        return t[{"hall": "hall", "service": "svc", "day": "day", "hour": "hour"}[by]].astype(np.int64)

    size = max(len(names), 1)
    rows: dict[int, Figures] = {}

    def fig(i: int) -> Figures:
        f = rows.get(i)
        if f is None:
            k = str(names[i])
            f = rows[i] = Figures(k, label(k))
            if not ticket_level:
                f.issued = f.expired = f.cancelled = f.open = None
                f.refused_cap = f.refused_hours = f.refused_printer = None
        return f

    total = Figures("all", "合计")

    def count(keys, mask, attr: str, level_only: bool = False) -> None:
        setattr(total, attr, (getattr(total, attr) or 0) + int(np.count_nonzero(mask)))
        if keys is None or (level_only and not ticket_level):
            return
        for i, n in enumerate(np.bincount(keys[mask & (keys >= 0)], minlength=size)):
            if n:
                f = fig(i)
                setattr(f, attr, (getattr(f, attr) or 0) + int(n))

    t, c, e, r = cat["t"], cat["c"], cat["e"], cat["r"]
    arrivals: dict[int, int] = {}
    if t:
        tk = key("t")
        st = t["status"]
        cancelled = st == STATUS["cancelled"]
        if ticket_level:
            for i in np.unique(tk):  # every ticket makes its row, whatever its status
                fig(int(i))
        count(tk, ~cancelled, "issued", True)
        count(tk, st == STATUS["expired"], "expired", True)
        count(tk, cancelled, "cancelled", True)
        count(tk, (st == STATUS["waiting"]) | (st == STATUS["called"]), "open", True)
        count(tk, t["printfail"], "refused_printer", True)
        hours = np.bincount(t["hour"][~cancelled].astype(np.int64), minlength=24)
        arrivals = {h: int(n) for h, n in enumerate(hours) if n}
    if c:
        ck = key("c")
        out = c["outcome"]
        count(ck, (out == 1) | (out == 4), "served")
        count(ck, out == 2, "transfers")
        count(ck, c["noshow"], "no_show")
    if e:
        ek = key("e")
        for s in SCORE_LABELS:
            sel = ek[(e["score"] == s) & (ek >= 0)]
            total.ratings[s] += int(len(sel))
            for i, n in enumerate(np.bincount(sel, minlength=size)):
                if n:
                    fig(i).ratings[s] += int(n)
    if r:
        rk = key("r")
        if ticket_level:
            for i in np.unique(rk):  # a refusal makes its row, whatever its reason
                fig(int(i))
        count(rk, r["reason"] == REFUSAL["cap"], "refused_cap", True)
        count(rk, r["reason"] == REFUSAL["closed"], "refused_hours", True)
        count(rk, r["reason"] == REFUSAL["printer"], "refused_printer", True)
    # durations: waiting (first call − issue) and handling, pooled per group
    if t:
        has = ~np.isnan(t["wait"])
        wk = key("t", for_wait=True)
        total.wait = _stats(t["wait"][has])
        for i, st_ in _grouped(wk[has], t["wait"][has]):
            fig(i).wait = st_
    if c:
        has = ~np.isnan(c["handle"])
        total.handle = _stats(c["handle"][has])
        for i, st_ in _grouped(key("c")[has], c["handle"][has]):
            fig(i).handle = st_
    ordered = [rows[i] for i in sorted(rows, key=lambda i: _sort_key(rows[i].key))]
    if by == "service":
        wait_by_service = [f for f in ordered if f.wait.n]
    else:
        wait_by_service = []
        if t:
            has = ~np.isnan(t["wait"])
            for i, st_ in _grouped(t["svc"][has].astype(np.int64), t["wait"][has]):
                code = svc_ix.names[i]
                f = Figures(code, label.service(code))
                f.wait = st_
                wait_by_service.append(f)
            wait_by_service.sort(key=lambda f: f.key)
    return ordered, total, dict(sorted(arrivals.items())), wait_by_service


def _dept_map(hall: str, wins: np.ndarray, departments: dict, dept_ix: _Index, luts: dict) -> np.ndarray:
    """The department index of each window number (-1 stays -1: no window)."""
    lut = luts.get(hall)
    if lut is None:
        numbers = [n for (h, n) in departments if h == hall]
        lut = np.full(max(numbers, default=0) + 1, dept_ix(NO_DEPARTMENT), dtype=np.int32)
        for n in numbers:
            lut[n] = dept_ix(departments[(hall, n)] or NO_DEPARTMENT)
        luts[hall] = lut
    wins = wins.astype(np.int64)
    inside = (wins >= 0) & (wins < len(lut))
    out = np.where(wins >= 0, dept_ix(NO_DEPARTMENT), -1).astype(np.int32)
    out[inside] = lut[wins[inside]]
    return out


def _stats(values: np.ndarray) -> Stats:
    """n, mean, nearest-rank P90 and max, without sorting: the P90 by selection."""
    n = len(values)
    if not n:
        return Stats()
    k = _p90_index(n)
    return Stats(n, float(values.sum() / n), float(np.partition(values, k)[k]), float(values.max()))


def _p90_index(n: int) -> int:
    return max(0, math.ceil(0.9 * n) - 1)  # as hall.report_model.Stats: the ⌈0.9·n⌉-th


def _grouped(keys: np.ndarray, values: np.ndarray):
    """(group, Stats) for every group with values; keys below 0 are nobody's."""
    keep = keys >= 0
    keys, values = keys[keep], values[keep]
    if not len(keys):
        return
    order = np.argsort(keys, kind="stable")  # a radix sort of small integers
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    for a, b in zip(starts, ends):
        yield int(keys[a]), _stats(values[a:b])


def _sort_key(key: str):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)
