"""The managers' pages under /manage (LAN app only, manager role; docs/manage.md).

Server-rendered pages over the managers' API: the live hall (its script polls
``/api/v1/manage/live`` each second and says how old every figure is when that stops),
alarms of a day, limits, the record of actions, people and devices, the day's report and
the 差评 follow-up list. The pages' scripts write through ``/api/v1`` with the session
cookie and the ``X-Jiaohao-Page`` header (docs/web.md)."""
from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from hall import alarms, limits, manage_ops
from hall.clock import business_day
from hall.queue import PAUSE_REASONS
from hall.reports import GROUPINGS, ReportError, build_report

from ..errors import ApiError
from ..routes.manage import live
from .login import page_user
from .render import page

router = APIRouter(prefix="/manage", include_in_schema=False)
manager = page_user("manage")
DAY = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$")
NAV = (("live", "/manage", "实时大厅", "Live hall"), ("alarms", "/manage/alarms", "告警", "Alarms"),
       ("limits", "/manage/limits", "限值", "Limits"), ("actions", "/manage/actions", "操作记录", "Actions"),
       ("people", "/manage/people", "人员与设备", "People & devices"),
       ("reports", "/manage/reports", "报表", "Reports"), ("ratings", "/manage/ratings", "差评跟进", "Bad ratings"))
# the 好差评 part's follow-up work list (its API), when that part of the hall is installed
RATINGS_FOLLOWUPS = "/api/v1/followups"


def _ctx(request: Request, user, section: str, **ctx) -> dict:
    routes = {getattr(r, "path", "") for r in request.app.routes}
    return {"user": user, "section": section, "nav": NAV, "followups_url":
            RATINGS_FOLLOWUPS if RATINGS_FOLLOWUPS in routes else None, **ctx}


def _day(request: Request, day: str | None) -> str:
    if day:
        try:
            ok = 2000 <= date.fromisoformat(day).year <= 2099
        except ValueError:  # 2026-02-30 passes the pattern: it was a 500 on the reports page
            ok = False
        if not ok:
            raise ApiError("bad_request", f"没有这一天：{day}", f"not a day: {day}", status=422)
        return day
    return business_day(request.app.state.queue.clock())


def _clock(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S") if ts else ""


@router.get("")
def live_page(request: Request, user=Depends(manager), wall: int = 0) -> Response:
    config = request.app.state.config
    return page(request, "manage_live.html", **_ctx(
        request, user, "live", wall=bool(wall), services=config.services, windows=config.windows,
        pause_reasons=PAUSE_REASONS))


@router.get("/")
def slash(request: Request) -> Response:
    return RedirectResponse("/manage", status_code=307)


@router.get("/alarms")
def alarms_page(request: Request, user=Depends(manager), day: str | None = DAY) -> Response:
    day = _day(request, day)
    rows = live(request.app).query(lambda c: alarms.history(c, day))
    return page(request, "manage_alarms.html", **_ctx(request, user, "alarms", day=day, rows=rows,
                                                       kinds=alarms.KINDS))


@router.get("/limits")
def limits_page(request: Request, user=Depends(manager)) -> Response:
    config = request.app.state.config
    rows = live(request.app).query(lambda c: limits.EffectiveLimits(config, limits.read_overrides(c)).rows())
    names = {s.code: s.name for s in config.services}
    return page(request, "manage_limits.html", **_ctx(request, user, "limits", rows=rows, names=names,
                                                       clock=_clock))


@router.get("/actions")
def actions_page(request: Request, user=Depends(manager), day: str | None = DAY) -> Response:
    day = _day(request, day)
    rows = live(request.app).query(lambda c: manage_ops.actions(c, day))
    return page(request, "manage_actions.html", **_ctx(request, user, "actions", day=day, rows=rows, clock=_clock))


@router.get("/people")
def people_page(request: Request, user=Depends(manager)) -> Response:
    access = request.app.state.access
    return page(request, "manage_people.html", **_ctx(
        request, user, "people", staff=access.staff(), devices=access.devices(), clock=_clock,
        windows=[w.number for w in request.app.state.config.windows]))


@router.get("/reports")
def reports_page(request: Request, user=Depends(manager), day: str | None = DAY, by: str = "service") -> Response:
    s = request.app.state
    day = _day(request, day)
    if by not in GROUPINGS:
        by = "service"
    names = {w.number: (w.name or f"{w.number}号窗口") for w in s.config.windows}
    d = date.fromisoformat(day)
    try:
        report = build_report(s.queue.path, d, d, by, hall=s.config.hall.name, window_names=names,
                              now=s.queue.clock()).to_json()
    except ReportError as e:
        report, error = None, str(e)
    else:
        error = None
    day_alarms = live(request.app).query(lambda c: alarms.history(c, day))
    counts: dict[str, list[int]] = {}  # kind -> [raised, acknowledged]
    for a in day_alarms:
        n = counts.setdefault(a["kind"], [0, 0])
        n[0] += 1
        n[1] += a["acked_at"] is not None
    return page(request, "manage_reports.html", **_ctx(request, user, "reports", day=day, by=by,
                                                       groupings=GROUPINGS, report=report, error=error,
                                                       alarm_counts=counts, kinds=alarms.KINDS))


@router.get("/ratings")
def ratings_page(request: Request, user=Depends(manager), day: str | None = DAY) -> Response:
    """Today's 不满意 / 非常不满意 ratings with their alarm and who acknowledged it (the 好差评
    follow-up work list proper is the ratings part's, linked when installed)."""
    day = _day(request, day)

    def read(c):
        acks = {a["data"].get("evaluation"): a for a in alarms.history(c, day) if a["kind"] == "bad_rating"}
        rows = []
        for ev_id, window, staff, score, at, number, service in c.execute(
                "SELECT e.id, e.window, e.staff, e.score, e.at, t.number, t.service FROM evaluations e "
                "JOIN tickets t ON t.id = e.ticket_id WHERE e.day = ? AND e.score <= 2 ORDER BY e.at DESC", (day,)):
            rows.append({"window": window, "staff": staff, "score": score, "at": at, "number": number,
                         "service": service, "alarm": acks.get(ev_id)})
        return rows
    rows = live(request.app).query(read)
    return page(request, "manage_ratings.html", **_ctx(request, user, "ratings", day=day, rows=rows, clock=_clock))
