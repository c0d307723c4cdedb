"""Every refusal of the hall API as one JSON body (docs/api.md, Errors):

    {"error": {"code": "window_state", "message": "5号窗口已暂停，请先恢复服务",
               "message_en": "window 5 is paused; resume it first"}}

The hall's own errors (:class:`hall.errors.HallError`) keep their code and their two
sentences; request bodies FastAPI cannot take become 422 ``bad_request``; a database
that cannot be used now is 503 ``database``. Nothing a client sends gives a 500."""
from __future__ import annotations

import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hall.errors import DatabaseProblem, HallError

log = logging.getLogger(__name__)

STATUS = {
    "invalid": 400, "unauthorized": 401, "bad_login": 401, "forbidden": 403,
    "unknown_service": 404, "unknown_window": 404, "unknown_ticket": 404, "not_found": 404,
    "unknown_device": 404, "unknown_staff": 404,
    "method_not_allowed": 405,
    "closed": 409, "cap": 409, "slot_full": 409, "already_booked": 409, "suspended": 403, "window_state": 409, "idempotency_mismatch": 409,
    "too_large": 413, "bad_request": 422, "too_many_attempts": 429, "internal": 500, "database": 503,
}
MAX_BODY = 8 * 1024 * 1024  # bytes: a day's appointments import is well below


class ApiError(Exception):
    """A refusal made by the server itself (credentials, roles, odd requests)."""

    def __init__(self, code: str, message: str, message_en: str, *, status: int | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message_en)
        self.code, self.message, self.message_en = code, message, message_en
        self.status = status or STATUS[code]
        self.headers = headers


def error_body(code: str, message: str, message_en: str) -> dict:
    return {"error": {"code": code, "message": message, "message_en": message_en}}


def hall_refusal(e: HallError) -> tuple[int, dict]:
    """(status, body) of a refusal of the queue. A database problem is not a refusal:
    it goes on up (503, and a retry with the same Idempotency-Key runs again)."""
    if isinstance(e, DatabaseProblem):
        raise e
    status = STATUS.get(e.code, 400)
    return status, error_body(e.code, getattr(e, "zh", "") or str(e), str(e))


def database_refusal(e: Exception) -> tuple[int, dict]:
    log.error("queue database problem while answering a request: %s", e)
    if isinstance(e, DatabaseProblem):
        return 503, error_body("database", e.zh, str(e))
    return 503, error_body("database", "排队数据库暂时无法使用，请稍后重试或联系技术人员",
                           f"the queue database cannot be used now ({e}); try again shortly")


