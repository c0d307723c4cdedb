"""The hall API as a FastAPI app: everything under ``/api/v1`` (docs/api.md).

``create_app`` takes an open :class:`hall.HallQueue` (writes go through it, so they write
the same events as a keypad), the validated config and the text it was loaded from,
and the hall's :class:`hall.access.Access`. Reads use connections of their own."""
from __future__ import annotations

import hashlib
import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from hall.clients import ClientRegistry
from hall.readonly import ReadOnlyQueue
from hall.snapshot import HallReader

from . import docs_page, errors, events
from .fastapi_options import no_telemetry
from .server_timing import ServerTiming
from .routes import bookings, guide, leases, notices, ratings, reads, reports, sessions, tickets, windows
from .routes import manage, manage_actions, people

log = logging.getLogger(__name__)

PREFIX = "/api/v1"


def _hall_id(queue) -> str:
    with queue._lock:
        row = queue._conn.execute("SELECT value FROM meta WHERE key = 'hall_id'").fetchone()
    return row[0] if row else ""


def installed_version() -> str:
    """The program's version (hall/versions.py, the one place it is written)."""
    from hall.versions import VERSION
    return VERSION


def create_app(queue, config, *, access, config_text: str, keepalive_s: float | None = None,
               version: str | None = None, owns_access: bool = False):
    """The hall API over ``queue``; the event hub starts and stops with the app.
    ``owns_access``: :func:`close_app` closes ``access`` too (it writes the devices'
    last-seen times it still holds)."""
    version = version or installed_version()
    server = getattr(config, "server", None)
    if keepalive_s is None:
        keepalive_s = server.keepalive_seconds if server is not None else 15.0

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        hub = app.state.event_hub
        hub.start()
        feed = app.state.phone_feed
        feed.start()  # the citizens' pages follow the hub (server/web/phone_feed.py)
        try:
            yield
        finally:
            feed.stop()
            hub.stop()

    app = FastAPI(title="jiaohao hall API", version=version, lifespan=lifespan, **no_telemetry(),
                  openapi_url=f"{PREFIX}/openapi.json", docs_url=None, redoc_url=None,
                  description="The hall's queue over HTTP: docs/api.md. Every request but /health, /login and "
                              "this document needs `Authorization: Bearer TOKEN`; every POST takes an "
                              "`Idempotency-Key`.")
    st = app.state
    st.queue, st.config, st.access, st.owns_access = queue, config, access, owns_access
    st.config_text = config_text
    st.config_digest = hashlib.sha256(config_text.encode("utf-8")).hexdigest()
    st.hall_id = _hall_id(queue)
    st.version = version
    # reads on their own read-only connections: they never wait behind the queue's writes
    st.reads = ReadOnlyQueue(queue.path, config)
    st.reads.clock = queue.clock
    st.figures = HallReader(queue.path, config, queue.clock)
    st.periods = {}  # service code -> its opening periods, parsed once
    st.clients = ClientRegistry.for_config(queue, config)  # the PCs' heartbeats (server/routes/clients.py)

    errors.install(app)
    docs_page.install(app, f"{PREFIX}/docs")
    api = APIRouter(prefix=PREFIX)
    for module in (reads, tickets, windows, sessions, notices, reports, ratings, bookings, leases, guide):
        api.include_router(module.router)
    for module in (manage, manage_actions, people):  # the managers' API (docs/manage.md)
        api.include_router(module.router)
    app.include_router(api)
    from .routes import clients as client_routes  # heartbeats and the clients list
    app.include_router(client_routes.router, prefix=PREFIX)
    st.event_hub = events.install(app, queue, access, keepalive_s)
    from .web import lan, login, public
    login.install_handlers(app)
    lan.install(app)
    public.install(app)
    from .web import phone_feed
    phone_feed.install(app)
    app.add_middleware(ServerTiming)  # outermost of ours: the whole of the app's time
    return app


def close_app(app: FastAPI) -> None:
    """Close the app's own read connections (the queue is its owner's to close)."""
    app.state.clients.flush()
    app.state.figures.close()
    app.state.reads.close()
    if getattr(app.state, "manage_live", None) is not None:
        app.state.manage_live.close()
    feed = getattr(app.state, "phone_feed", None)
    if feed is not None:
        feed.close_readers()
    if app.state.owns_access:
        app.state.access.close()

