"""The citizens' booking pages (预约), on both listeners (docs/booking.md):

``/book`` service → ``/book/{service}`` day → ``/book/{service}/{day}`` slot →
``/book/{service}/{day}/{HHMM}`` form → the booking code and its QR code (an inline
SVG of the code itself, which the kiosk's scanner reads); ``/book/mine`` finds a booking
by code and mobile number and cancels it. Plain HTML forms: every step works without
JavaScript. Personal data travels only in POST bodies, never in a URL or the log; the
result page shows it masked. Rate limits per IP address (booking, look-ups) and per
mobile number (booking), counted in the database so a restart does not reset them.
A form carries a one-time ``form_id`` used as the Idempotency-Key: a double tap or a
reload books once and shows the same code.
"""
from __future__ import annotations

import logging
import secrets
from datetime import date, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hall import booking_slots as bs
from hall.bookings import BookingSuspended, TooManyBookings
from hall.errors import HallError
from hall.idempotency import run_once

from .render import error_page, page

log = logging.getLogger(__name__)
router = APIRouter(prefix="/book", include_in_schema=False)

WEEK_ZH = "一二三四五六日"
WEEK_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_labels(d: date) -> tuple[str, str]:
    return f"{d.month}月{d.day}日 周{WEEK_ZH[d.weekday()]}", f"{WEEK_EN[d.weekday()]} {d.day} {MONTH_EN[d.month - 1]}"


def _services(request: Request) -> list:
    config = request.app.state.config
    return [config.service(code) for code in bs.bookable_services(config)]


def _service(request: Request, code: str):
    return next((s for s in _services(request) if s.code == code), None)


def _not_found(request: Request) -> Response:
    return error_page(request, 404, "没有这个预约页面，请从预约首页重新选择", "No such booking page; please start again")


def _day(request: Request, text: str) -> date | None:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        return None
    return d if d in request.app.state.queue.booking_days() else None


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("")
def services(request: Request) -> Response:
    return page(request, "book_choose.html", step="service", services=_services(request))


@router.get("/mine")
def mine_form(request: Request) -> Response:
    return page(request, "book_mine.html", booking=None, error=None)


@router.post("/mine")
def mine_lookup(request: Request, code: str = Form("", max_length=200),
                mobile: str = Form("", max_length=200)) -> Response:
    q = request.app.state.queue
    b = request.app.state.config.booking
    try:
        q.count_attempt("lookup-ip", _ip(request), b.lookups_per_ip_hour, 3600)
    except TooManyBookings as e:
        return page(request, "book_mine.html", status=429, booking=None, error=e)
    found = q.booking(code) if code.strip() else None
    try:
        ok = found is not None and q.booking_mobile_matches(found.code, mobile)
    except HallError:
        ok = False
    if not ok:
        return page(request, "book_mine.html", status=404, booking=None,
                    error=HallError("no booking with that code and mobile number",
                                    zh="没有找到这个预约（请核对预约码和手机号码）"))
    return page(request, "book_mine.html", booking=found, mobile=mobile, error=None)


@router.post("/cancel")
def cancel(request: Request, code: str = Form("", max_length=200), mobile: str = Form("", max_length=200)) -> Response:
    q = request.app.state.queue
    try:
        q.count_attempt("lookup-ip", _ip(request), request.app.state.config.booking.lookups_per_ip_hour, 3600)
        b = q.cancel_booking(code, mobile=mobile, by="web")
    except HallError as e:
        status = 429 if isinstance(e, TooManyBookings) else 409
        return page(request, "book_mine.html", status=status, booking=q.booking(code) if code else None,
                    mobile=mobile, error=e)
    return page(request, "book_done.html", booking=b, cancelled=True, qr="")


@router.get("/{service}")
def days(request: Request, service: str) -> Response:
    svc = _service(request, service)
    if svc is None:
        return _not_found(request)
    q = request.app.state.queue
    out = []
    for d in q.booking_days():
        slots = q.booking_slots(svc.code, d)
        left = sum(s["left"] for s in slots if s["open"])
        out.append({"day": d.isoformat(), "labels": day_labels(d), "left": left, "any": bool(slots)})
    return page(request, "book_choose.html", step="day", service=svc, days=[d for d in out if d["any"]])


