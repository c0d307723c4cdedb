"""Count, mean, exact nearest-rank P90 and max of durations in many groups at once.

The P90 of a group is its ⌈0.9·n⌉-th smallest value (hall/report_model.py ``Stats``),
found without sorting or partitioning every value: each value falls in a bucket of about
1 % of its size (the top bits of the float, which order like the values), one
``bincount`` counts the values per group and bucket, the counts say which bucket holds
each group's P90 (and its max), and only the values in those buckets - a few per cent
- are sorted. Exact: the bucket only narrows the search.
"""
from __future__ import annotations

import numpy as np

from hall.report_model import Stats

_SHIFT = 46  # a float's sign, exponent and 6 mantissa bits: 64 buckets per doubling
_LOW = (np.array([0.5]).view(np.int64)[0] >> _SHIFT) - 1  # below half a second: bucket 0
BUCKETS = 64 * 21 + 2  # up to 2**20 s; beyond it: the last bucket


def buckets(values: np.ndarray) -> np.ndarray:
    """Each value's bucket, 0..BUCKETS-1, in the order of the values (any float64)."""
    x = values.view(np.int64)
    if len(x) and x.min() < 0:  # negative floats (or -0.0): reversed bits, so ints order like floats
        x = x ^ ((x >> 63) & 0x7FFF_FFFF_FFFF_FFFF)
    b = (x >> _SHIFT) - _LOW
    np.clip(b, 0, BUCKETS - 1, out=b)
    return b.astype(np.int32)


def grouped_stats(keys: np.ndarray | None, values: np.ndarray, size: int,
                  value_buckets: np.ndarray | None = None) -> dict[int, Stats]:
    """{group: Stats} of every group 0..size-1 with values (``keys`` None: one group, 0;
    keys below 0 belong to no group). ``value_buckets``: :func:`buckets` of ``values``,
    when the caller has them."""
    b = buckets(values) if value_buckets is None else value_buckets
    if keys is None:
        keys, size = np.zeros(len(values), dtype=np.int32), 1
    elif len(keys) and keys.min() < 0:
        keep = keys >= 0
        keys, values, b = keys[keep], values[keep], b[keep]
    if not len(values):
        return {}
    wide = np.int64 if size * BUCKETS >= 2 ** 31 else np.int32
    keys = keys.astype(wide, copy=False)
    cell = keys * BUCKETS + b
    counts = np.bincount(cell, minlength=size * BUCKETS).reshape(size, BUCKETS)
    n = counts.sum(axis=1)
    sums = np.bincount(keys, weights=values, minlength=size)
    k = np.maximum(0, np.ceil(0.9 * n) - 1).astype(np.int64)  # as Stats.of: the ⌈0.9·n⌉-th
    cum = np.cumsum(counts, axis=1)
    p90_bucket = (cum <= k[:, None]).sum(axis=1)
    rank = k - np.where(p90_bucket > 0, cum[np.arange(size), np.maximum(p90_bucket - 1, 0)], 0)
    top_bucket = BUCKETS - 1 - np.argmax(counts[:, ::-1] > 0, axis=1)
    wanted = np.zeros(size * BUCKETS, dtype=bool)  # the cells holding a group's P90 or its max
    base = np.arange(size, dtype=np.int64) * BUCKETS
    wanted[(base + p90_bucket)[n > 0]] = True
    wanted[(base + top_bucket)[n > 0]] = True
    want = wanted[cell]
    cv, ck = values[want], keys[want]
    order = np.lexsort((cv, ck))  # a group's candidates by value: its P90 bucket's, then its top bucket's
    cv, ck = cv[order], ck[order]
    per = np.bincount(ck, minlength=size)
    ends = np.cumsum(per)
    out = {}
    for g in np.flatnonzero(n).tolist():
        start = ends[g] - per[g]
        out[g] = Stats(int(n[g]), float(sums[g] / n[g]), float(cv[start + rank[g]]), float(cv[ends[g] - 1]))
    return out
