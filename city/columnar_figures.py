"""The city report's figures from the days' stored parts (city/dayparts.py), with the
definitions of hall/reports.py: counts are the parts' per-day sums added up per group
(``bincount``); durations are pooled per group and summarised with an exact nearest-rank
P90 by selection (``partition``), never an average of the days' figures.

Durations of one hall (or one day) lie together once the days are ordered so and are
selected in place; other groupings (service, hour, department) and the chart of waits by
service go through city/grouped_stats.py (every group at once, by buckets).
"""
from __future__ import annotations

import math

import numpy as np

from hall.rating_indicators import COUNTS as INDICATOR_COUNTS
from hall.report_model import NO_DEPARTMENT, SCORE_LABELS, Figures, Stats

from .dayparts import COL, COUNTS, HOUR, IND, ROW, RUN, VALUE, WCOL, WINDOW, WROW, Parsed, services_of
from .grouped_stats import buckets, grouped_stats

TICKET_LEVEL = ("hall", "service", "day", "hour")


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


def aggregate(days: list[tuple[str, str, Parsed]], by: str, departments: dict[tuple[str, int], str],
              label) -> tuple[list[Figures], Figures, dict[int, int], list[Figures], dict, list[dict] | None]:
    """(rows, total, arrivals by hour, waits by service, indicators, indicator rows) of the days."""
    # durations of one hall (one day) contiguous when grouped so: no sort of the values
    days = sorted(days, key=(lambda d: (d[1], d[0])) if by == "day" else (lambda d: (d[0], d[1])))
    svc_ix, dept_ix, hall_ix, day_ix = _Index(), _Index(), _Index(), _Index()
    parts = [p for _, _, p in days]
    blob_hall = np.array([hall_ix(h) for h, _, _ in days], dtype=np.int64)
    blob_day = np.array([day_ix(d) for _, d, _ in days], dtype=np.int64)
    maps, cache = [], {}
    for p in parts:  # each day's service indices -> the report's
        key_ = bytes(p.names)
        g = cache.get(key_)
        if g is None:
            g = cache[key_] = np.array([svc_ix(code) for code in services_of(key_)] or [0], dtype=np.int64)
        maps.append(g)
    allmaps = np.concatenate(maps) if maps else np.zeros(1, dtype=np.int64)
    svc_at = np.cumsum([0] + [len(m) for m in maps[:-1]]).astype(np.int64) if maps else np.zeros(0, np.int64)
    n_w = np.array([p.n_waits for p in parts], dtype=np.int64)
    n_h = np.array([p.n_handles for p in parts], dtype=np.int64)
    waits, handles = _join(parts, "waits", VALUE), _join(parts, "handles", VALUE)
    hour_rows, hour_blob = _join_rows(parts, "hours", ROW)
    w_svc = _svc_of_values(parts, "w_runs", allmaps, svc_at)
    names = {"hall": hall_ix.names, "service": svc_ix.names, "department": dept_ix.names, "day": day_ix.names,
             "hour": list(range(24))}[by]
    ticket_level = by in TICKET_LEVEL
    lut = _department_lut(hall_ix.names, departments, dept_ix) if by == "department" else None

    # counts per group: one row of COUNTS (or WINDOW_COUNTS) summed per key
    if by in ("hall", "day"):
        blob_key = blob_hall if by == "hall" else blob_day
        counts = _sum_rows(blob_key[hour_blob], hour_rows["n"], len(names))
    elif by == "hour":
        counts = _sum_rows(hour_rows["key"].astype(np.int64), hour_rows["n"], 24)
    elif by == "service":
        rows_, blob = _join_rows(parts, "by_service", ROW)
        counts = _sum_rows(allmaps[rows_["key"].astype(np.int64) + svc_at[blob]], rows_["n"], len(names))
    else:  # department: of the window (calls, evaluations, the cases' indicators)
        win_rows, win_blob = _join_rows(parts, "win_rows", WROW)
        win_dept = _department_of(lut, blob_hall[win_blob], win_rows["key"])
        keep = win_dept >= 0
        counts = _sum_rows(win_dept[keep], win_rows["n"][keep], len(names))
    total_n = hour_rows["n"].sum(axis=0, dtype=np.int64) if len(hour_rows) else np.zeros(len(COUNTS), np.int64)

    rows: dict[int, Figures] = {}

    def fig(i: int) -> Figures:
        f = rows.get(i)
        if f is None:
            f = rows[i] = group_row(str(names[i]), label, ticket_level)
        return f

    total = Figures("all", "合计")
    _fill(total, total_n, COL, True)
    col = WCOL if by == "department" else COL
    made = counts[:, [col[c] for c in ("served", "transfers", "no_show", "s1", "s2", "s3", "s4", "s5")]].any(axis=1)
    if ticket_level:  # a ticket or a refusal makes its row, whatever its status or reason
        made |= (counts[:, COL["tickets"]] > 0) | (counts[:, COL["refusals"]] > 0)
    for i in np.flatnonzero(made).tolist():
        _fill(fig(i), counts[i], col, ticket_level)
    arrivals_by_hour = _sum_rows(hour_rows["key"].astype(np.int64), hour_rows["n"], 24)
    arrivals = {h: int(n) for h in range(24)
                if (n := arrivals_by_hour[h, COL["tickets"]] - arrivals_by_hour[h, COL["cancelled"]])}

    # durations: waiting (first call - issue) and handling, pooled per group. The groups
    # that gather their own copy go first; then the hall's or day's (contiguous) and the
    # totals select in place, in the joined arrays (ours: made writable by the join)
    wait_by_service = []
    w_buckets = buckets(waits)
    if by != "service":
        for i, st_ in grouped_stats(w_svc, waits, len(svc_ix.names), w_buckets).items():
            code = svc_ix.names[i]
            f = Figures(code, label.service(code))
            f.wait = st_
            wait_by_service.append(f)
        wait_by_service.sort(key=lambda f: f.key)
    if by in ("hall", "day"):  # a group's values lie together: selected in place
        for i, st_ in _segments(blob_key, n_w, waits, len(names)):
            fig(i).wait = st_
        for i, st_ in _segments(blob_key, n_h, handles, len(names)):
            fig(i).handle = st_
    else:
        if by == "service":
            wk, hk = w_svc, _svc_of_values(parts, "h_runs", allmaps, svc_at)
        elif by == "hour":
            wk, hk = (_join(parts, a, HOUR).astype(np.int16) for a in ("w_hours", "h_hours"))
        else:
            hall32 = blob_hall.astype(np.int32)
            wk = _department_of(lut, np.repeat(hall32, n_w), _join(parts, "w_wins", WINDOW))
            hk = _department_of(lut, np.repeat(hall32, n_h), _join(parts, "h_wins", WINDOW))
        for i, st_ in grouped_stats(wk, waits, len(names), w_buckets).items():
            fig(i).wait = st_
        for i, st_ in grouped_stats(hk, handles, len(names)).items():
            fig(i).handle = st_
    total.wait, total.handle = _stats(waits, inplace=True), _stats(handles, inplace=True)
    ordered = [rows[i] for i in sorted(rows, key=lambda i: _sort_key(rows[i].key))]
    if by == "service":
        wait_by_service = [f for f in ordered if f.wait.n]
    ind = _join(parts, "ind", IND).astype(np.int64).reshape(-1, len(INDICATOR_COUNTS))
    ind_total = _indicator_row("", ind.sum(axis=0))
    if by == "hall":
        per = _sum_rows(blob_hall, ind, len(hall_ix.names))
        ind_rows = [_indicator_row(str(hall_ix.names[i]), per[i]) for i in range(len(hall_ix.names))]
    elif by == "department":  # a case without a window, or a window without a department: "—"
        per = _sum_rows(win_dept + 1, win_rows["n"][:, [WCOL[c] for c in INDICATOR_COUNTS]], len(names) + 1)
        groups: dict[str, np.ndarray] = {}
        for i in np.flatnonzero(per.any(axis=1)).tolist():
            name = "—" if i == 0 or names[i - 1] == NO_DEPARTMENT else names[i - 1]
            groups[name] = groups.get(name, 0) + per[i]
        ind_rows = [_indicator_row(name, groups[name]) for name in sorted(groups)]
    else:
        ind_rows = None
    if ind_rows is not None:
        ind_rows = sorted((r for r in ind_rows if r["cases"]), key=lambda r: r["group"])
    return ordered, total, dict(sorted(arrivals.items())), wait_by_service, ind_total, ind_rows


