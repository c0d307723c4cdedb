"""Tickets: issue, check in, cancel, re-activate a no-show, import appointments."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from hall.booking_slots import looks_like_id
from hall.clock import check_day, wall_time
from hall.errors import InvalidArgument

from ..deps import Write, guard, writer
from ..errors import ApiError
from ..models import MAX_ID, AddedOut, AppointmentsIn, CancelIn, CheckinIn, IssueIn, TicketOut

router = APIRouter(tags=["tickets"])


def _kiosk(w: Write, given: str | None) -> str | None:
    """The kiosk a ticket is recorded for: a kiosk device is always itself."""
    p = w.principal
    if p.role == "kiosk" or given is None:
        return p.name if p.kind == "device" else given
    return given


@router.post("/tickets", status_code=201, response_model=TicketOut, **guard("issue"),
             summary="issue a ticket (取号)")
def issue(body: IssueIn, w: Write = Depends(writer)) -> Response:
    kiosk = _kiosk(w, body.kiosk)
    return w.run(lambda: w.queue.issue(body.service, priority=body.priority, kiosk=kiosk), body, status=201)


@router.post("/checkins", status_code=201, response_model=TicketOut, **guard("issue"),
             summary="check in a booked appointment: its ticket (预约签到)")
def check_in(body: CheckinIn, w: Write = Depends(writer)) -> Response:
    kiosk = _kiosk(w, body.kiosk)
    kept = body
    if looks_like_id(body.code):  # an ID number: the retry fingerprint is keyed, never a plain digest of it
        kept = {"code": w.queue.keyed_digest(body.code.strip().upper()), "kiosk": body.kiosk}
    return w.run(lambda: w.queue.check_in(body.code, kiosk=kiosk), kept, status=201)


@router.post("/tickets/by-id/{ticket_id}/cancel", response_model=TicketOut, **guard("issue"),
             summary="cancel a waiting ticket (a kiosk: only one it issued)")
def cancel(body: CancelIn, ticket_id: int = Path(ge=1, le=MAX_ID), w: Write = Depends(writer)) -> Response:
    p = w.principal
    if p.role == "kiosk":
        owner = w.app.state.reads.ticket_kiosk(ticket_id)
        if owner is not None and owner != p.name:
            raise ApiError("forbidden", f"取号机 {p.name} 只能取消自己打印的票",
                           f"kiosk {p.name} may cancel only the tickets it issued")
    return w.run(lambda: w.queue.cancel(ticket_id, body.reason), body)


@router.post("/tickets/{number}/reactivate", response_model=TicketOut, **guard("reactivate"),
             summary="put a no-show (过号) back in its queue")
def reactivate(number: str = Path(min_length=1, max_length=16), w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.reactivate(number))


@router.post("/appointments", response_model=AddedOut, **guard("appointments"),
             summary="add or update booked appointments, all or none")
def add_appointments(body: AppointmentsIn, w: Write = Depends(writer)) -> Response:
    rows = []
    for i, a in enumerate(body.appointments):
        try:
            slot = datetime.fromisoformat(a.slot)
            check_day(slot.date(), f"appointments[{i}].slot")
            slot = wall_time(slot, w.queue.config.hall.timezone)
        except (ValueError, OverflowError):  # not a time; a zone that moves it past year 1 or 9999
            raise InvalidArgument(f"appointments[{i}].slot {a.slot!r} is not a time like 2026-11-30T09:30",
                                  zh=f"第{i + 1}条预约的时间 {a.slot!r} 格式不对，应形如 2026-11-30T09:30") from None
        rows.append((a.code, a.service, slot, a.name))
    return w.run(lambda: {"added": w.queue.add_appointments(rows)}, body)
