"""The citizen's phone: the ticket status page ``/t/<token>`` (opened from the ticket's QR
code), its live stream, 叫号提醒, the evaluation after FINISH, and the hall queue page
``/hall``. On both listeners (server/web/public.py); docs/phone.md.

Every page has a JSON twin at the same URL (``Accept: application/json``), the form
posts work without JavaScript (303 back to the page), and the live streams carry the
whole status, computed by server/web/phone_feed.py. Nothing personal goes into a URL or
a log line: the token names a ticket, not a person; a mobile number travels in a POST
body and stays in the database."""
from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from hall import phone_ratings, reminders, ticket_status
from hall.errors import HallError

from . import phone_feed
from .phone_limits import PhoneLimits
from .phone_stream import PhoneStreamResponse
from .render import error_page, form_int, page

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

REMIND_CHOICES = (1, 2, 3, 5, 10)
SKIPPED_ZH = "您的号码已叫过，但您不在窗口。请到服务台说明，工作人员可为您重新排队（过号重排）；也可以重新取号。"
SKIPPED_EN = ("Your number was called but you were not at the window. Ask at the service desk: staff can put "
              "you back in the queue, or take a new ticket.")
EXPIRED_ZH = "今天的叫号已结束，这张票已失效。请在办理时间内重新取号，或先预约。"
EXPIRED_EN = "Today's queue has closed and this ticket is no longer valid. Take a new ticket during opening hours, or book."
CANCELLED_ZH = "这张票已取消（例如没有打印成功）。请重新取号。"
CANCELLED_EN = "This ticket was cancelled (for example, it did not print). Please take a new ticket."


def _limits(request: Request) -> PhoneLimits:
    st = request.app.state
    limits = getattr(st, "phone_limits", None)
    if limits is None:
        server = getattr(st.config, "server", None)
        limits = st.phone_limits = PhoneLimits(getattr(server, "trusted_proxies", ()) or ())
    return limits


def _feed(request: Request) -> phone_feed.PhoneFeed:
    return request.app.state.phone_feed


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _too_many(request: Request, retry_after: int = 60) -> Response:
    headers = {"Retry-After": str(retry_after)}
    if _wants_json(request):
        return JSONResponse({"error": {"code": "too_many_attempts", "message": "查询太频繁，请稍后再试",
                                       "message_en": "too many requests; try again later"}},
                            status_code=429, headers=headers)
    r = error_page(request, 429, "查询太频繁，请稍后再试。", "Too many requests. Please try again in a minute.")
    r.headers.update(headers)
    return r


def _missing(request: Request) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": {"code": "unknown_ticket", "message": "没有找到这张票",
                                       "message_en": "no such ticket"}}, status_code=404)
    return page(request, "phone_missing.html", status=404)


async def _ticket(request: Request, token: str):
    """(row, None) for a known token, else (None, the refusal): rate-limited per address."""
    limits = _limits(request)
    ip = limits.client(request)
    if not limits.lookups.allow(ip):
        return None, _too_many(request)
    row = None
    if ticket_status.well_formed(token):
        row = await asyncio.to_thread(lambda: ticket_status.ticket_by_token(_feed(request).reader(), token))
    if row is None:
        if not limits.misses.allow(ip):
            return None, _too_many(request, 600)
        return None, _missing(request)
    return row, None


