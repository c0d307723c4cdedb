"""Heartbeats of the hall's client PCs and the list of them (docs/network.md, "Which PCs
are connected"): ``POST /heartbeat`` from each kiosk, screen and software caller every
``[client] heartbeat_s``, ``GET /clients`` for technicians, managers and `diag check`.

A heartbeat is its own idempotent write: a repeat only refreshes the time seen, so it
takes no ``Idempotency-Key`` record (one would be a database write per beat)."""
from __future__ import annotations

import time
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hall.access import Principal
from hall.clock_offset import ClockOffset

from ..deps import REFUSALS, authenticated, guard, require
from ..models import MAX_ID, Request_, Response_, WindowNumber

router = APIRouter(tags=["clients"])

Text40 = Annotated[str, Field(max_length=40)]
Text80 = Annotated[str, Field(max_length=80)]
Seconds = Annotated[float, Field(ge=-1e10, le=1e11)]


class HeartbeatIn(Request_):
    app: Literal["kiosk", "screen", "caller", "other"] = Field(description="which app sends it")
    instance: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="fixed for one run of the app: a new one starts a new 'connected since'")
    window: Optional[WindowNumber] = None
    last_event_id: Optional[Annotated[int, Field(ge=0, le=MAX_ID)]] = Field(
        None, description="the newest event the app has (its lag is the server's newest minus this)")
    stream: Text40 = Field("", description="the app's event stream: connected, disconnected, polling …")
    client_time: Optional[Seconds] = Field(None, description="the PC's wall clock when it sent this (epoch s)")
    offset_s: Optional[Seconds] = Field(None, description="the PC's clock minus the server's, measured by the "
                                                          "last heartbeat's round trip (hall/clock_offset.py)")
    uncertainty_s: Optional[Annotated[float, Field(ge=0, le=1e6)]] = None
    host: Text80 = ""
    version: Text40 = ""


class HeartbeatOut(Response_):
    server_time: float = Field(description="the server's wall clock while it handled this (epoch s)")
    last_event_id: int
    heartbeat_s: float
    max_clock_skew_s: float
    offset_s: Optional[float] = Field(description="the offset the server holds for this PC now")
    clock_skewed: bool
    connected_since: float


class ClientOut(BaseModel):
    name: str
    role: str
    app: str
    window: Optional[int]
    credential: str
    address: str
    host: str
    version: str
    connected: bool = Field(description="a heartbeat came within three intervals")
    since: Optional[float] = Field(description="server wall clock of the first heartbeat of this connection")
    last_seen: float
    seen_ago_s: float
    last_event_id: Optional[int]
    lag: Optional[int] = Field(description="events the PC did not have yet at its last heartbeat")
    stream: str
    offset_s: Optional[float] = Field(description="the PC's clock minus the server's (positive: ahead)")
    offset_uncertainty_s: Optional[float]
    clock_skewed: bool = Field(description="abs(offset_s) > [server] max_clock_skew_s")
    heartbeats: int
    streams: int = Field(0, description="event streams this credential has open now")


class ClientsOut(Response_):
    server_time: float
    last_event_id: int
    heartbeat_s: float
    max_clock_skew_s: float
    clients: list[ClientOut]


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/heartbeat", response_model=HeartbeatOut, **guard("heartbeat"),
             summary="a client PC says it is alive, how far it has read, and its clock")
def heartbeat(body: HeartbeatIn, request: Request, p: Principal = Depends(authenticated)) -> dict:
    received = time.time()
    s = request.app.state
    registry = s.clients
    last_id = s.reads.last_event_id()
    offset = None
    if body.offset_s is not None:
        offset = ClockOffset(body.offset_s, body.uncertainty_s or 0.0, received, "round-trip")
    rec = registry.beat(f"{p.kind}:{p.name}", p.name, p.role, app=body.app, instance=body.instance,
                        window=body.window, last_event_id=body.last_event_id, server_last_id=last_id,
                        stream=body.stream, client_time=body.client_time, offset=offset, address=_address(request),
                        host=body.host, version=body.version, received_at=received)
    return {"server_time": time.time(), "last_event_id": last_id, "heartbeat_s": registry.heartbeat_s,
            "max_clock_skew_s": registry.max_skew_s, "offset_s": rec.offset_s,
            "clock_skewed": rec.view(received, last_id, registry.heartbeat_s, registry.max_skew_s)["clock_skewed"],
            "connected_since": rec.connected_since}


@router.get("/clients", response_model=ClientsOut, responses=REFUSALS, dependencies=[Depends(require("read"))],
            summary="the kiosks, screens and callers: connected, since when, how far behind, clock offset")
def clients(request: Request) -> dict:
    s = request.app.state
    last_id = s.reads.last_event_id()
    streams = s.event_hub.streams_by_name()
    views = s.clients.views(last_id)
    for v in views:
        v["streams"] = streams.get(v["name"], 0)
    return {"server_time": time.time(), "last_event_id": last_id, "heartbeat_s": s.clients.heartbeat_s,
            "max_clock_skew_s": s.clients.max_skew_s, "clients": views}
