"""The window tablet (评价平板) and the managers' 差评 follow-up pages.

The tablet: the citizen served last at a window rates it, and for a
不满意/非常不满意 (given here or on the window evaluator) ticks the problems and writes
why. A LAN page: the window's staff logs the tablet in once with their 工号 (the
browser log-in, role ``rate``); the page then follows the window by itself (it reloads
every few seconds while there is nothing to rate). Channel: 政务大厅其他终端.

``/rate/followups``: the 差评 follow-ups (open, overdue, all) with their deadlines, and
one follow-up with its steps and a form for the next one (managers; hall/followups.py)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from hall.access import Principal
from hall.errors import HallError
from hall.ratings import BAD, LEVELS, LEVELS_EN

from ..models import MAX_WINDOW
from .login import page_user
from .render import error_page, form_int, page

router = APIRouter(include_in_schema=False)
N = Path(ge=1, le=MAX_WINDOW)
RATE_FOR_S = 300.0     # the last citizen is offered the rating this long after FINISH
DETAIL_FOR_S = 180.0   # and the problems of a 差评 this long after rating it


def _window(request: Request, n: int):
    if n not in {w.number for w in request.app.state.config.windows}:
        return None
    return request.app.state.reads.window_state(n)


@router.get("/rate/window/{n}")
def tablet(request: Request, n: int = N, done: int = 0, user: Principal = Depends(page_user("rate"))) -> Response:
    w = _window(request, n)
    if w is None:
        return error_page(request, 404, f"没有{n}号窗口", f"There is no window {n}")
    now = request.app.state.queue.clock().timestamp()
    info = request.app.state.reads.ticket_rating(w.last.id) if w.last else None
    step = "wait"
    if done:
        step = "thanks"
    elif info is not None and info["state"] == "rated":
        latest = info["ratings"][-1]
        at = datetime.fromisoformat(latest["at"]).timestamp()
        if latest["level"] in BAD and info["can_detail"] and now - at < DETAIL_FOR_S:
            step = "detail"
    elif info is not None and info["can_rate"] and now - w.last.finished_at < RATE_FOR_S:
        step = "rate"
    return _render(request, w, info, step, user)


def _render(request: Request, w, info, step: str, user: Principal, status: int = 200, error=None) -> Response:
    return page(request, "rate_window.html", status=status, window=w, info=info, step=step, levels=LEVELS,
                levels_en=LEVELS_EN, user=user, error=error,
                callback_days=request.app.state.config.ratings.callback_days)


@router.post("/rate/window/{n}")
def submit(request: Request, n: int = N, ticket_id: int = Form(...), level: str = Form(""),
           problems: list[str] = Form([]), text: str = Form(""),
           user: Principal = Depends(page_user("rate"))) -> Response:
    w = _window(request, n)
    if w is None:
        return error_page(request, 404, f"没有{n}号窗口", f"There is no window {n}")
    queue = request.app.state.queue
    try:
        if w.last is None or w.last.id != ticket_id:  # the window moved on meanwhile
            return RedirectResponse(f"/rate/window/{n}", status_code=303)
        if level:
            queue.rate_ticket(ticket_id, form_int(level), "terminal")
            if form_int(level) not in BAD:
                return RedirectResponse(f"/rate/window/{n}?done=1", status_code=303)
        else:
            queue.rate_ticket(ticket_id, None, "terminal", problems, text)
            return RedirectResponse(f"/rate/window/{n}?done=1", status_code=303)
    except (HallError, ValueError) as e:
        info = request.app.state.reads.ticket_rating(w.last.id)
        return _render(request, w, info, "rate" if level else "detail", user, status=400,
                       error=(getattr(e, "zh", "") or str(e), str(e)))
    return RedirectResponse(f"/rate/window/{n}", status_code=303)


# -- 差评 follow-ups for managers ----------------------------------------------------------
@router.get("/rate/followups")
def followups_page(request: Request, show: str = "open",
                   user: Principal = Depends(page_user("followups"))) -> Response:
    reads = request.app.state.reads
    rows = reads.followups(overdue=show == "overdue", open_only=show == "open")
    return page(request, "rate_followups.html", rows=rows, show=show, user=user)


@router.get("/rate/followups/{fid}")
def followup_page(request: Request, fid: int = Path(ge=1, le=2 ** 62),
                  user: Principal = Depends(page_user("followups"))) -> Response:
    from hall.followups import ACTIONS_ZH
    try:
        f = request.app.state.reads.followup(fid)
    except HallError:
        return error_page(request, 404, f"没有整改单 {fid}", f"There is no follow-up {fid}")
    return page(request, "rate_followup.html", f=f, actions_zh=ACTIONS_ZH, user=user, error=None)


@router.post("/rate/followups/{fid}")
def followup_submit(request: Request, fid: int = Path(ge=1, le=2 ** 62), action: str = Form(""), note: str = Form(""),
                    days: str = Form(""), user: Principal = Depends(page_user("followups"))) -> Response:
    from hall.followups import ACTIONS_ZH
    try:
        n = form_int(days) if days.strip() else None
        request.app.state.queue.followup_step(fid, action, user.name, note, n)
    except (HallError, ValueError) as e:
        try:
            f = request.app.state.reads.followup(fid)
        except HallError:
            return error_page(request, 404, f"没有整改单 {fid}", f"There is no follow-up {fid}")
        return page(request, "rate_followup.html", status=400, f=f, actions_zh=ACTIONS_ZH, user=user,
                    error=(getattr(e, "zh", "") or "天数须为整数", str(e)))
    return RedirectResponse(f"/rate/followups/{fid}", status_code=303)
