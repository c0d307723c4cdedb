"""`diag check`: 叫号提醒 to citizens' mobiles — messages the ``[notify] webhook`` (the SMS
gateway or WeChat sender) has not taken, with its last answer (docs/phone.md)."""
from __future__ import annotations

import time

from . import CheckResult

STUCK_AFTER_S = 600.0  # a reminder later than this is no use to the citizen


def check(ctx) -> list[CheckResult]:
    notify = getattr(ctx.config, "notify", None)
    if notify is None or not ctx.db_path.exists():
        return []
    from hall import outbox
    from hall.readonly import ReadOnlyQueue
    from hall.reminders import CHANNEL
    q = ReadOnlyQueue(ctx.db_path, ctx.config)
    try:
        with q._lock:
            has_outbox = q._conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'outbox'").fetchone()
            rows = outbox.status(q._conn) if has_outbox else []
    finally:
        q.close()
    s = next((r for r in rows if r["channel"] == CHANNEL), None)
    if not notify.webhook:
        if s and s["pending"]:
            return [CheckResult("叫号提醒 (text messages)", False,
                                f"{s['pending']} reminder(s) waiting: [notify] webhook is not set",
                                "set [notify] webhook to the hall's SMS gateway or WeChat sender, then "
                                "restart jiaohao serve")]
        return []
    name = f"叫号提醒 webhook {notify.webhook}"
    if s is None:
        return [CheckResult(name, True, "no reminder queued yet")]
    stuck = s["oldest_pending_at"] is not None and time.time() - s["oldest_pending_at"] > STUCK_AFTER_S
    if s["failing"] or stuck:
        return [CheckResult(name, False, f"{s['pending']} reminder(s) not taken ({s['failing']} failing); "
                            f"last answer: {s['last_error'] or 'none'}",
                            "check the network to the gateway, its address and [notify] headers; the messages "
                            "are kept and sent again by themselves")]
    return [CheckResult(name, True, f"{s['sent']} sent, {s['pending']} waiting, none failing")]
