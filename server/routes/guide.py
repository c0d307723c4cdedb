"""The service guide (办事指南) for client kiosks: ``GET /guide`` (every entry) and
``GET /guide/{code}``. The server reads the guide files beside its hall file
(config/guide.py :class:`GuideFiles`, re-read when they change); a kiosk on another PC
fetches the whole guide once and again every few minutes (hall/remote_guide.py)."""
from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel

from config.guide import CODE_RE, Guide, GuideEntry

from ..deps import REFUSALS, require
from ..errors import ApiError
from ..models import ErrorOut

router = APIRouter(tags=["guide"])
reader = Depends(require("read"))


class GuideOut(BaseModel):
    digest: str  # SHA-256 of the entries' JSON: unchanged digest, unchanged guide
    count: int
    entries: list[GuideEntry]


def current_guide(state) -> Guide:
    """The hall's guide now (an empty one when `serve` was started without one)."""
    source = getattr(state, "guide", None)
    if source is None:
        return Guide([], state.config)
    return source.current() if hasattr(source, "current") else source


@router.get("/guide", response_model=GuideOut, responses=REFUSALS, dependencies=[reader],
            summary="the service guide: every item's entry (办事指南)")
def guide(request: Request) -> dict:
    g = current_guide(request.app.state)
    answer = getattr(g, "_api_answer", None)  # once per loaded guide: it is re-read only when a file changes
    if answer is None:
        items = g.to_json()
        digest = hashlib.sha256(json.dumps(items, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        answer = g._api_answer = {"digest": digest, "count": len(items), "entries": items}
    return answer


@router.get("/guide/{code}", response_model=GuideEntry, dependencies=[reader],
            responses={**REFUSALS, 404: {"model": ErrorOut, "description": "no guide item of that code"}},
            summary="one item's guide")
def guide_item(request: Request, code: str = Path(pattern=f"^{CODE_RE}$")) -> dict:
    e = current_guide(request.app.state).get(code)
    if e is None:
        raise ApiError("not_found", f"办事指南中没有 {code}", f"no guide item {code!r}")
    return e.model_dump()
