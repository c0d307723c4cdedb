"""Jinja2 pages: one environment, the shared layout and the helpers every template gets.

``page(request, "phone_status.html", **ctx)`` renders a template with ``tr(zh, en)``
(the text in the reader's language), ``lang`` ("zh" or "en"), ``big`` (the large-text
switch), ``static(path)`` (a /static URL carrying the file's digest, so browsers cache
it for good and fetch it again after an upgrade), ``switch_url(key, value)``,
``hall_name`` and ``hall_name_en``. The language comes from ``?lang=`` (then kept in a
cookie), else the cookie, else the browser's Accept-Language, else Chinese; ``?big=1``
likewise for large text."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
COOKIE_DAYS = 365

env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=256)
def _digest(path: str) -> str:
    try:
        return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static(path: str) -> str:
    return f"/static/{path}?v={_digest(path)}"


def language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in ("zh", "en"):
        return asked
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "zh"


def large_text(request: Request) -> bool:
    asked = request.query_params.get("big")
    if asked in ("0", "1"):
        return asked == "1"
    return request.cookies.get("big") == "1"


def page(request: Request, template: str, *, status: int = 200, **ctx) -> HTMLResponse:
    """``template`` rendered for this request, with the reader's language and text size
    kept in cookies when chosen by a link (no personal data in them)."""
    lang, big = language(request), large_text(request)
    config = request.app.state.config
    query = dict(request.query_params)

    def switch_url(key: str, value: str) -> str:
        return request.url.path + "?" + urlencode({**query, key: value})

    html = env.get_template(template).render(
        request=request, lang=lang, big=big, static=static, switch_url=switch_url,
        tr=lambda zh, en="": en if lang == "en" and en else zh,
        hall_name=config.hall.name, hall_name_en=getattr(config.hall, "name_en", "") or config.hall.name, **ctx)
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    for key, value in (("lang", lang), ("big", "1" if big else "0")):
        if request.query_params.get(key) is not None:
            response.set_cookie(key, value, max_age=COOKIE_DAYS * 86400, samesite="lax", httponly=True)
    return response


def error_page(request: Request, status: int, zh: str, en: str) -> HTMLResponse:
    """A plain page saying what went wrong, in the reader's language."""
    return page(request, "error.html", status=status, message_zh=zh, message_en=en)


def form_int(value) -> int:
    """A whole number typed or sent in a form: ASCII digits only (``int()`` also reads ٣,
    ３ and 1_2), at most 9 of them; ValueError otherwise."""
    text = str(value).strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 10:
        raise ValueError(f"{text[:20]!r} is not a whole number")
    return int(text)