def _json(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/t/{token}")
async def status_page(request: Request, token: str):
    row, refusal = await _ticket(request, token)
    if refusal is not None:
        return refusal
    feed = _feed(request)
    status = await asyncio.to_thread(feed.current, row["id"])
    if _wants_json(request):
        return _json(status)
    config = request.app.state.config
    reminder = await asyncio.to_thread(lambda: reminders.reminder_of(feed.reader(), row["id"]))
    return page(request, "phone_status.html", s=status, token=token, config=config,
                remind_choices=sorted({*REMIND_CHOICES, config.notify.ahead}), remind_default=config.notify.ahead,
                reminder_mobile=reminders.masked(reminder["mobile"]) if reminder else "",
                reminder_ahead=reminder["ahead"] if reminder else None,
                levels=phone_ratings.LEVELS, levels_en=phone_ratings.LEVELS_EN,
                problems=phone_ratings.problem_options(config),
                notice=request.query_params.get("done", ""),
                texts={"skipped": (SKIPPED_ZH, SKIPPED_EN), "expired": (EXPIRED_ZH, EXPIRED_EN),
                       "cancelled": (CANCELLED_ZH, CANCELLED_EN)})


@router.get("/t/{token}/events")
async def status_stream(request: Request, token: str):
    row, refusal = await _ticket(request, token)
    if refusal is not None:
        return refusal
    limits = _limits(request)
    if not limits.streams.allow(limits.client(request)):
        return _too_many(request)
    return await _stream(request, row["id"], row["service"])


async def _stream(request: Request, ticket_id: int | None, service: str | None) -> Response:
    feed = _feed(request)
    s = feed.attach(ticket_id, service)
    if s is None:  # too many open: the page polls instead
        return Response(status_code=503, headers={"Retry-After": "30"})
    try:
        if ticket_id is None:
            body = await asyncio.to_thread(feed.hall_now)
            with feed._lock:
                feed.hall_frame = feed.hall_frame or body
        else:
            status = await asyncio.to_thread(feed.current, ticket_id)
            body = json.dumps(status, ensure_ascii=False, separators=(",", ":")).encode()
            s.last = body
    except BaseException:
        feed.detach(s)
        raise
    first = phone_feed.frame_of(body, feed.last_event_id)
    return PhoneStreamResponse(feed, s, first)


@router.post("/t/{token}/remind")
async def remind(request: Request, token: str):
    row, refusal = await _ticket(request, token)
    if refusal is not None:
        return refusal
    form = await _form(request)
    limits = _limits(request)
    mobile = reminders.clean_mobile(str(form.get("mobile", "")))
    try:
        ahead = form_int(form.get("ahead", request.app.state.config.notify.ahead))
    except (TypeError, ValueError):
        ahead = -1
    if mobile is None or not 0 <= ahead <= 50:
        return _refuse(request, token, "请填写正确的手机号码（11位）", "Please enter a valid 11-digit mobile number")
    if not limits.remind_ip.allow(limits.client(request)) or not limits.remind_mobile.allow(mobile):
        return _too_many(request, 600)
    if row["status"] not in ("waiting", "called"):
        return _refuse(request, token, "这张票已不在等候，无需提醒", "This ticket is no longer waiting")
    queue = request.app.state.queue

    def save() -> None:
        with queue.transaction() as (c, now):
            reminders.add(c, row["id"], mobile, ahead, now.timestamp())
    await asyncio.to_thread(save)
    _feed(request).kick(row["id"])
    return _done(request, token, "remind")


@router.post("/t/{token}/rate")
async def rate(request: Request, token: str):
    row, refusal = await _ticket(request, token)
    if refusal is not None:
        return refusal
    limits = _limits(request)
    if not limits.writes.allow(limits.client(request)):
        return _too_many(request)
    form = await _form(request)
    if row["status"] != "finished":
        return _refuse(request, token, "办结后才能评价", "You can rate once your matter is finished", 409)
    try:
        level = form_int(form.get("level", 0))
    except (TypeError, ValueError):
        level = 0
    problems = form.getlist("problems") if hasattr(form, "getlist") else list(form.get("problems") or [])
    text = str(form.get("comment", ""))
    queue = request.app.state.queue
    try:
        recorded = await asyncio.to_thread(phone_ratings.rate, queue, row["id"], level, problems, text)
    except HallError as e:
        return _refuse(request, token, e.zh or str(e), str(e))
    if not recorded:
        return _refuse(request, token, "这张票已经评价过了，谢谢！", "This ticket has been rated already. Thank you!", 409)
    _feed(request).kick(row["id"])
    return _done(request, token, "rated")


async def _form(request: Request):
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}
    return await request.form()


def _refuse(request: Request, token: str, zh: str, en: str, status: int = 400) -> Response:
    if _wants_json(request) or request.headers.get("content-type", "").startswith("application/json"):
        return _json({"error": {"code": "invalid", "message": zh, "message_en": en}}, status)
    return error_page(request, status, zh, en)


def _done(request: Request, token: str, what: str) -> Response:
    if _wants_json(request) or request.headers.get("content-type", "").startswith("application/json"):
        return _json({"ok": True, "done": what})
    return RedirectResponse(f"/t/{token}?done={what}", status_code=303)


@router.get("/hall")
async def hall_page(request: Request):
    limits = _limits(request)
    if not limits.lookups.allow(limits.client(request)):
        return _too_many(request)
    feed = _feed(request)
    data = json.loads(await asyncio.to_thread(feed.hall_now))
    if _wants_json(request):
        return _json(data)
    return page(request, "phone_hall.html", h=data)


@router.get("/hall/events")
async def hall_stream(request: Request):
    limits = _limits(request)
    if not limits.streams.allow(limits.client(request)):
        return _too_many(request)
    return await _stream(request, None, None)
