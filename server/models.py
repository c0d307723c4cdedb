"""The request and response bodies of the hall API: the OpenAPI document is built from
these, so they are the contract clients code against (docs/api.md).

Requests refuse unknown fields and values of the wrong type (422 ``bad_request``);
what the hall itself cannot take (score 7, an unknown service) is the queue's to say."""
from __future__ import annotations

from typing import Annotated, Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

MAX_WINDOW = 9999            # window numbers in a hall; anything larger is a typo
MAX_ID = 2 ** 62             # ticket ids: SQLite integers, never near this
MAX_TEXT = 200


class Request_(BaseModel):
    """Base of request bodies: unknown fields are refused, types are not guessed."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Response_(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- errors ---------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine code: invalid, unauthorized, bad_login, forbidden, unknown_service, "
                                  "unknown_window, unknown_ticket, closed, cap, window_state, "
                                  "idempotency_mismatch, bad_request, too_many_attempts, database")
    message: str = Field(description="Chinese sentence for the person who acted")
    message_en: str = Field(description="the same in English")


class ErrorOut(BaseModel):
    error: ErrorDetail


# -- records ----------------------------------------------------------------------------
class TicketOut(Response_):
    """``hall.models.Ticket.to_json()``"""

    id: int
    day: str
    number: str
    seq: int
    service: str
    service_name: str
    kind: str = Field(description="normal | priority | appointment")
    priority: bool
    status: str = Field(description="waiting | called | finished | skipped | expired | cancelled")
    window: Optional[int]
    ahead: int
    issued_at: str
    called_at: Optional[str]
    finished_at: Optional[str]
    transfers: int
    target_window: Optional[int]
    appointment: Optional[str]
    cancel_reason: Optional[str]
    token: Optional[str] = Field(None, description="the status page's unguessable key (32 hex digits: "
                                                   "4 of the day, 112 random bits)")
    status_url: Optional[str] = Field(None, description="the status page's full URL: what the ticket's QR code "
                                                        "holds (`[server] public_url` + `/t/` + token)")


class WindowOut(Response_):
    """``hall.models.WindowState.to_json()``"""

    number: int
    state: str = Field(description="closed | idle | serving | paused")
    pause_reason: Optional[str]
    current: Optional[str]
    current_ticket: Optional[TicketOut]
    last_ticket: Optional[TicketOut] = Field(description="the ticket finished here last (the one a rating is for)")
    waiting: int
    staff: Optional[str]
    department: str
    services: list[str]


class ServiceOut(Response_):
    code: str
    name: str
    name_en: str
    prefix: str
    zone: str
    waiting: int
    issued_today: int
    handling_minutes: float
    measured: bool
    windows_open: int
    wait_minutes: int
    open_now: bool
    daily_cap: Optional[int]
    stopped: Optional[str] = None  # 暂停取号 today: the manager's reason (docs/manage.md)


class HallName(Response_):
    name: str
    hall_id: str


class SnapshotOut(Response_):
    hall: HallName
    day: str
    now: str
    last_event_id: int
    services: list[ServiceOut]
    windows: list[WindowOut]


class HealthOut(Response_):
    ok: bool
    hall: str
    hall_id: str
    version: str
    last_event_id: int


class WhoAmIOut(Response_):
    kind: str
    name: str
    role: str
    windows: list[int]
    display_name: str


class ConfigOut(Response_):
    hall_id: str
    name: str
    digest: str = Field(description="SHA-256 of the TOML text, hex")
    toml: str


class AppointmentOut(Response_):
    code: str
    service: str
    name: str
    slot_at: str
    day: str
    ticket_id: Optional[int]


class EventOut(Response_):
    """``hall.models.Event.to_json()``"""

    id: int
    at: str
    day: str
    kind: str
    window: Optional[int]
    ticket_id: Optional[int]
    number: Optional[str]
    service: Optional[str]
    data: dict[str, Any]


class EventLogOut(Response_):
    events: list[EventOut]
    last_id: int


class AddedOut(Response_):
    added: int


class LoggedOut(Response_):
    id: int


class SessionOut(Response_):
    token: str
    staff: str
    name: str
    role: str
    window: Optional[int]
    expires_at: str


class ReportOut(Response_):
    """As ``jiaohao report --json`` (docs/reports.md)."""

    hall: str
    days: int
    by: str
    generated_at: str
    total: dict[str, Any]
    rows: list[dict[str, Any]]
    arrivals_by_hour: dict[str, int]
    wait_by_service: list[dict[str, Any]]
    satisfaction_definition: str


# -- requests ---------------------------------------------------------------------------
Name = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
WindowNumber = Annotated[int, Field(ge=1, le=MAX_WINDOW)]


class IssueIn(Request_):
    service: Name
    priority: bool = False
    kiosk: Optional[Name] = Field(None, description="defaults to the device's name; a kiosk device always "
                                                    "records its own name")


class CheckinIn(Request_):
    code: Name
    kiosk: Optional[Name] = None


class CancelIn(Request_):
    reason: Name = Field(description="e.g. print_failed")


class AppointmentIn(Request_):
    model_config = ConfigDict(extra="forbid", strict=False)  # "slot" is an ISO time string

    code: Name
    service: Name
    slot: Annotated[str, Field(min_length=10, max_length=40, description="ISO time, e.g. 2026-11-30T09:30")]
    name: Annotated[str, Field(max_length=MAX_TEXT)] = ""


class AppointmentsIn(Request_):
    appointments: Annotated[list[AppointmentIn], Field(max_length=20_000)]


class CallNumberIn(Request_):
    number: Union[Annotated[int, Field(ge=0, le=99_999)], Annotated[str, Field(min_length=1, max_length=16)]] = \
        Field(description='"A023", or 23: that number within the window\'s prefixes')


class TransferIn(Request_):
    to_service: Optional[Name] = None
    to_window: Optional[Annotated[int, Field(ge=0, le=MAX_ID)]] = None


class PauseIn(Request_):
    reason: Optional[Annotated[str, Field(max_length=32)]] = Field(None, description="away | lunch | meeting")


class RateIn(Request_):
    score: Annotated[int, Field(ge=-MAX_ID, le=MAX_ID, description="5 非常满意 … 1 非常不满意")]


class WindowLoginIn(Request_):
    staff: Name = Field(description="工号; a staff session may log in only itself")


class NoticeIn(Request_):
    kind: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="printer, device_offline …")]
    window: Optional[WindowNumber] = None
    data: dict[str, Any] = Field(default_factory=dict)


class LoginIn(Request_):
    staff: Name
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    window: Optional[WindowNumber] = None


# -- bookings (docs/booking.md) -------------------------------------------------------------
class BookIn(Request_):
    service: Name
    start: Annotated[str, Field(min_length=16, max_length=25, description="the slot's start, e.g. 2026-11-30T09:30")]
    name: Annotated[str, Field(min_length=1, max_length=40)]
    mobile: Annotated[str, Field(min_length=11, max_length=20)]
    id_number: Annotated[str, Field(min_length=15, max_length=24, description="居民身份证号码; kept only as a hash")]


class BookingCancelIn(Request_):
    mobile: Optional[Annotated[str, Field(max_length=20)]] = None


class LiftIn(Request_):
    reason: Annotated[str, Field(min_length=2, max_length=200)]


class BookingOut(Response_):
    """``hall.bookings.BookingInfo.to_json()``: name, mobile and ID number masked."""

    code: str
    service: str
    service_name: str
    day: str
    start: str
    end: str
    status: str = Field(description="booked | checked_in | cancelled | no_show")
    channel: str
    name: str
    mobile: str
    id_number: str
    ticket_id: Optional[int]
    cancellable: bool


class SlotOut(Response_):
    service: str
    start: str
    end: str
    label: str
    capacity: int
    left: int
    open: bool


class SlotsOut(Response_):
    days: list[str]
    slots: list[SlotOut]


class SuspensionOut(Response_):
    id: int
    id_number: str
    since: str
    until: str
    no_shows: list[str]
    active: bool
    lifted_at: Optional[str]
    lifted_by: Optional[str]
    lift_reason: Optional[str]
