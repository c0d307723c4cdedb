"""Reads: health, the configuration, the hall snapshot, windows, tickets, appointments and
the event log as JSON. They use the server's read-only connections (``app.state.reads``,
``app.state.figures``), never the queue's, so a read does not wait behind a write."""
from __future__ import annotations

import json
import time
from datetime import datetime

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from hall.clock import business_day
from hall.errors import DatabaseProblem, UnknownTicket

from ..deps import REFUSALS, require
from ..models import (MAX_ID, MAX_WINDOW, AppointmentOut, ConfigOut, EventLogOut, HealthOut, WhoAmIOut, SnapshotOut,
                      TicketOut, WindowOut)

router = APIRouter(tags=["reads"])
reader = Depends(require("read"))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).isoformat(timespec="seconds")


def _open(state, svc, now: datetime) -> bool:
    """Whether ``svc`` takes tickets at ``now`` (its periods parsed once per app)."""
    periods = state.periods.get(svc.code)
    if periods is None:
        periods = state.periods[svc.code] = svc.periods() if svc.hours else []
    t = now.time()
    return not periods or any(a <= t < b for a, b in periods)


@router.get("/whoami", response_model=WhoAmIOut, summary="who this credential is: kind, name, role, windows")
def whoami(p=reader) -> dict:
    return {"kind": p.kind, "name": p.name, "role": p.role, "windows": list(p.windows),
            "display_name": p.display_name}


@router.get("/health", response_model=HealthOut, summary="is the server up (anonymous)")
def health(request: Request) -> dict:
    s = request.app.state
    return {"ok": True, "hall": s.config.hall.name, "hall_id": s.hall_id, "version": s.version,
            "last_event_id": s.reads.last_event_id()}


@router.get("/config", response_model=ConfigOut, responses=REFUSALS, dependencies=[reader],
            summary="the hall's configuration file as the server loaded it")
def config(request: Request) -> dict:
    s = request.app.state
    return {"hall_id": s.hall_id, "name": s.config.hall.name, "digest": s.config_digest, "toml": s.config_text}


@router.get("/hall", response_model=SnapshotOut, responses=REFUSALS, dependencies=[reader],
            summary="the hall now: services with waiting counts and estimated waits, windows")
def hall(request: Request) -> Response:
    s = request.app.state
    last_id = s.reads.last_event_id()  # first: a client asking ?after=last_id then misses nothing
    # every screen, kiosk and caller asks for this; one answer serves all who ask while the
    # database has not changed (data_version: any commit, event or not) within a second
    # (the waits it estimates move by the minute)
    key = (s.reads.data_version(), last_id, int(time.monotonic()),
           s.figures.clock().replace(second=0, microsecond=0))
    cached = getattr(s, "hall_answer", None)
    if cached is not None and cached[0] == key:
        return Response(cached[1], media_type="application/json")
    body = _hall_body(s, last_id)
    s.hall_answer = (key, body)
    return Response(body, media_type="application/json")


def _hall_body(s, last_id: int) -> bytes:
    figures = s.figures.snapshot()
    if not figures.ok:
        raise DatabaseProblem("busy", s.reads.path, "排队数据库刚才读不出来 (the queue database could not be "
                              "read just now)", "过一会儿再试 (try again in a moment)")
    windows = s.reads.window_states()
    now = figures.taken_at
    services = []
    for svc in s.config.services:
        f = figures.services[svc.code]
        services.append({
            "code": svc.code, "name": svc.name, "name_en": svc.name_en, "prefix": svc.ticket_prefix,
            "zone": svc.zone, "waiting": f.waiting, "issued_today": f.issued_today,
            "handling_minutes": f.handling_minutes, "measured": f.measured, "windows_open": f.windows_open,
            "wait_minutes": f.wait_minutes, "open_now": _open(s, svc, now),
            "daily_cap": svc.daily_cap, "stopped": f.stopped})
    # returned as it is: the response model documents it, validating 250 records again would
    # cost more than building them
    return json.dumps({"hall": {"name": s.config.hall.name, "hall_id": s.hall_id}, "day": business_day(now),
                       "now": now.isoformat(timespec="seconds"), "last_event_id": last_id,
                       "services": services, "windows": [w.to_json() for w in windows]},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@router.get("/windows/{n}", response_model=WindowOut, responses=REFUSALS, dependencies=[reader],
            summary="one window")
def window(request: Request, n: int = Path(ge=1, le=MAX_WINDOW)) -> dict:
    return request.app.state.reads.window_state(n).to_json()


@router.get("/tickets/by-id/{ticket_id}", response_model=TicketOut, responses=REFUSALS, dependencies=[reader],
            summary="a ticket by its id")
def ticket_by_id(request: Request, ticket_id: int = Path(ge=1, le=MAX_ID)) -> dict:
    return request.app.state.reads.ticket(ticket_id).to_json()


@router.get("/tickets/{number}", response_model=TicketOut, responses=REFUSALS, dependencies=[reader],
            summary="a ticket by its number on a day (default today)")
def ticket_by_number(request: Request, number: str = Path(min_length=1, max_length=16),
                     day: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$")) -> dict:
    return request.app.state.reads.ticket_by_number(number, day).to_json()


@router.get("/appointments/{code}", response_model=AppointmentOut, responses=REFUSALS, dependencies=[reader],
            summary="a booked appointment")
def appointment(request: Request, code: str = Path(min_length=1, max_length=64)) -> dict:
    a = request.app.state.figures.appointment(code)
    if a is None:
        raise UnknownTicket(f"no appointment {code!r}", zh=f"没有预约号 {code}")
    return {"code": a.code, "service": a.service, "name": a.name, "slot_at": _iso(a.slot_at), "day": a.day,
            "ticket_id": a.ticket_id}


@router.get("/events/log", response_model=EventLogOut, responses=REFUSALS, dependencies=[reader],
            summary="the event log as JSON, oldest first")
def event_log(request: Request, after: int = Query(0, ge=0, le=MAX_ID),
              limit: int = Query(500, ge=1, le=5000)) -> JSONResponse:
    events = request.app.state.reads.events_after(after, limit)
    return JSONResponse({"events": [e.to_json() for e in events], "last_id": events[-1].id if events else after})
