"""`diag check`: kiosks' clocks and offline tickets (hall/leases.py, kiosk/offline.py).

On the controller: each kiosk whose clock the server measured off by more than ``[server]
max_clock_skew_s``. On a kiosk PC: offline tickets it printed and has not sent yet, and
the same clock check as the server sees it."""
from __future__ import annotations

import sqlite3

from . import CheckResult

CLOCK_FIX = ("set that PC's clock right and keep it so: `timedatectl set-ntp true` with the hall's time server, "
             "or the controller as its NTP server (docs/network.md, Offline issue)")
UNSENT_FIX = "they are sent by themselves when the kiosk reaches the hall server; check its network cable"


def _clock_results(kiosks: list[dict]) -> list[CheckResult]:
    out = []
    for k in kiosks:
        off = k.get("clock_offset_s")
        if off is None:
            continue
        if k.get("skew_flagged"):
            ahead = "ahead of" if off < 0 else "behind"
            out.append(CheckResult(f"clock of {k['name']}", False,
                                   f"{abs(off):.0f} s {ahead} the hall server (bound {k.get('max_clock_skew_s', 120):.0f} s); "
                                   "its offline tickets are still ordered by the server's time", CLOCK_FIX))
    return out


def _local(ctx) -> list[CheckResult]:
    path = ctx.db_path
    if not path.exists():
        return []
    from hall.clock import business_day
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'device_clocks'").fetchone():
            return []
        from hall.leases import LeaseBook

        class _Q:  # LeaseBook reads only the config
            config = ctx.config
        return _clock_results(LeaseBook(_Q()).kiosks(conn, business_day(ctx.clock()())))
    finally:
        conn.close()


def _remote(ctx) -> list[CheckResult]:
    import httpx
    out = []
    try:
        r = httpx.get(f"{ctx.server}/api/v1/leases", timeout=ctx.timeout_s,
                      headers={"Authorization": f"Bearer {ctx.token}"} if ctx.token else {})
        if r.status_code == 200:
            out += _clock_results(r.json().get("kiosks", []))
    except httpx.HTTPError:
        pass  # the server check already says it does not answer
    from kiosk.offline_journal import default_journal_path
    path = default_journal_path()
    if path.exists():
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            n = conn.execute("SELECT count(*) FROM tickets WHERE sent = 0").fetchone()[0]
        except sqlite3.Error:
            n = 0
        finally:
            conn.close()
        out.append(CheckResult(f"offline tickets ({path})", n == 0,
                               "none waiting to be sent" if n == 0 else f"{n} printed offline, not yet sent",
                               "" if n == 0 else UNSENT_FIX))
    return out


def check(ctx) -> list[CheckResult]:
    return _remote(ctx) if getattr(ctx, "server", None) else _local(ctx)