def group_row(key: str, label, ticket_level: bool) -> Figures:
    """An empty row of the report; a grouping that issues no tickets (department) has
    no ticket figures (None, shown as —)."""
    f = Figures(key, label(key))
    if not ticket_level:
        f.issued = f.expired = f.cancelled = f.open = None
        f.refused_cap = f.refused_hours = f.refused_printer = None
    return f


def _fill(f: Figures, n: np.ndarray, col: dict[str, int], ticket_level: bool) -> None:
    """Set the figures of one row from its summed counts."""
    f.served, f.transfers, f.no_show = (int(n[col[c]]) for c in ("served", "transfers", "no_show"))
    for s in SCORE_LABELS:
        f.ratings[s] = int(n[col[f"s{s}"]])
    if ticket_level:
        f.issued = int(n[COL["tickets"]] - n[COL["cancelled"]])
        f.expired, f.cancelled, f.open = (int(n[COL[c]]) for c in ("expired", "cancelled", "open"))
        f.refused_cap, f.refused_hours = int(n[COL["cap"]]), int(n[COL["closed"]])
        f.refused_printer = int(n[COL["printfail"]] + n[COL["printer"]])


def _indicator_row(group: str, counts) -> dict:
    from .indicators import _row
    return _row(group, tuple(int(x) for x in counts))


