"""Bookings (预约) on the hall API: the days and slots that may be booked, booking and
cancelling for a citizen at a window (the software caller), and the 爽约 suspensions a
manager lifts (docs/booking.md). The citizens' own pages are server/web/book.py."""
from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from hall.errors import InvalidArgument, UnknownTicket

from ..deps import REFUSALS, Write, credential_id, guard, require, writer
from ..models import BookIn, BookingCancelIn, BookingOut, LiftIn, SlotsOut, SuspensionOut

router = APIRouter(tags=["bookings"])
reader = Depends(require("read"))
CODE = Path(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9-]+$")


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(f"{what} {text!r} is not a date like 2026-11-30",
                              zh=f"{what} {text!r} 不是日期，应形如 2026-11-30") from None


@router.get("/booking/slots", response_model=SlotsOut, responses=REFUSALS, dependencies=[reader],
            summary="the days that may be booked, and a service's slots on one of them")
def slots(request: Request, service: str | None = Query(None, max_length=8),
          day: str | None = Query(None, max_length=10)) -> dict:
    q = request.app.state.queue
    days = q.booking_days()
    wanted = _day(day, "day") or (days[0] if days else None)
    out = q.booking_slots(service, wanted) if service and wanted else []
    return {"days": [d.isoformat() for d in days], "slots": out}


@router.get("/bookings/{code}", response_model=BookingOut, responses=REFUSALS, dependencies=[reader],
            summary="a booking (personal data masked)")
def booking(request: Request, code: str = CODE) -> dict:
    b = request.app.state.queue.booking(code)
    if b is None:
        raise UnknownTicket(f"no booking {code!r}", zh=f"没有预约 {code}")
    return b.to_json()


@router.get("/bookings", response_model=list[BookingOut], responses=REFUSALS,
            dependencies=[Depends(require("suspensions"))], summary="a day's bookings (a manager)")
def day_bookings(request: Request, day: str = Query(max_length=10), service: str | None = Query(None, max_length=8)):
    _day(day, "day")
    return [b.to_json() for b in request.app.state.queue.bookings_on(day, service)]


@router.post("/bookings", status_code=201, response_model=BookingOut, **guard("book"),
             summary="book a slot for a citizen at the window (预约)")
def book(body: BookIn, w: Write = Depends(writer)) -> Response:
    try:
        start = datetime.fromisoformat(body.start).replace(tzinfo=None, second=0, microsecond=0)
    except ValueError:
        raise InvalidArgument(f"start {body.start!r} is not a time like 2026-11-30T09:30",
                              zh=f"开始时间 {body.start!r} 格式不对，应形如 2026-11-30T09:30") from None
    by = credential_id(w.principal)
    return w.run(lambda: w.queue.book(body.service, start, body.name, body.mobile, body.id_number,
                                      channel="staff", by=by), body, status=201)


@router.post("/bookings/{code}/cancel", response_model=BookingOut, **guard("book"),
             summary="cancel a booking until its cut-off")
def cancel(body: BookingCancelIn, code: str = CODE, w: Write = Depends(writer)) -> Response:
    by = credential_id(w.principal)
    return w.run(lambda: w.queue.cancel_booking(code, mobile=body.mobile, by=by), body)


@router.get("/booking/suspensions", response_model=list[SuspensionOut], responses=REFUSALS,
            dependencies=[Depends(require("suspensions"))], summary="爽约 suspensions in force (a manager)")
def suspensions(request: Request, all: bool = Query(False, description="lifted and ended ones too")) -> list:
    return request.app.state.queue.suspensions(active_only=not all)


@router.post("/booking/suspensions/{suspension_id}/lift", response_model=SuspensionOut, **guard("suspensions"),
             summary="lift a 爽约 suspension, with the reason (a manager)")
def lift(body: LiftIn, suspension_id: int = Path(ge=1, le=2 ** 62), w: Write = Depends(writer)) -> Response:
    by = credential_id(w.principal)
    return w.run(lambda: w.queue.lift_suspension(suspension_id, body.reason, by=by), body)
