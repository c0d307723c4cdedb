"""Pages for staff and managers: on the LAN app only (never on the citizens' listener).
Features add their router as ``"module:router"`` to :data:`LAN_ROUTERS`; pages that need
a login use :func:`server.web.login.page_user`."""
from __future__ import annotations

from fastapi import FastAPI

from .public import routers

LAN_ROUTERS: list[str] = ["server.web.login:router",
                          "server.web.manage_pages:router",  # /manage: the managers' pages (docs/manage.md)
                          "server.web.full_report:router",  # /manage/reports/full: `jiaohao report` as HTML
                          "server.web.rate_pages:router"]  # /rate: the window tablet, 差评 follow-ups (docs/ratings.md)


def install(app: FastAPI) -> None:
    for router in routers(LAN_ROUTERS):
        app.include_router(router)
