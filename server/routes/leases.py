"""Kiosk number leases and offline tickets (docs/api.md "Offline issue"): a kiosk takes
its leases, uploads what it issued while the server could not be reached, gives its
leases back; everyone may read which kiosks hold leases and whose clock is off."""
from __future__ import annotations

from typing import Annotated, Optional

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from hall.clock import business_day
from hall.leases import MAX_UPLOAD, LeaseBook

from ..deps import REFUSALS, Write, guard, require, writer
from ..errors import ApiError
from ..models import MAX_TEXT, Request_, Response_

router = APIRouter(tags=["leases"])

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Epoch = Annotated[float, Field(ge=0, le=5e9, description="the kiosk's clock, epoch seconds")]


class LeasesIn(Request_):
    kiosk_time: Optional[Epoch] = Field(None, description="the kiosk's clock now: the server measures its offset")
    prefixes: Optional[Annotated[list[Annotated[str, Field(min_length=1, max_length=8)]], Field(max_length=100)]] = \
        Field(None, description="ticket prefixes wanted (default: every prefix of the hall)")


class OfflineTicketIn(Request_):
    local_id: Text = Field(description="the kiosk's own id of the ticket: the same id is merged once")
    lease: Annotated[int, Field(ge=1, le=2 ** 62)]
    seq: Annotated[int, Field(ge=1, le=99_999)]
    service: Text
    priority: bool = False
    kiosk_time: Epoch = Field(description="the kiosk's clock when it printed the ticket")
    offset_s: Optional[Annotated[float, Field(ge=-1e9, le=1e9)]] = \
        Field(None, description="server time minus kiosk time as the kiosk last measured it")
    cancel_reason: Optional[Text] = Field(None, description="the ticket was voided on the kiosk (print_failed)")
    supersedes: Optional[Text] = Field(None, description="Idempotency-Key of the online issue this ticket replaced")
    token: Optional[Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]] = \
        Field(None, description="the status-page token the kiosk printed in the QR code (kept when unused)")


class OfflineTicketsIn(Request_):
    sent_at: Optional[Epoch] = Field(None, description="the kiosk's clock as it sends")
    tickets: Annotated[list[OfflineTicketIn], Field(max_length=MAX_UPLOAD)]


class LeaseOut(Response_):
    id: int
    day: str
    prefix: str
    first_seq: int
    last_seq: int
    used: int
    state: str


class LeasesOut(Response_):
    day: str
    server_time: float = Field(description="hall time, epoch seconds (the kiosk's clock offset comes from it)")
    now: str
    offline_max_minutes: int
    status_base: str = Field("", description="the citizens' pages' address: an offline ticket's QR code is "
                                             "status_base + /t/ + its token")
    leases: list[LeaseOut]


class MergedOut(Response_):
    results: list[dict] = Field(description='per ticket, in the order sent: {"local_id", "result": "merged" | '
                                            '"already" | "refused", "ticket" or "error"}')
    merged: int
    server_time: float


class KiosksOut(Response_):
    kiosks: list[dict]


def _kiosk_name(w: Write, what: str, what_zh: str) -> str:
    p = w.principal
    if p.kind != "device" or p.role != "kiosk":
        raise ApiError("forbidden", f"只有取号机能{what_zh}", f"only a kiosk device may {what}")
    return p.name


def _book(request_or_write) -> LeaseBook:
    app = request_or_write.app
    book = getattr(app.state, "lease_book", None)
    if book is None:
        book = app.state.lease_book = LeaseBook(app.state.queue)
    return book


@router.post("/leases", response_model=LeasesOut, **guard("lease"),
             summary="this kiosk's number leases for today (kept while unused, renewed when used offline)")
def take_leases(body: LeasesIn, w: Write = Depends(writer)) -> object:
    name = _kiosk_name(w, "hold number leases", "预留号段")
    return w.run(lambda: _book(w).grant(name, body.kiosk_time, body.prefixes), body)


@router.post("/leases/tickets", response_model=MergedOut, **guard("lease"),
             summary="merge the tickets this kiosk issued offline, in issue-time order (once per local_id)")
def upload(body: OfflineTicketsIn, w: Write = Depends(writer)) -> object:
    name = _kiosk_name(w, "upload offline tickets", "上传离线票")
    tickets = [t.model_dump() for t in body.tickets]
    return w.run(lambda: _book(w).merge(name, tickets, body.sent_at), body)


@router.post("/leases/return", **guard("lease"), summary="give back this kiosk's open leases (nothing left to send)")
def give_back(w: Write = Depends(writer)) -> object:
    name = _kiosk_name(w, "give leases back", "归还号段")
    return w.run(lambda: _book(w).give_back(name))


class ClockOut(Response_):
    server_time: float = Field(description="hall time, epoch seconds")


@router.get("/leases/clock", response_model=ClockOut, responses=REFUSALS,
            summary="the server's hall time (a kiosk measures its clock offset against it every second)")
def clock(request: Request, _p=Depends(require("read"))) -> dict:
    return {"server_time": request.app.state.queue.clock().timestamp()}


@router.get("/leases", response_model=KiosksOut, responses=REFUSALS,
            summary="kiosks with leases today: open leases, offline tickets merged, clock offset and skew flag")
def kiosks(request: Request, _p=Depends(require("read"))) -> dict:
    reads = request.app.state.reads
    with reads._lock:
        return {"kiosks": _book(request).kiosks(reads._conn, business_day(reads.clock()))}
