"""Reports: a day's or a month's figures, the same JSON as ``jiaohao report --json``."""
from __future__ import annotations

import calendar
from datetime import date

from fastapi import APIRouter, Query, Request

from hall.clock import check_day
from hall.errors import InvalidArgument
from hall.reports import GROUPINGS, ReportError, build_report, parse_day

from ..deps import guard
from ..models import ReportOut

router = APIRouter(prefix="/reports", tags=["reports"])
BY = Query("service", description=f"one row per …: {', '.join(GROUPINGS)}")


def _report(request: Request, d0: date, d1: date, by: str) -> dict:
    s = request.app.state
    if by not in GROUPINGS:
        raise InvalidArgument(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}",
                              zh=f"不能按 {by} 分组，可选：{'、'.join(GROUPINGS)}")
    for d in (d0, d1):
        check_day(d, "report day", "报表日期")
    names = {w.number: (w.name or f"{w.number}号窗口") for w in s.config.windows}
    try:
        report = build_report(s.queue.path, d0, d1, by, hall=s.config.hall.name, window_names=names,
                              now=s.queue.clock())
    except ReportError as e:
        raise InvalidArgument(str(e), zh=f"报表参数不对：{e}") from None
    return report.to_json()


@router.get("/day", response_model=ReportOut, **guard("reports"),
            summary="a business day's figures (default today)")
def day(request: Request, day: str | None = Query(None, max_length=20, description="YYYY-MM-DD, today, yesterday"),
        by: str = BY) -> dict:
    try:
        d = parse_day(day, request.app.state.queue.clock().date())
    except ReportError as e:
        raise InvalidArgument(str(e), zh=f"日期格式不对：{day!r}，应形如 2026-11-23") from None
    return _report(request, d, d, by)


@router.get("/month", response_model=ReportOut, **guard("reports"),
            summary="a calendar month's figures (default this month)")
def month(request: Request, month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM"),
          by: str = BY) -> dict:
    if month is None:
        first = request.app.state.queue.clock().date().replace(day=1)
    else:
        try:
            first = date.fromisoformat(month + "-01")
        except ValueError:
            raise InvalidArgument(f"not a month: {month!r} (use YYYY-MM, e.g. 2026-10)",
                                  zh=f"月份格式不对：{month!r}，应形如 2026-10") from None
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return _report(request, first, last, by)
