"""The citizens' pages: what the citizens' listener (``[server] public_listen``) serves,
and nothing else — no /api/v1 route, no staff or manager page answers there, not even
with credentials. The LAN app serves these pages too.

Features add their router as ``"module:router"`` to :data:`PUBLIC_ROUTERS`."""
from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import import_module

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .render import STATIC, error_page

PUBLIC_ROUTERS: list[str] = [
    "server.web.phone:router",  # the ticket's status page, 叫号提醒, evaluation, /hall (docs/phone.md)
    "server.web.book:router",  # 预约: booking time slots (docs/booking.md)
    "server.web.guide_pages:router",  # 办事指南: the service guide (docs/guide.md)
]


def routers(entries: list[str]) -> list:
    out = []
    for entry in entries:
        module, _, name = entry.partition(":")
        out.append(getattr(import_module(module), name))
    return out


def mount_static(app: FastAPI) -> None:
    app.mount("/static", CachedStatic(directory=str(STATIC)), name="static")


class CachedStatic(StaticFiles):
    """The pages' own files; URLs carry the file's digest (render.static), so a year of cache."""

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def install(app: FastAPI) -> None:
    """The citizens' pages and /static on ``app`` (the LAN app or the citizens' app)."""
    for router in routers(PUBLIC_ROUTERS):
        app.include_router(router)
    mount_static(app)


def create_public_app(lan_app: FastAPI) -> FastAPI:
    """The citizens' listener's app: the same hall state as ``lan_app`` (one queue, one
    event hub), only the citizens' routes. 404 for everything else, /api/v1 included."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield  # the LAN app's lifespan starts and stops the shared hub

    from ..fastapi_options import no_telemetry
    app = FastAPI(title="jiaohao citizens' pages", openapi_url=None, docs_url=None, redoc_url=None,
                  lifespan=lifespan, **no_telemetry())
    for key, value in lan_app.state._state.items():
        setattr(app.state, key, value)
    app.state.public = True

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return error_page(request, 404, "没有这个页面", "There is no such page")
        return error_page(request, exc.status_code, "请求未能完成", "The request could not be completed")

    install(app)
    return app
