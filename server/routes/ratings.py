"""好差评 on the hall API (docs/ratings.md): rate a served ticket on a channel, attach a
办件编号, the 差评 follow-ups (managers), the GB/T 39046 export, the indicators and the
provincial push's state."""
from __future__ import annotations

import calendar
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import Field

from hall.clock import check_day
from hall.errors import InvalidArgument

from ..deps import Write, guard, writer
from ..models import MAX_ID, Request_

router = APIRouter(tags=["ratings"])
TICKET = Path(ge=1, le=MAX_ID, description="ticket id")
FOLLOWUP = Path(ge=1, le=MAX_ID, description="follow-up id")
Short = Annotated[str, Field(max_length=64)]


class RatingIn(Request_):
    level: Optional[Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)]] = Field(
        description="满意度代码 1 非常满意 … 5 非常不满意; null: problems/text for the ticket's latest rating")
    channel: Annotated[str, Field(min_length=1, max_length=32)] = Field(
        description="web | mobile | terminal | qrcode | sms | phone, or the GB/T 39046 name (二维码 …)")
    problems: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] = []
    text: Annotated[str, Field(max_length=2000)] = ""
    rater: Short = ""


class CaseIn(Request_):
    case_no: Annotated[str, Field(min_length=1, max_length=64)] = Field(description="办件编号")
    item_code: Short = Field("", description="事项编码; empty: guide_code's, else the service's")
    guide_code: Short = Field("", description="the hall's 办事指南 item (e.g. A01): its 事项编码")
    source: Literal["api", "caller"] = "api"


class StepIn(Request_):
    action: Annotated[str, Field(min_length=1, max_length=32)] = Field(
        description="verify | rectify | done | call_back | appeal | approve_appeal | reject_appeal | "
                    "request_unfixable | approve_unfixable | reject_unfixable | extend")
    note: Annotated[str, Field(max_length=1000)] = Field(description="what was done (required)")
    days: Optional[Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)]] = Field(None, description="extend: working days")


@router.post("/tickets/by-id/{ticket_id}/rating", **guard("rate"),
             summary="rate a served ticket (好差评) on a channel, or add problems/text to its rating")
def rate_ticket(body: RatingIn, ticket_id: int = TICKET, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.rate_ticket(ticket_id, body.level, body.channel, body.problems, body.text,
                                             body.rater), body)


@router.get("/tickets/by-id/{ticket_id}/rating", **guard("rate"), summary="a ticket's cases, ratings, follow-up")
def ticket_rating(request: Request, ticket_id: int = TICKET) -> dict:
    return request.app.state.reads.ticket_rating(ticket_id)


@router.post("/tickets/by-id/{ticket_id}/cases", **guard("rate"),
             summary="attach a 办件编号 (and 事项编码) to a called or served ticket")
def attach_case(body: CaseIn, ticket_id: int = TICKET, w: Write = Depends(writer)) -> Response:
    item_code = body.item_code or _guide_item_code(w.app, body.guide_code)
    return w.run(lambda: w.queue.attach_case(ticket_id, body.case_no, item_code, body.source,
                                             w.principal.name), body)


def _guide_item_code(app, guide_code: str) -> str:
    """The 事项编码 of the 办事指南 item ``guide_code`` (config/guide.py), or a clear refusal."""
    if not guide_code:
        return ""
    files = getattr(app.state, "guide", None)
    entry = files.current().get(guide_code) if files is not None else None
    if entry is None:
        raise InvalidArgument(f"the service guide has no item {guide_code!r}", zh=f"办事指南中没有事项 {guide_code}")
    if not entry.item_code:
        raise InvalidArgument(f"the guide's item {guide_code} has no item_code (事项编码)",
                              zh=f"办事指南事项 {guide_code} 没有填写事项编码")
    return entry.item_code


@router.get("/followups", **guard("followups"), summary="差评 follow-ups, oldest first")
def followups(request: Request, overdue: bool = Query(False, description="only the overdue ones"),
              open: bool = Query(False, description="only the open ones")) -> list[dict]:
    with _own_reader(request) as reader:
        return reader.followups(overdue=overdue, open_only=open)


@router.get("/followups/{followup_id}", **guard("followups"), summary="one follow-up with its steps")
def followup(request: Request, followup_id: int = FOLLOWUP) -> dict:
    return request.app.state.reads.followup(followup_id)


@router.post("/followups/{followup_id}/steps", **guard("followups"),
             summary="take a step of a follow-up (recorded with who, when and what)")
def followup_step(body: StepIn, followup_id: int = FOLLOWUP, w: Write = Depends(writer)) -> Response:
    return w.run(lambda: w.queue.followup_step(followup_id, body.action, w.principal.name, body.note, body.days),
                 body)


@contextmanager
def _own_reader(request: Request):
    """A read-only queue of this request's own: a month's export takes seconds, and the
    shared read connection must not wait behind it."""
    from hall.readonly import ReadOnlyQueue
    st = request.app.state
    reader = ReadOnlyQueue(st.queue.path, st.config)
    reader.clock = st.queue.clock
    try:
        yield reader
    finally:
        reader.close()


def _day(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return check_day(date.fromisoformat(value), what)
    except ValueError:
        raise InvalidArgument(f"{what} {value!r} is not a day like 2026-11-23",
                              zh=f"{what} 日期格式不对：{value!r}，应形如 2026-11-23") from None


def _month(request: Request, month: str | None) -> tuple[date, date]:
    if month is None:
        first = request.app.state.queue.clock().date().replace(day=1)
    else:
        first = _day(month + "-01", "month")
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


@router.get("/ratings/export", **guard("reports"),
            summary="ratings as GB/T 39046-2020 Table 9 items (CSV or JSON)")
def export(request: Request, from_: str | None = Query(None, alias="from", max_length=10),
           to: str | None = Query(None, max_length=10), format: Literal["csv", "json"] = "json",
           full: bool = False, unrated: bool = False) -> Response:
    from hall.rating_export import to_csv, to_json
    with _own_reader(request) as reader:
        rows = reader.rating_records(_day(from_, "from"), _day(to, "to"), unrated)
    if format == "csv":
        return Response("\ufeff" + to_csv(rows, full), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="ratings.csv"'})
    return Response(to_json(rows, full), media_type="application/json")


@router.get("/ratings/indicators", **guard("reports"),
            summary="好评率, 差评率, 未评价率, 主动评价好评率, 整改率, 回访率 of a month or days")
def indicators(request: Request, month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$"),
               from_: str | None = Query(None, alias="from", max_length=10),
               to: str | None = Query(None, max_length=10),
               by: Literal["hall", "department", "window", "staff", "item"] = "hall") -> dict:
    if from_ or to:
        start, end = _day(from_, "from"), _day(to, "to")
        if start is None or end is None:
            raise InvalidArgument("give both from and to", zh="请同时给出开始和结束日期")
    else:
        start, end = _month(request, month)
    with _own_reader(request) as reader:
        rows = reader.rating_indicators(start, end, by)
    return {"from": start.isoformat(), "to": end.isoformat(), "by": by, "rows": rows}


@router.get("/ratings/push", **guard("reports"), summary="the provincial push: pending, sent, failing")
def push_status(request: Request) -> dict:
    from hall.rating_push import push_state
    return push_state(request.app.state.reads, request.app.state.config)
