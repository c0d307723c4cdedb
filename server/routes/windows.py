"""Window operations: what a keypad or the software caller does, on the same queue
methods, so they write the same events (call, call a number, recall, skip, transfer,
pause, resume, finish, rate, login, logout)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from ..deps import Write, guard, writer
from ..errors import ApiError
from ..models import MAX_WINDOW, CallNumberIn, PauseIn, RateIn, TicketOut, TransferIn, WindowLoginIn, WindowOut

router = APIRouter(prefix="/windows/{n}", tags=["windows"])
WINDOW = guard("window", window=True)
N = Path(ge=1, le=MAX_WINDOW, description="window number")


@router.post("/call", response_model=TicketOut,
             **guard("window", window=True, responses={204: {"description": "nobody waits"}}),
             summary="finish the current ticket and call the next (204: nobody waits)")
def call(n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.call_next(n))


@router.post("/call-number", response_model=TicketOut, **WINDOW, summary="call a given ticket")
def call_number(body: CallNumberIn, n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.call_ticket(n, body.number), body)


@router.post("/recall", response_model=TicketOut, **WINDOW, summary="announce the current ticket again")
def recall(n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.recall(n))


@router.post("/skip", response_model=TicketOut, **WINDOW, summary="mark the current ticket a no-show (过号)")
def skip(n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.skip(n))


@router.post("/finish", response_model=TicketOut, **WINDOW, summary="end service of the current ticket")
def finish(n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.finish(n))


@router.post("/transfer", response_model=TicketOut, **WINDOW,
             summary="move the current ticket to another service or window, ahead of that queue")
def transfer(body: TransferIn, n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.transfer(n, to_service=body.to_service, to_window=body.to_window), body)


@router.post("/pause", response_model=WindowOut, **WINDOW, summary="pause the window, with a reason")
def pause(body: PauseIn | None = None, n: int = N, w: Write = Depends(writer)) -> Response:
    reason = body.reason if body is not None else None
    return w.run(lambda: w.queue.pause(n, reason), body)


@router.post("/resume", response_model=WindowOut, **WINDOW, summary="resume a paused window")
def resume(n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.resume(n))


@router.post("/rate", response_model=TicketOut, **WINDOW, summary="a 好差评 score for the ticket just served")
def rate(body: RateIn, n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.rate(n, body.score), body)


@router.post("/login", response_model=WindowOut, **WINDOW, summary="log a staff member in at the window")
def login(body: WindowLoginIn, n: int = N, w: Write = Depends(writer)) -> Response:
    p = w.principal
    if p.kind == "staff" and p.role == "staff" and body.staff != p.name:
        raise ApiError("forbidden", f"工号 {p.name} 只能登录自己", f"staff {p.name} may log in only themself")
    return w.run(lambda: w.queue.login(n, body.staff), body)


@router.post("/logout", response_model=WindowOut, **WINDOW, summary="log the window's staff out (closes it)")
def logout(n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.logout(n))
