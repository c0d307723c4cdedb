"""The managers' API (docs/manage.md): the live hall, alarms and their acknowledgement,
the limits, and the record of actions. Manager role only (``guard("manage")``)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from hall import alarms, limits, manage_ops
from hall.clock import business_day
from hall.live_hall import LiveHall

from ..deps import REFUSALS, Write, guard, require, writer
from ..manage_models import AckIn, LimitIn, LimitResetIn

router = APIRouter(tags=["manage"])
manager = Depends(require("manage"))
DAY = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="default today")


def live(app) -> LiveHall:
    """The app's live-hall reader (made on first use, closed by server.app.close_app)."""
    st = app.state
    reader = getattr(st, "manage_live", None)
    if reader is None:
        reader = st.manage_live = LiveHall(st.queue.path, st.config, st.queue.clock)
    return reader


@router.get("/manage/live", responses=REFUSALS, dependencies=[manager],
            summary="the live hall for the managers' page: windows, services, devices, alarms, notice")
def live_hall(request: Request) -> Response:
    return Response(live(request.app).read_json(), media_type="application/json")


@router.get("/alarms", responses=REFUSALS, dependencies=[manager],
            summary="the alarms in force: each with kind, since and its service, window or device")
def active_alarms(request: Request) -> JSONResponse:
    return JSONResponse(live(request.app).read()["alarms"])


@router.get("/alarms/history", responses=REFUSALS, dependencies=[manager],
            summary="every alarm of a day, with who acknowledged it")
def alarm_history(request: Request, day: str | None = DAY) -> JSONResponse:
    reader = live(request.app)
    day = day or business_day(request.app.state.queue.clock())
    return JSONResponse(reader.query(lambda c: alarms.history(c, day)))


@router.post("/alarms/ack", **guard("manage"), summary="acknowledge an alarm (by the manager logged in)")
def acknowledge(body: AckIn, w: Write = Depends(writer)) -> Response:
    p = w.principal
    return w.run(lambda: alarms.acknowledge(w.queue, body.id, p.name, p.display_name, body.note), body)


@router.get("/limits", responses=REFUSALS, dependencies=[manager],
            summary="every limit: the hall file's value, a manager's change, the value in force")
def limit_rows(request: Request) -> JSONResponse:
    config = request.app.state.config
    rows = live(request.app).query(lambda c: limits.EffectiveLimits(config, limits.read_overrides(c)).rows())
    return JSONResponse(rows)


@router.put("/limits", **guard("manage"), summary="change a limit (kept in the database, over the file's value)")
def set_limit(body: LimitIn, w: Write = Depends(writer)) -> Response:
    p, config = w.principal, w.app.state.config

    def op():
        with w.queue.transaction() as (c, now):
            value = limits.set_override(c, config, body.scope, body.field, body.value, p.name, now.timestamp(),
                                        body.reason)
            w.queue.log_event("manage_action", None, action="limit", target=f"limit:{body.scope or 'hall'}."
                              f"{body.field}", why=body.reason, by=p.name, by_name=p.display_name, value=value)
        return {"scope": body.scope, "field": body.field, "value": value}
    return w.run(op, body)


@router.post("/limits/reset", **guard("manage"), summary="a limit back to the hall file's value")
def reset_limit(body: LimitResetIn, w: Write = Depends(writer)) -> Response:
    p, config = w.principal, w.app.state.config

    def op():
        limits.check_value(config, body.scope, body.field, None)
        with w.queue.transaction() as (c, _):
            removed = limits.clear_override(c, body.scope, body.field)
            if removed:
                w.queue.log_event("manage_action", None, action="limit", target=f"limit:{body.scope or 'hall'}."
                                  f"{body.field}", why=manage_ops.check_why(body.reason), by=p.name,
                                  by_name=p.display_name, value="file")
        return {"scope": body.scope, "field": body.field, "reset": removed}
    return w.run(op, body)


@router.get("/actions", responses=REFUSALS, dependencies=[manager],
            summary="the managers' actions of a day, newest first: who, what, why")
def action_log(request: Request, day: str | None = DAY) -> JSONResponse:
    day = day or business_day(request.app.state.queue.clock())
    return JSONResponse(live(request.app).query(lambda c: manage_ops.actions(c, day)))
