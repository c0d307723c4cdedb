"""Device notices in the event log (printer out of paper, a board offline …): what a
kiosk, screen or caller PC writes there when it runs against the server."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from hall.errors import InvalidArgument

from ..deps import Write, guard, writer
from ..models import LoggedOut, NoticeIn

router = APIRouter(tags=["notices"])

# written by the queue's own operations: a device may not forge them (a forged "called"
# would be announced and shown); "refused" stays open for the kiosk's printer refusals
QUEUE_KINDS = frozenset({"called", "cancelled", "day_closed", "finished", "issued", "login", "logout", "paused",
                         "rated", "rated_again", "rating_detailed", "case_attached", "followup_opened", "followup_step",
                         "reactivated", "recalled", "resumed", "skipped", "transferred",
                         "clock_behind", "clock_ok", "device_added", "device_revoked", "session_ended",
                         "staff_added", "staff_disabled", "staff_enabled", "staff_password_changed",
                         "booked", "booking_cancelled", "booking_no_show", "booking_suspended",
                         "booking_suspension_lifted", "lease_granted", "clock_skew",
                         # the managers' (docs/manage.md): a forged notice or alarm would show on every screen
                         "alarm_raised", "alarm_cleared", "alarm_acked", "manage_action", "hall_notice",
                         "issue_stopped", "issue_restarted", "window_opened"})
RESERVED_KEYS = frozenset({"kind", "window", "ticket"})
MAX_DATA = 8_000


@router.post("/log", response_model=LoggedOut, **guard("log"), summary="write a device notice to the event log")
def notice(body: NoticeIn, w: Write = Depends(writer)) -> Response:
    if body.kind in QUEUE_KINDS:
        raise InvalidArgument(f"{body.kind!r} events are written by the queue's own operations",
                              zh=f"{body.kind} 事件只能由排队操作产生")
    bad = sorted(RESERVED_KEYS & set(body.data))
    if bad:
        raise InvalidArgument(f"data may not have the key(s) {', '.join(bad)}", zh=f"data 中不能有 {'、'.join(bad)}")
    if len(json.dumps(body.data, ensure_ascii=False)) > MAX_DATA:
        raise InvalidArgument(f"data is longer than {MAX_DATA} characters", zh=f"data 超过 {MAX_DATA} 个字符")
    if body.window is not None:
        w.app.state.reads.window_state(body.window)  # 404 for a window the hall does not have
    return w.run(lambda: {"id": w.queue.log_event(body.kind, body.window, **body.data)}, body)