def _join(parts: list[Parsed], attr: str, dtype: np.dtype) -> np.ndarray:
    """One array of every day's ``attr`` slice, in the days' order (writable: ours)."""
    return np.frombuffer(bytearray().join([getattr(p, attr) for p in parts]), dtype=dtype)


def _join_rows(parts: list[Parsed], attr: str, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Every day's rows of ``attr`` and the index of the day each row is from."""
    slices = [getattr(p, attr) for p in parts]
    blob = np.repeat(np.arange(len(slices)), [len(s) // dtype.itemsize for s in slices])
    return np.frombuffer(b"".join(slices), dtype=dtype), blob


def _sum_rows(keys: np.ndarray, n: np.ndarray, size: int) -> np.ndarray:
    """[key, column] sums of count rows (keys repeat: a day's rows, and a count split in two)."""
    out = np.zeros((max(size, 1), n.shape[1]), dtype=np.int64)
    if len(keys):
        for j in range(n.shape[1]):  # float64 sums of integers: exact below 2**53
            out[:, j] = np.bincount(keys, weights=n[:, j], minlength=out.shape[0])
    return out


def _svc_of_values(parts: list[Parsed], attr: str, allmaps: np.ndarray, svc_at: np.ndarray) -> np.ndarray:
    """The report's service index of every duration, from the days' (service, count) runs."""
    runs, blob = _join_rows(parts, attr, RUN)
    return np.repeat(allmaps[runs["key"].astype(np.int64) + svc_at[blob]], runs["n"]).astype(np.int16
                                                                                          if len(allmaps) < 2 ** 15
                                                                                          else np.int64)


def _segments(blob_key: np.ndarray, n_per_blob: np.ndarray, values: np.ndarray, size: int):
    """(group, Stats) of values laid out blob after blob with the blobs sorted by group."""
    per = np.bincount(blob_key, weights=n_per_blob, minlength=size).astype(np.int64)
    ends = np.cumsum(per)
    for i in np.flatnonzero(per).tolist():
        yield i, _stats(values[ends[i] - per[i]:ends[i]])


def _department_lut(halls: list[str], departments: dict, dept_ix: _Index) -> np.ndarray:
    """[hall index, window number + 1] -> department index: column 0 is "no window" (-1),
    the last column any window the hall file does not list (NO_DEPARTMENT's), as is a
    window without a department."""
    none = dept_ix(NO_DEPARTMENT)
    width = max((n for (_, n) in departments), default=0) + 1
    lut = np.full((max(len(halls), 1), width + 2), none, dtype=np.int32)
    lut[:, 0] = -1
    row = {h: i for i, h in enumerate(halls)}
    for (h, n), name in departments.items():
        if h in row and n >= 0:
            lut[row[h], n + 1] = dept_ix(name or NO_DEPARTMENT)
    return lut


def _department_of(lut: np.ndarray, hall: np.ndarray, win: np.ndarray) -> np.ndarray:
    """The department index of each window of each hall (-1: no window)."""
    col = win.astype(np.int32)
    col += 1
    np.clip(col, 0, lut.shape[1] - 1, out=col)
    hall = hall.astype(np.int32, copy=False) * np.int32(lut.shape[1])
    col += hall
    return lut.ravel()[col]


def _stats(values: np.ndarray, inplace: bool = False) -> Stats:
    """n, mean, nearest-rank P90 and max, without sorting: the P90 by selection
    (``inplace``: reorders ``values``, which then must be the caller's own copy)."""
    n = len(values)
    if not n:
        return Stats()
    k = _p90_index(n)
    mean, top = float(values.sum() / n), float(values.max())
    if inplace:
        values.partition(k)
        return Stats(n, mean, float(values[k]), top)
    return Stats(n, mean, float(np.partition(values, k)[k]), top)


def _p90_index(n: int) -> int:
    return max(0, math.ceil(0.9 * n) - 1)  # as hall.report_model.Stats: the ⌈0.9·n⌉-th


def _sort_key(key: str):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)
