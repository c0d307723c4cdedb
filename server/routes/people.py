"""People and devices in the browser (as `jiaohao staff …` and `jiaohao devices …` do):
staff accounts and roles, device tokens enrolled and revoked. Manager role only.

These writes are not kept for Idempotency-Key replays: a password must not be hashed
inside the queue's write transaction, and a device token must never be stored. Each is
safe to retry anyway: a second add of the same 工号 or device name is refused in words,
a second revoke says it is revoked already, a password set twice is the same password."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..deps import REFUSALS, guard, require, writer, Write
from ..manage_models import DeviceIn, DeviceNameIn, StaffIn, StaffNumberIn, StaffPasswordIn

router = APIRouter(tags=["manage"])
manager = Depends(require("manage"))


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts).isoformat(timespec="seconds") if ts else None


def _record(w: Write, action: str, target: str, **data) -> None:
    p = w.principal
    w.queue.log_event("manage_action", None, action=action, target=target, why="", by=p.name,
                      by_name=p.display_name, **data)


def _member(m) -> dict:
    return {"staff": m.staff, "name": m.name, "role": m.role, "created_at": _iso(m.created_at),
            "disabled_at": _iso(m.disabled_at), "active": m.disabled_at is None}


def _device(d) -> dict:
    return {"name": d.name, "role": d.role, "windows": list(d.windows), "created_at": _iso(d.created_at),
            "revoked_at": _iso(d.revoked_at), "last_seen_at": _iso(d.last_seen_at), "active": d.revoked_at is None}


@router.get("/staff", responses=REFUSALS, dependencies=[manager], summary="every staff account")
def staff_list(request: Request) -> JSONResponse:
    return JSONResponse([_member(m) for m in request.app.state.access.staff()])


@router.post("/staff", status_code=201, **guard("manage"), summary="add a staff account (工号, name, role, password)")
def staff_add(body: StaffIn, w: Write = Depends(writer)) -> JSONResponse:
    m = w.app.state.access.add_staff(body.staff, body.name, body.role, body.password)
    _record(w, "staff_add", f"staff:{m.staff}", role=m.role)
    return JSONResponse(_member(m), status_code=201)


@router.post("/staff/password", **guard("manage"), summary="a new password; that person's logins end")
def staff_password(body: StaffPasswordIn, w: Write = Depends(writer)) -> JSONResponse:
    w.app.state.access.set_password(body.staff, body.password)
    _record(w, "staff_password", f"staff:{body.staff}")
    return JSONResponse({"staff": body.staff, "changed": True})


@router.post("/staff/disable", **guard("manage"), summary="no more logins for this person (open ones end)")
def staff_disable(body: StaffNumberIn, w: Write = Depends(writer)) -> JSONResponse:
    m = w.app.state.access.disable_staff(body.staff)
    _record(w, "staff_disable", f"staff:{m.staff}")
    return JSONResponse(_member(m))


@router.post("/staff/enable", **guard("manage"), summary="allow logins again")
def staff_enable(body: StaffNumberIn, w: Write = Depends(writer)) -> JSONResponse:
    m = w.app.state.access.enable_staff(body.staff)
    _record(w, "staff_enable", f"staff:{m.staff}")
    return JSONResponse(_member(m))


@router.get("/devices", responses=REFUSALS, dependencies=[manager], summary="every device token (never the token)")
def device_list(request: Request) -> JSONResponse:
    return JSONResponse([_device(d) for d in request.app.state.access.devices()])


@router.post("/devices", status_code=201, **guard("manage"),
             summary="enrol a device: its token is in this answer once and nowhere else")
def device_add(body: DeviceIn, w: Write = Depends(writer)) -> JSONResponse:
    token = w.app.state.access.add_device(body.name, body.role, tuple(body.windows))
    _record(w, "device_add", f"device:{body.name}", role=body.role)
    return JSONResponse({"name": body.name.strip(), "role": body.role, "windows": sorted(set(body.windows)),
                         "token": token}, status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/devices/revoke", **guard("manage"), summary="revoke a device's token at once")
def device_revoke(body: DeviceNameIn, w: Write = Depends(writer)) -> JSONResponse:
    d = w.app.state.access.revoke_device(body.name)
    _record(w, "device_revoke", f"device:{d.name}")
    return JSONResponse(_device(d))
