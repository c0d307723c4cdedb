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
                                f"{s['pending']} 条提醒在等待，但没设 [notify] webhook "
                                f"({s['pending']} reminder(s) waiting: [notify] webhook is not set)",
                                "把 [notify] webhook 设为大厅的短信网关或微信发送地址，再重启 jiaohao serve "
                                "(set [notify] webhook to the hall's SMS gateway or WeChat sender, then "
                                "restart jiaohao serve)")]
        return []
    name = f"叫号提醒 webhook {notify.webhook}"
    if s is None:
        return [CheckResult(name, True, "还没有排队的提醒 (no reminder queued yet)")]
    stuck = s["oldest_pending_at"] is not None and time.time() - s["oldest_pending_at"] > STUCK_AFTER_S
    if s["failing"] or stuck:
        return [CheckResult(name, False, f"{s['pending']} 条提醒网关没收下（{s['failing']} 条失败） "
                            f"({s['pending']} reminder(s) not taken, {s['failing']} failing); "
                            f"网关最后回答 last answer: {s['last_error'] or '无 none'}",
                            "检查到网关的网络、它的地址和 [notify] headers；消息都保留着，会自动重发 "
                            "(check the network to the gateway, its address and [notify] headers; the messages "
                            "are kept and sent again by themselves)")]
    return [CheckResult(name, True, f"已发 {s['sent']} 条，等待 {s['pending']} 条，没有失败 "
                                    f"({s['sent']} sent, {s['pending']} waiting, none failing)")]
