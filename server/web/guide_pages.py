"""The citizens' guide pages: ``/guide`` (search, browse by zone or department, or the
items of one service: ``/guide?service=C``, what the ticket status page links to) and
``/guide/<code>`` (one item: what to bring as a checklist, where, how long, the fee; a
service's code shows its only item, or the list of its items).
On both listeners (server/web/public.py); no login, no script needed."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from config.guide import CODE_RE

from ..routes.guide import current_guide
from .render import error_page, page

router = APIRouter()
MAX_QUERY = 40
OPEN_ALL_UP_TO = 30  # a guide this small shows every group open


def _windows(guide, e) -> str:
    nums = guide.windows(e)
    return "、".join(map(str, nums))


@router.get("/guide", response_class=HTMLResponse, include_in_schema=False)
def guide_list(request: Request, q: str = "", service: str = "", by: str = "zone") -> HTMLResponse:
    guide = current_guide(request.app.state)
    q = q.strip()[:MAX_QUERY]
    by = by if by in ("zone", "department") else "zone"
    title_zh, title_en = "办事指南", "Service guide"
    if q:
        groups = [("", guide.search(q))]
    elif service:
        items = guide.for_service(service)
        try:
            svc = request.app.state.config.service(service)
            title_zh, title_en = f"{svc.name} 办事指南", f"{svc.name_en or svc.name}: service guide"
        except KeyError:
            pass
        groups = [("", items)]
    else:
        groups = guide.groups(by)
    open_all = bool(q or service) or len(guide) <= OPEN_ALL_UP_TO
    return page(request, "guide_list.html", groups=groups, q=q, service=service, by=by, open_all=open_all,
                guide=guide, count=len(guide), title_zh=title_zh, title_en=title_en,
                found=sum(len(items) for _, items in groups))


@router.get("/guide/{code}", response_class=HTMLResponse, include_in_schema=False)
def guide_item(request: Request, code: str) -> HTMLResponse:
    import re
    guide = current_guide(request.app.state)
    e = guide.get(code) if re.fullmatch(CODE_RE, code) else None
    if e is None and re.fullmatch(CODE_RE, code):
        # a service's code (the ticket status page links /guide/<its service>): its only
        # item, or the list of its items
        items = guide.for_service(code)
        if len(items) == 1:
            e = items[0]
        elif items:
            return guide_list(request, service=code)
    if e is None:
        return error_page(request, 404, "办事指南中没有这个事项", "There is no such item in the service guide")
    return page(request, "guide_item.html", e=e, zone=guide.zone(e), windows=_windows(guide, e))
