"""`diag check` on a kiosk PC: offline tickets it printed and has not sent yet
(kiosk/offline.py).

A kiosk's clock is checked once, by jiaohao/diag/clients.py, from the offset its heartbeat
reports: the fastest of its last round trips, heartbeats and lease polls alike
(hall/clock_offset.py). The lease routes' own record of it (``GET /leases``) orders
offline tickets; it is not flagged a second time here."""
from __future__ import annotations

import sqlite3

from . import CheckResult

UNSENT_FIX = ("取号机连上大厅服务器后会自动补发；检查它的网线 "
              "(they are sent by themselves when the kiosk reaches the hall server; check its network cable)")


def _unsent() -> list[CheckResult]:
    out = []
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
                               "没有待补发的离线票 (none waiting to be sent)" if n == 0
                               else f"{n} 张离线打印的票还没补发 ({n} printed offline, not yet sent)",
                               "" if n == 0 else UNSENT_FIX))
    return out


def check(ctx) -> list[CheckResult]:
    return _unsent() if getattr(ctx, "server", None) else []
