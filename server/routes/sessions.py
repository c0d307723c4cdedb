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
    if e.code == "too_many_attempts":
        seconds = max(1, int(e.retry_after or 1))
        return ApiError("too_many_attempts", e.zh, str(e), headers={"Retry-After": str(seconds)})
    # bad_login: one answer for an unknown number, a wrong password and a disabled account
    return ApiError(e.code, e.zh, str(e), status=401)


@router.post("/login", response_model=SessionOut, summary="log in with 工号 and password: a session token",
             responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut},
                        429: {"model": ErrorOut, "description": "too many failed logins; see Retry-After"}},
             openapi_extra={"x-roles": ["anonymous"]})
def login(body: LoginIn, request: Request) -> Response:
    s = request.app.state
    try:
        session = s.access.login(body.staff, body.password, body.window,
                                 client=request.client.host if request.client else None)
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
    header = request.headers.get("authorization")
    token = header.partition(" ")[2].strip() if header else request.cookies.get("jh_session", "")
    request.app.state.access.logout(token)
    return Response(status_code=204)