@router.get("/{service}/{day}")
def slots(request: Request, service: str, day: str) -> Response:
    svc, d = _service(request, service), _day(request, day)
    if svc is None or d is None:
        return _not_found(request)
    return page(request, "book_choose.html", step="slot", service=svc, day=d.isoformat(), labels=day_labels(d),
                slots=request.app.state.queue.booking_slots(svc.code, d))


def _slot(request: Request, service: str, day: str, hhmm: str):
    svc, d = _service(request, service), _day(request, day)
    if svc is None or d is None or len(hhmm) != 4 or not hhmm.isdigit():
        return None, None, None
    start = f"{d.isoformat()}T{hhmm[:2]}:{hhmm[2:]}"
    slot = next((s for s in request.app.state.queue.booking_slots(svc.code, d) if s["start"] == start), None)
    return svc, d, slot


def _form(request: Request, svc, d: date, slot: dict, status: int = 200, error=None, name: str = "",
          mobile: str = "") -> Response:
    return page(request, "book_form.html", status=status, service=svc, day=d.isoformat(), labels=day_labels(d),
                slot=slot, error=error, name=name, mobile=mobile, form_id=secrets.token_urlsafe(16),
                suspended=getattr(error, "code", "") == BookingSuspended.code)


@router.get("/{service}/{day}/{hhmm}")
def form(request: Request, service: str, day: str, hhmm: str) -> Response:
    svc, d, slot = _slot(request, service, day, hhmm)
    if slot is None:
        return _not_found(request)
    return _form(request, svc, d, slot)


@router.post("/{service}/{day}/{hhmm}")
def submit(request: Request, service: str, day: str, hhmm: str, name: str = Form("", max_length=200),
           mobile: str = Form("", max_length=200), id_number: str = Form("", max_length=200),
           form_id: str = Form("", max_length=64)) -> Response:
    svc, d, slot = _slot(request, service, day, hhmm)
    if slot is None:
        return _not_found(request)
    q = request.app.state.queue
    b = request.app.state.config.booking
    start = datetime.fromisoformat(slot["start"])
    try:
        q.count_attempt("book-ip", _ip(request), b.per_ip_hour, 3600)
        try:
            mobile_key = bs.normalize_mobile(mobile)
        except ValueError:
            mobile_key = ""
        if mobile_key:
            q.count_attempt("book-mobile", mobile_key, b.per_mobile_day, 86400)
    except TooManyBookings as e:
        return _form(request, svc, d, slot, 429, e, name, mobile)

    def attempt():
        return 201, q.book(svc.code, start, name, mobile, id_number, channel="web", by="web").to_json()

    try:
        if form_id:
            fp = q.keyed_digest("|".join((svc.code, slot["start"], name, mobile, id_number)))
            status, body, _ = run_once(q, "web:book", form_id, "POST", "/book", fp, attempt)
        else:
            status, body = attempt()
    except HallError as e:
        return _form(request, svc, d, slot, 409, e, name, mobile)
    if status >= 400:  # a refusal kept for this form_id: show it, with a fresh form
        err = body.get("error", {}) if isinstance(body, dict) else {}
        e = HallError(err.get("message_en", ""), zh=err.get("message", ""))
        e.code = err.get("code", "error")
        return _form(request, svc, d, slot, status, e, name, mobile)
    return page(request, "book_done.html", status=201, booking=body, cancelled=False, qr=qr_svg(body["code"]))


def qr_svg(text: str) -> str:
    """An inline SVG QR code of ``text`` (no request, no outside asset). The mask pattern is
    fixed: choosing the best of eight costs ~20 ms of CPU per page and scanners read any."""
    import qrcode
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=2)
    q.add_data(text)
    q.make(fit=True)
    m = q.get_matrix()
    n = len(m)
    path = "".join(f"M{x},{y}h1v1h-1z" for y, row in enumerate(m) for x, dark in enumerate(row) if dark)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" shape-rendering="crispEdges" '
            f'role="img"><rect width="{n}" height="{n}" fill="#fff"/><path d="{path}" fill="#000"/></svg>')
