"""A manager's actions, each with why (hall/manage_ops.py): windows (pause, resume, open
and close for the day), tickets (transfer, cancel, re-activate a no-show), issuing of a
service today (暂停取号 / 恢复取号) and the notice on the hall screen and boards."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from hall.manage_ops import ManagerActions

from ..deps import Write, guard, writer
from ..manage_models import NoticeTextIn, PauseWhyIn, TransferWhyIn, WhyIn
from ..models import MAX_WINDOW

router = APIRouter(prefix="/actions", tags=["manage"])
MANAGE = guard("manage")
N = Path(ge=1, le=MAX_WINDOW, description="window number")
NUMBER = Path(min_length=1, max_length=16, description="today's ticket number, e.g. A023")
CODE = Path(min_length=1, max_length=8, description="service code")


def _by(w: Write) -> ManagerActions:
    return ManagerActions(w.queue, w.principal.name, w.principal.display_name)


@router.post("/windows/{n}/pause", **MANAGE, summary="pause a window (reason away, lunch or meeting)")
def pause(body: PauseWhyIn, n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).pause(n, body.why, body.reason), body)


@router.post("/windows/{n}/resume", **MANAGE, summary="resume a paused window")
def resume(body: WhyIn, n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).resume(n, body.why), body)


@router.post("/windows/{n}/open", **MANAGE, summary="open a closed window for the day")
def open_window(body: WhyIn, n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).open_window(n, body.why), body)


@router.post("/windows/{n}/close", **MANAGE, summary="close a window for the day (its staff logged out)")
def close_window(body: WhyIn, n: int = N, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).close_window(n, body.why), body)


@router.post("/tickets/{number}/transfer", **MANAGE,
             summary="move a waiting or called ticket to another service or window")
def transfer(body: TransferWhyIn, number: str = NUMBER, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).transfer(number, body.why, body.to_service, body.to_window), body)


@router.post("/tickets/{number}/cancel", **MANAGE, summary="cancel a waiting ticket")
def cancel(body: WhyIn, number: str = NUMBER, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).cancel(number, body.why), body)


@router.post("/tickets/{number}/reactivate", **MANAGE, summary="put a no-show (过号) back in its queue")
def reactivate(body: WhyIn, number: str = NUMBER, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).reactivate(number, body.why), body)


@router.post("/services/{code}/stop", **MANAGE, summary="暂停取号: stop issuing a service for the rest of today")
def stop_issuing(body: WhyIn, code: str = CODE, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).stop_issuing(code, body.why), body)


@router.post("/services/{code}/restart", **MANAGE, summary="恢复取号: issue a stopped service again")
def restart_issuing(body: WhyIn, code: str = CODE, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).restart_issuing(code, body.why), body)


@router.post("/notice", **MANAGE, summary="a notice on the hall screen and LED boards")
def notice(body: NoticeTextIn, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).notice(body.text, body.why, body.text_en, body.minutes), body)


@router.post("/notice/clear", **MANAGE, summary="take the notice down (the configured one shows again)")
def clear_notice(body: WhyIn, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: _by(w).clear_notice(body.why), body)
