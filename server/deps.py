"""Who may do what on the hall API (docs/api.md, Credentials): one place.

Every route but ``/health``, ``/login`` and the OpenAPI document authenticates with a
Bearer token (:func:`authenticated`, 401). A write route declares its operation with
``**guard(op)``: the roles that may do it (403 otherwise, and a staff session or a
window-bound caller device only on its own windows), listed in the OpenAPI document
as ``x-roles`` so the auth walk test can try a role that may not. Writes go through
:class:`Write`, which runs the operation once per ``Idempotency-Key``."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from fastapi import Depends, Path, Request, Security
from fastapi.security import HTTPBearer
from fastapi.responses import JSONResponse, Response

from hall.access import DEVICE_ROLES, STAFF_ROLES, Principal
from hall.errors import HallError
from hall.idempotency import run_once

from .errors import ApiError, hall_refusal
from .models import MAX_WINDOW, ErrorOut

ALL_ROLES = DEVICE_ROLES + STAFF_ROLES

# operation -> roles that may do it (the table in docs/api.md)
ROLES: dict[str, frozenset[str]] = {
    "heartbeat": frozenset({"kiosk", "screen", "caller", "controller", "staff", "manager"}),  # the hall PCs' apps
    "read": frozenset(ALL_ROLES),
    "issue": frozenset({"kiosk", "controller", "manager"}),  # issue, check in, cancel
    "window": frozenset({"caller", "controller", "staff", "manager"}),
    "reactivate": frozenset({"caller", "controller", "staff", "manager"}),
    "appointments": frozenset({"controller", "manager"}),
    "log": frozenset({"kiosk", "screen", "caller", "controller", "technician"}),
    "reports": frozenset({"controller", "manager", "technician"}),
    "logout": frozenset(STAFF_ROLES),  # ends a person's session; devices are revoked by the hall
    # 好差评 (docs/ratings.md): a rating or a 办件编号 for any served ticket; follow-ups: managers
    "rate": frozenset({"caller", "controller", "staff", "manager"}),
    "followups": frozenset({"manager"}),
    "book": frozenset({"caller", "controller", "staff", "manager"}),  # book or cancel for a citizen
    "suspensions": frozenset({"manager"}),  # list and lift 爽约 suspensions
    "lease": frozenset({"kiosk"}),  # number leases and offline tickets (hall/leases.py)
    "manage": frozenset({"manager"}),  # alarms, limits, actions with why, people and devices (docs/manage.md)
}
# roles that act on any window; a caller device with no windows bound acts on any too
ANY_WINDOW = frozenset({"controller", "manager"})

ROLE_ZH = {"kiosk": "取号机", "screen": "显示屏", "caller": "呼叫器", "controller": "控制机",
           "staff": "窗口人员", "manager": "管理人员", "technician": "技术人员"}

REFUSALS = {401: {"model": ErrorOut, "description": "no, wrong, expired or revoked credential"},
            403: {"model": ErrorOut, "description": "the role may not do that"},
            422: {"model": ErrorOut, "description": "the body is not what the route takes"},
            503: {"model": ErrorOut, "description": "the queue database cannot be used now"}}


def unauthorized(en: str, zh: str) -> ApiError:
    return ApiError("unauthorized", zh, en, headers={"WWW-Authenticate": "Bearer"})


# documents the Bearer scheme in the OpenAPI document; the header is read below, in words
bearer_scheme = HTTPBearer(auto_error=False, description="a device token (jhd_…) or a staff session token (jhs_…)")


async def authenticated(request: Request, _doc: Any = Security(bearer_scheme)) -> Principal:
    """The holder of the request's Bearer token, or 401. ``async def``, on the event loop:
    the look-up is one indexed read on Access's own connection (~10 µs, never waiting for
    a writer in WAL mode), far cheaper than a hop to the thread pool and back, which under
    load costs a request a millisecond or more (benchmarks/api_bench.py). The checks that
    only compare (:func:`require`, the window check, :func:`writer`) are ``async def`` too,
    so a sync route costs one hop: its own."""
    header = request.headers.get("authorization")
    if not header and (cookie := request.cookies.get("jh_session")):
        return _cookie_principal(request, cookie)
    if not header:
        raise unauthorized("this needs a credential: send Authorization: Bearer TOKEN",
                           "需要凭据：请先登录或为本设备配置令牌")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        raise unauthorized("the Authorization header must be: Bearer TOKEN", "凭据格式不对，应为 Bearer 令牌")
    principal = request.app.state.access.principal_for(token)
    if principal is None:
        raise unauthorized("this credential is unknown, expired or revoked; log in again or ask for a new "
                           "device token", "凭据无效、已过期或已被吊销，请重新登录或重新配置设备令牌")
    return principal


def _cookie_principal(request: Request, token: str) -> Principal:
    """A browser page's session cookie (server/web/login.py). A write needs the page's own
    header too: another site's form can send the cookie but not a custom header."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.headers.get("x-jiaohao-page") != "1":
        raise ApiError("forbidden", "请从本系统的页面操作", "a browser write needs the header X-Jiaohao-Page: 1",
                       status=403)
    principal = request.app.state.access.principal_for(token)
    if principal is None:
        raise unauthorized("the login has expired or was ended; log in again", "登录已过期，请重新登录")
    return principal


