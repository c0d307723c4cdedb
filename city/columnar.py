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

from .daycolumns import CALL_COLS, DTYPES, EVAL_COLS, FORMAT, REFUSAL, REFUSAL_COLS, STATUS, build, split

TICKET_LEVEL = ("hall", "service", "day", "hour")


def _days(d0: str, d1: str) -> list[str]:
    a, b = date.fromisoformat(d0), date.fromisoformat(d1)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


BLOBS_SQL = ("SELECT hall_code, day::text, data FROM city.day_columns WHERE day BETWEEN %s AND %s "
             "AND hall_code = ANY(%s) AND format = %s")


def load(conn, d0: str, d1: str, halls: list[str], helper=None) -> list[tuple[str, str, bytes]]:
    """(hall, day, encoded columns) of every hall's days in the range that have any record.

    ``helper``: a second connection in the same snapshot (see :func:`helper_connection`):
    it reads half the halls' blobs meanwhile, so the server's two cores both work."""
    out, have = [], set()
    halves = [halls[: len(halls) // 2], halls[len(halls) // 2:]] if helper is not None else [[], halls]
    pool = None
    if helper is not None and halves[0]:
        from concurrent.futures import ThreadPoolExecutor
        pool = ThreadPoolExecutor(1, thread_name_prefix="city-report")
        other = pool.submit(lambda: helper.cursor(binary=True).execute(
            BLOBS_SQL, (d0, d1, halves[0], FORMAT)).fetchall())
    try:
        rows = conn.cursor(binary=True).execute(BLOBS_SQL, (d0, d1, halves[1], FORMAT)).fetchall()
        if pool is not None:
            rows += other.result()
    finally:
        if pool is not None:
            pool.shutdown()
    for hall, day, data in rows:  # bytea as bytes (binary): no hex text to decode
        out.append((hall, day, data))
        have.add((hall, day))
    missing = [(h, d) for h in halls for d in _days(d0, d1) if (h, d) not in have]
    if missing:
        out.extend(_from_rows(conn, missing))
    return out


def helper_connection(conn):
    """A second read-only connection that sees exactly what ``conn``'s transaction sees
    (an exported snapshot), or None when one cannot be opened."""
    import psycopg
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    try:
        helper = psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=False,
                                 application_name="jiaohao report (helper)")
        helper.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        helper.execute("SET TRANSACTION SNAPSHOT %s" % psycopg.sql.quote(snapshot))
        return helper
    except psycopg.Error:
        return None


def _from_rows(conn, pairs: list[tuple[str, str]]) -> list[tuple[str, str, bytes]]:
    """Columns built from the shipped rows of these (hall, day) pairs."""
    hs, ds = [p[0] for p in pairs], [p[1] for p in pairs]

    def q(table: str, cols: tuple[str, ...], order: str = "") -> dict:
        rows = defaultdict(list)
        # one primary-key range per (hall, day), in that day's partition: never a scan of the month
        sql = (f"SELECT p.h, p.d::text, {', '.join('x.' + _q(c) for c in cols)} "
               "FROM unnest(%s::text[], %s::date[]) AS p(h, d) CROSS JOIN LATERAL "
               f"(SELECT * FROM city.{table} y WHERE y.hall_code = p.h AND y.day = p.d) x{order}")
        for r in conn.execute(sql, (hs, ds)).fetchall():
            rows[(r[0], r[1])].append(r[2:])
        return rows

    tickets = defaultdict(list)
    for r in conn.execute(
            "SELECT p.h, p.d::text, x.id, x.origin_service, x.issued_at, x.status, x.cancel_reason, "
            'x.first_called_at, x."window", (SELECT r.level FROM city.ratings r WHERE r.hall_code = p.h '
            "AND r.ticket_day = p.d AND r.ticket_id = x.id ORDER BY r.seq DESC LIMIT 1), f.state, "
            "coalesce(f.rectified_at IS NOT NULL, false) "
            "FROM unnest(%s::text[], %s::date[]) AS p(h, d) CROSS JOIN LATERAL "
            "(SELECT * FROM city.tickets y WHERE y.hall_code = p.h AND y.day = p.d) x "
            "LEFT JOIN city.followups f ON f.hall_code = p.h AND f.ticket_id = x.id", (hs, ds)).fetchall():
        tickets[(r[0], r[1])].append(r[2:])
    calls = q("calls", CALL_COLS, " ORDER BY x.id")
    evals = q("evaluations", EVAL_COLS)
    refusals = q("refusals", REFUSAL_COLS)
    out = []
    for key in set(tickets) | set(calls) | set(evals) | set(refusals):
        out.append((*key, build(tickets.get(key, []), calls.get(key, []), evals.get(key, []),
                                refusals.get(key, [])).encode()))
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


def aggregate(days: list[tuple[str, str, bytes]], by: str, departments: dict[tuple[str, int], str],
              label) -> tuple[list[Figures], Figures, dict[int, int], list[Figures], dict[str, str]]:
    """(rows, total, arrivals by hour, waits by service, service codes by index) of the days."""
    svc_ix, dept_ix, hall_ix, day_ix = _Index(), _Index(), _Index(), _Index()
    # one pass over the blobs collects byte slices; everything after is whole-array work
    raw: dict[str, list] = {tab: [] for tab in DTYPES}
    counts: dict[str, list[int]] = {tab: [] for tab in DTYPES}
    maps: list[np.ndarray] = []
    map_at: list[int] = []
    blob_hall: list[int] = []
    blob_day: list[int] = []
    svc_maps: dict[tuple, np.ndarray] = {}
    at = 0
    for hall, day, blob in days:
        services, tables = split(blob)
        key_ = tuple(services)
        gsvc = svc_maps.get(key_)
        if gsvc is None:
            gsvc = svc_maps[key_] = np.array([svc_ix(code) for code in services] or [0], dtype=np.int32)
        maps.append(gsvc)
        map_at.append(at)
        at += len(gsvc)
        blob_hall.append(hall_ix(hall))
        blob_day.append(day_ix(day))
        for tab, mv in tables.items():
            raw[tab].append(mv)
            counts[tab].append(len(mv) // DTYPES[tab].itemsize)
    allmaps = np.concatenate(maps) if maps else np.zeros(1, dtype=np.int32)
    map_at_a, hall_a, day_a = (np.asarray(x, dtype=np.int64) for x in (map_at, blob_hall, blob_day))
    lut = _department_lut(hall_ix.names, departments, dept_ix) if by == "department" else None
    cat: dict[str, dict[str, np.ndarray]] = {}
    for tab, dt in DTYPES.items():
        n = int(sum(counts[tab]))
        if not n:
            cat[tab] = {}
            continue
        rec = np.frombuffer(b"".join(raw[tab]), dtype=dt)
        blob_of = np.repeat(np.arange(len(counts[tab])), counts[tab])
        cols = {name: rec[name] for name in dt.names}
        # only the keys this grouping reads (each is a pass over millions of rows)
        if by == "service" or tab == "t":  # tickets: also the chart of waiting per service
            cols["svc"] = allmaps[rec["svc"].astype(np.int64) + map_at_a[blob_of]]
        if by in ("hall", "department"):
            cols["hall"] = hall_a[blob_of]
        if by == "day":
            cols["day"] = day_a[blob_of]
        if lut is not None:
            for win_field, dept_field in (("win", "dept"), ("wwin", "wdept"), ("twin", "tdept")):
                if win_field in cols:
                    cols[dept_field] = _department_of(lut, cols["hall"], cols[win_field], dept_ix(NO_DEPARTMENT))
        cat[tab] = cols
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
    names_of = {"hall": hall_ix.names, "department": dept_ix.names}.get(by)
    ind_total, ind_rows = _indicators(t, by, names_of)
    return ordered, total, dict(sorted(arrivals.items())), wait_by_service, ind_total, ind_rows


def _indicators(t: dict, by: str, names: list | None) -> tuple[dict, list[dict] | None]:
    """好差评 indicators (hall/rating_indicators.py) over the finished tickets: the whole
    row, and one per hall or department (a window without one: "—") when grouped so."""
    from hall.rating_indicators import COUNTS

    from .indicators import _row
    if not t:
        return _row("", (0,) * len(COUNTS)), ([] if names is not None else None)
    fin = t["status"] == STATUS["finished"]
    level, fstate, frect = t["level"][fin], t["fstate"][fin], t["frect"][fin]
    flags = {"cases": np.ones(len(level), dtype=bool), "rated": level > 0, "unrated": level == 0,
             "good": (level >= 1) & (level <= 3), "bad": level >= 4, "followups": fstate > 0,
             "appeals_approved": fstate == 2, "rectified": frect, "called_back": fstate == 3}
    total = _row("", tuple(int(np.count_nonzero(flags[c])) for c in COUNTS))
    if names is None:
        return total, None
    keys = (t["hall"] if by == "hall" else t["tdept"])[fin].astype(np.int64)
    label = [str(n) for n in names]
    if by == "department":
        label = ["—" if n == NO_DEPARTMENT else n for n in label]
        keys = np.where(keys < 0, len(label), keys)  # a ticket without a window
        label.append("—")
    per = {c: np.bincount(keys[flags[c]], minlength=len(label)) for c in COUNTS}
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(label):
        if per["cases"][i]:
            g = groups.setdefault(name, [0] * len(COUNTS))
            for j, c in enumerate(COUNTS):
                g[j] += int(per[c][i])
    return total, [_row(name, tuple(groups[name])) for name in sorted(groups)]


def _department_lut(halls: list[str], departments: dict, dept_ix: _Index) -> np.ndarray:
    """[hall index, window number] -> department index (no department: NO_DEPARTMENT's)."""
    width = max((n for (_, n) in departments), default=0) + 1
    lut = np.full((max(len(halls), 1), width), dept_ix(NO_DEPARTMENT), dtype=np.int64)
    row = {h: i for i, h in enumerate(halls)}
    for (h, n), name in departments.items():
        if h in row:
            lut[row[h], n] = dept_ix(name or NO_DEPARTMENT)
    return lut


def _department_of(lut: np.ndarray, hall: np.ndarray, win: np.ndarray, none: int) -> np.ndarray:
    """The department index of each window (-1 stays -1: no window; unknown windows: none)."""
    win = win.astype(np.int64)
    inside = (win >= 0) & (win < lut.shape[1])
    out = np.where(win >= 0, none, -1).astype(np.int64)
    out[inside] = lut[hall[inside], win[inside]]
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
    if not len(keys):
        return
    if keys.min() < 0:
        keep = keys >= 0
        keys, values = keys[keep], values[keep]
        if not len(keys):
            return
    if keys.max() < 2 ** 15:
        keys = keys.astype(np.int16)  # numpy sorts 16-bit integers by radix: linear time
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    for a, b in zip(starts, ends):
        yield int(keys[a]), _stats(values[a:b])


def _sort_key(key: str):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)
