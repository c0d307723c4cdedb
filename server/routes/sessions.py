"""Staff logins: 工号 and password give a session token (the software caller, the
managers' pages); logout revokes it. Failed logins are rate-limited by hall.access."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from hall.access import LoginRefused, Principal

from ..deps import guard, require
from ..errors import ApiError
from ..models import ErrorOut, LoginIn, SessionOut

router = APIRouter(tags=["sessions"])


def _refused(e: LoginRefused) -> ApiError:
    retry = getattr(e, "retry_after", None)
    if retry:
        seconds = max(1, int(retry + 0.999))
        return ApiError("too_many_attempts", f"登录失败次数过多，请 {seconds} 秒后再试",
                        f"too many failed logins; try again in {seconds} s",
                        headers={"Retry-After": str(seconds)})
    return ApiError("unauthorized", "工号或密码不对", "wrong staff number or password")


@router.post("/login", response_model=SessionOut, summary="log in with 工号 and password: a session token",
             responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut},
                        429: {"model": ErrorOut, "description": "too many failed logins; see Retry-After"}},
             openapi_extra={"x-roles": ["anonymous"]})
def login(body: LoginIn, request: Request) -> Response:
    s = request.app.state
    if body.window is not None:
        s.reads.window_state(body.window)  # an unknown window: 404 before any session is made
    try:
        session = s.access.login(body.staff, body.password, body.window, s.session_hours)
    except LoginRefused as e:
        raise _refused(e) from None
    if body.window is not None:
        try:
            s.queue.login(body.window, session.staff.staff)
        except Exception:
            s.access.logout(session.token)
            raise
    return JSONResponse({"token": session.token, "staff": session.staff.staff, "name": session.staff.name,
                         "role": session.staff.role, "window": session.window,
                         "expires_at": datetime.fromtimestamp(session.expires_at).isoformat(timespec="seconds")})


@router.post("/logout", status_code=204, **guard("logout", responses={204: {"description": "logged out"}}),
             summary="end this session (its token is refused from now on)")
def logout(request: Request, p: Principal = Depends(require("logout"))) -> Response:
    token = request.headers["authorization"].partition(" ")[2].strip()
    request.app.state.access.logout(token)
    return Response(status_code=204)
