"""`jiaohao serve`'s listener: the hall API on uvicorn, in a thread of its own.

A component like the window buses (``name``, ``start()``, ``stop()``). It installs no
signal handlers (uvicorn leaves them alone outside the main thread): `serve` owns
SIGTERM and stops every component in turn. ``start()`` returns once the socket is
bound, or raises :class:`ListenError` in words (address in use, no such address)."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


class ListenError(RuntimeError):
    """The API could not listen where it was told to."""


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6; port 0: any free port) → (host, port)."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isascii() or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ListenError(f"监听地址要写成 主机:端口，例如 0.0.0.0:8080，不是 {text!r} "
                          f"(listen address must be HOST:PORT, e.g. 0.0.0.0:8080, not {text!r})")
    return host, int(port)


class ApiServer:
    """The hall API served by uvicorn on ``host:port`` until :meth:`stop`."""

    name = "hall API"

    def __init__(self, app_factory, host: str, port: int, *, name: str | None = None, owns_app: bool = True):
        self._factory = app_factory
        if name:
            self.name = name
        self._owns_app = owns_app
        self.citizens = False  # the listener phones use (public_listen, else the LAN one)
        self.host, self.port = host, port
        self.app = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        import uvicorn
        self.app = self._factory()
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_config=None, access_log=False,
                                lifespan="on", timeout_graceful_shutdown=3, server_header=False,
                                timeout_keep_alive=30)  # LAN clients call every few seconds: keep their connections
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="hall-api", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self._server.started and self._thread.is_alive() and waited < START_TIMEOUT_S:
            self._thread.join(0.02)
            waited += 0.02
        if not self._server.started:
            self._server.should_exit = True
            self._close_app()
            why = f" ({self._failure})" if self._failure and str(self._failure) else ""
            raise ListenError(f"大厅接口无法在 {self.host}:{self.port} 上监听：端口被别的程序占用了，还是这个地址不是"
                              "本机的？改 [server] listen 或 --listen "
                              f"(the hall API cannot listen on {self.host}:{self.port}{why}: is another program "
                              "using that port, or is the address not one of this computer's? "
                              "Change [server] listen or --listen)")
        sockets = [s for srv in self._server.servers for s in srv.sockets]
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if self.citizens:  # the QR codes' default address (hall/public_url.py) is where phones reach us
            from hall.public_url import listening_at
            listening_at(self.host, self.port)
        if self._owns_app:
            log.info("hall API listening on %s/api/v1 (OpenAPI: %s/api/v1/docs)", self.url, self.url)
        else:
            log.info("%s listening on %s", self.name, self.url)

    def _run(self) -> None:
        try:
            self._server.run()
        except BaseException as e:  # noqa: BLE001 - uvicorn exits with SystemExit when it cannot bind
            self._failure = e
            if not isinstance(e, SystemExit):
                log.exception("the hall API stopped")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        hub = getattr(getattr(self.app, "state", None), "event_hub", None)
        if hub is not None:  # uvicorn waits for open responses: end the event streams now
            hub.close_streams()
        feed = getattr(getattr(self.app, "state", None), "phone_feed", None)
        if feed is not None:  # and the citizens' pages' streams (server/web/phone_feed.py)
            feed.close_streams()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                log.warning("the hall API did not stop within %.0f s", STOP_TIMEOUT_S)
        self._close_app()

    def _close_app(self) -> None:
        if self.app is not None and not self._owns_app:
            self.app = None
        if self.app is not None:
            from .app import close_app
            close_app(self.app)
            self.app = None


def components(ctx) -> list:
    """For `jiaohao serve`: the API when ``[server]`` is configured or ``--listen`` given."""
    listen = getattr(ctx, "listen", None)
    server_cfg = getattr(ctx.config, "server", None)
    if not listen and server_cfg is None:
        return []
    host, port = parse_listen(listen or server_cfg.listen)
    queue = ctx.queue
    config_text = ctx.config_path.read_text(encoding="utf-8")

    def make_app():
        from hall.access import Access

        from config.guide import GuideFiles, guide_folder

        from .app import create_app
        app = create_app(queue, ctx.config, access=Access(queue), config_text=config_text, owns_access=True)
        # the 办事指南 beside the hall file, re-read when it changes (server/routes/guide.py, server/web/guide_pages.py)
        app.state.guide = GuideFiles(guide_folder(ctx.config_path, ctx.config.guide.folder), ctx.config)
        return app

    lan = ApiServer(make_app, host, port)
    public_listen = getattr(server_cfg, "public_listen", "") if server_cfg is not None else ""
    if not public_listen:
        lan.citizens = True
        return [lan]

    def make_public_app():
        from .web.public import create_public_app
        return create_public_app(lan.app)

    public_host, public_port = parse_listen(public_listen)
    citizens = ApiServer(make_public_app, public_host, public_port, name="citizens' pages", owns_app=False)
    citizens.citizens = True
    return [lan, citizens]
