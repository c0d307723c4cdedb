"""Browser login for staff and managers: 工号 and password give a session (the same
sessions as the API's /login, hall/access.py) kept in an HttpOnly, SameSite=Strict
cookie. Pages take ``user: Principal = Depends(page_user("op"))``: no session → the
login page (then back); a role that may not do ``op`` → a 403 page saying so.

The API also accepts the cookie (server/deps.py), so a page's scripts call /api/v1 with
``fetch(url, {headers: {"X-Jiaohao-Page": "1"}})``; a write carried by the cookie
without that header is refused (another site cannot add it: cross-site request forgery)."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hall.access import LoginRefused, Principal

from .render import error_page, page

COOKIE = "jh_session"
PAGE_HEADER = "x-jiaohao-page"

router = APIRouter(include_in_schema=False)


class LoginNeeded(Exception):
    """Raised by :func:`page_user`; the LAN app answers with a redirect to /login."""

    def __init__(self, next_url: str):
        self.next_url = next_url


class PageForbidden(Exception):
    def __init__(self, principal: Principal, op: str):
        self.principal, self.op = principal, op


def session_principal(request: Request) -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return request.app.state.access.principal_for(token)


def page_user(op: str):
    """A dependency: the logged-in person, who may do ``op`` (server/deps.py ROLES)."""
    from ..deps import ROLES

    def dependency(request: Request) -> Principal:
        p = session_principal(request)
        if p is None:
            raise LoginNeeded(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if p.role not in ROLES[op]:
            raise PageForbidden(p, op)
        return p
    return dependency


def _safe_next(url: str | None) -> str:
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=_safe_next(next), failed=None, staff="")


@router.post("/login")
def login_submit(request: Request, staff: str = Form(""), password: str = Form(""),
                 next: str = Form("/")) -> Response:
    access = request.app.state.access
    try:
        session = access.login(staff.strip(), password, None,
                               client=request.client.host if request.client else None)
    except LoginRefused as e:
        return page(request, "login.html", status=401 if e.code == "bad_login" else 429,
                    next=_safe_next(next), failed=(e.zh, str(e)), staff=staff.strip()[:32])
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token and token.startswith("jhs_"):
        request.app.state.access.logout(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def install_handlers(app) -> None:
    @app.exception_handler(LoginNeeded)
    async def _login(request: Request, exc: LoginNeeded):
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden):
        return error_page(request, 403, f"您的账号（{exc.principal.name}）没有这个页面的权限",
                          f"Your account ({exc.principal.name}) may not open this page")