def _json(status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    errors = exc.errors()
    if not errors:
        return "请求内容有误", "the request is not what this route takes"
    first = errors[0]
    # ("body", "appointments", 0, "slot"); union members ("constrained-int") are left out
    where = ".".join(str(p) for p in first.get("loc", ())
                     if p != "body" and (isinstance(p, int) or str(p).isidentifier())) or "body"
    if first.get("type") == "json_invalid":
        return "请求内容不是有效的 JSON", "the request body is not valid JSON"
    if first.get("type") == "missing":
        return f"缺少 {where}", f"{where}: field required"
    if first.get("type") == "extra_forbidden":
        return f"不认识的字段 {where}", f"{where}: unknown field"
    msg = str(first.get("msg", "invalid value"))
    ctx = first.get("ctx") or {}
    zh = ZH_TYPES.get(str(first.get("type")), "值不对")
    try:
        zh = zh.format(**ctx)
    except (KeyError, IndexError, ValueError):
        zh = "值不对"
    return f"{where}：{zh}", f"{where}: {msg}"


# pydantic's error types, said in Chinese (the English is pydantic's own message)
ZH_TYPES = {
    "int_parsing": "须为整数", "int_type": "须为整数", "int_from_float": "须为整数",
    "float_type": "须为数字", "float_parsing": "须为数字", "finite_number": "须为有限的数字",
    "string_type": "须为文字", "bool_type": "须为 true 或 false", "bool_parsing": "须为 true 或 false",
    "dict_type": "须为 JSON 对象", "list_type": "须为列表", "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "greater_than_equal": "不能小于 {ge}", "less_than_equal": "不能大于 {le}",
    "greater_than": "须大于 {gt}", "less_than": "须小于 {lt}",
    "string_too_short": "至少 {min_length} 个字符", "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项", "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不对", "literal_error": "须为 {expected} 之一",
    "union_tag_invalid": "值不对", "none_required": "须为空",
}


class BodyLimit:
    """Refuses a request whose declared body is larger than ``MAX_BODY`` before reading it."""

    def __init__(self, app, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length":
                    if not value.isdigit() or int(value) > self.limit:
                        mb = self.limit // (1024 * 1024)
                        response = _json(413, error_body("too_large", f"请求内容超过 {mb} MB",
                                                         f"the request body is larger than {mb} MB"))
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)


def _for_a_page(request: Request) -> bool:
    """A browser's page or plain form (not /api/v1): it gets an HTML page, not the JSON
    body, so a citizen who types 10,000 characters reads a sentence, not braces."""
    if request.url.path.startswith("/api/"):
        return False
    kind = request.headers.get("content-type", "")
    return "text/html" in request.headers.get("accept", "") or kind.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data"))


def _damaged(request: Request) -> tuple[int, dict] | None:
    """A failure over a damaged row of the database: 503 saying where, not a bare 500."""
    from hall.damaged_rows import damage_note
    queue = getattr(request.app.state, "queue", None)
    found = damage_note(str(queue.path)) if getattr(queue, "path", None) else []
    if not found:
        return None
    return 503, error_body("database", "排队数据库中有损坏的记录，请技术人员运行 jiaohao diag check 并从备份恢复："
                           + found[0].zh, f"the queue database has a damaged row ({found[0].en}); "
                           "run `jiaohao diag check`, then restore the last backup")


def _page(request: Request, status: int, body: dict, headers: dict[str, str] | None = None):
    from .web.render import error_page
    e = body["error"]
    response = error_page(request, status, e["message"], e["message_en"])
    response.headers.update(headers or {})
    return response


def install(app: FastAPI) -> None:
    """Answer every refusal with the error body."""
    app.add_middleware(BodyLimit)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        body = error_body(exc.code, exc.message, exc.message_en)
        return _page(request, exc.status, body, exc.headers) if _for_a_page(request) else \
            _json(exc.status, body, exc.headers)

    @app.exception_handler(DatabaseProblem)
    async def _database(request: Request, exc: DatabaseProblem) -> JSONResponse:
        return _json(*database_refusal(exc))

    @app.exception_handler(sqlite3.Error)
    async def _sqlite(request: Request, exc: sqlite3.Error) -> JSONResponse:
        return _json(*database_refusal(exc))

    @app.exception_handler(HallError)
    async def _hall(request: Request, exc: HallError) -> JSONResponse:
        return _json(*hall_refusal(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        zh, en = _validation_message(exc)
        if _for_a_page(request):
            return _page(request, 422, error_body("bad_request", "填写的内容不对：" + zh, en))
        return _json(422, error_body("bad_request", zh, en))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            body = error_body("not_found", "没有这个地址", f"no such route: {request.url.path}")
        elif exc.status_code == 405:
            body = error_body("method_not_allowed", "此地址不接受该请求方法",
                              f"{request.method} is not allowed on {request.url.path}")
        else:
            body = error_body("bad_request" if exc.status_code < 500 else "internal",
                              "请求无法处理", str(exc.detail))
        if _for_a_page(request):
            return _page(request, exc.status_code, body, getattr(exc, "headers", None))
        return _json(exc.status_code, body, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        status, body = _damaged(request) or (500, error_body("internal", "服务器内部错误，请联系技术人员",
                                                              "internal server error; tell the technician"))
        return _page(request, status, body) if _for_a_page(request) else _json(status, body)