def _refuse_role(p: Principal, what: str, what_zh: str) -> ApiError:
    return ApiError("forbidden", f"{ROLE_ZH.get(p.role, p.role)}（{p.name}）无权{what_zh}",
                    f"{p.role} {p.name!r} may not {what}")


OP_WORDS = {"heartbeat": ("send heartbeats (only the hall's apps do)", "发送心跳"),
            "read": ("read the hall", "查看"), "issue": ("issue, check in or cancel tickets", "取号、签到或取消"),
            "window": ("operate windows", "操作窗口"), "reactivate": ("re-activate a no-show", "过号重排"),
            "appointments": ("import appointments", "导入预约"), "log": ("write device notices", "写设备记录"),
            "reports": ("read reports", "查看报表"), "manage": ("manage the hall", "管理大厅"),
            "logout": ("log out (only a person's session can)", "注销登录"),
            "rate": ("rate tickets or attach case numbers", "评价或登记办件"),
            "followups": ("handle 差评 follow-ups", "处理差评整改"),
            "book": ("book or cancel appointments", "预约或取消预约"),
            "suspensions": ("lift booking suspensions", "解除预约暂停"), "lease": ("hold number leases", "预留号段")}


def require(op: str) -> Callable[..., Principal]:
    roles = ROLES[op]
    en, zh = OP_WORDS[op]

    async def check(p: Principal = Depends(authenticated)) -> Principal:  # no thread hop: no I/O
        if p.role not in roles:
            raise _refuse_role(p, en, zh)
        return p

    check.__name__ = f"may_{op}"
    return check


def may_use_window(p: Principal, n: int) -> None:
    """403 unless ``p`` may act on window ``n``: staff sessions on their own window, a caller
    device on the windows it was added with (all when none)."""
    if p.role in ANY_WINDOW or (p.role == "caller" and not p.windows) or n in p.windows:
        return
    mine = "、".join(str(w) for w in p.windows)
    if p.role == "staff":
        zh = f"工号 {p.name} 只能操作{mine}号窗口" if mine else f"工号 {p.name} 未在窗口登录，不能操作窗口"
        en = (f"staff {p.name} may act only on window {mine}" if mine
              else f"staff {p.name} is not logged in at a window")
    else:
        zh, en = f"设备 {p.name} 只能操作{mine}号窗口", f"device {p.name} may act only on windows {mine}"
    raise ApiError("forbidden", zh, en)


async def _window_check(n: int = Path(ge=1, le=MAX_WINDOW, description="window number"),
                        p: Principal = Depends(authenticated)) -> None:
    may_use_window(p, n)


def guard(op: str, *, window: bool = False, responses: dict | None = None) -> dict[str, Any]:
    """Keyword arguments of a route decorator: who may call it, checked and documented."""
    deps = [Depends(require(op))]
    if window:
        deps.append(Depends(_window_check))
    return {"dependencies": deps, "openapi_extra": {"x-roles": sorted(ROLES[op])},
            "responses": {**REFUSALS, **(responses or {})}}


def credential_id(p: Principal) -> str:
    return f"{p.kind}:{p.name}"


def _encode(result: Any) -> Any:
    to_json = getattr(result, "to_json", None)
    return to_json() if to_json is not None else result


class Write:
    """One write request: who makes it, and its ``Idempotency-Key``."""

    def __init__(self, request: Request, principal: Principal):
        self.app = request.app
        self.queue = request.app.state.queue
        self.principal = principal
        self.method, self.path = request.method, request.url.path
        self.key = request.headers.get("idempotency-key")  # checked by run_once

    def run(self, op: Callable[[], Any], body: Any = None, status: int = 200,
            none_status: int = 204) -> Response:
        """Run ``op`` (a queue call) once per key; its result (a record, a dict or None) or
        the hall's refusal is the answer, and is what a retry with the same key gets."""

        def attempt() -> tuple[int, Any]:
            result = op()
            if result is None:
                return none_status, None
            return status, _encode(result)

        if self.key is None:
            try:
                code, payload = attempt()
            except HallError as e:
                code, payload = hall_refusal(e)
            replayed = False
        else:
            code, payload, replayed = run_once(self.queue, credential_id(self.principal), self.key,
                                               self.method, self.path, fingerprint(self.method, self.path, body),
                                               attempt, refusal=hall_refusal)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        if payload is None or code == 204:
            return Response(status_code=code, headers=headers)
        return JSONResponse(payload, status_code=code, headers=headers)


def fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests "the same request" for an Idempotency-Key."""
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json")
    text = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def writer(request: Request, p: Principal = Depends(authenticated)) -> Write:
    return Write(request, p)
