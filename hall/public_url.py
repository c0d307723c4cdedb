"""Where citizens' phones reach the hall: the base URL printed in ticket QR codes.

``[server] public_url`` (e.g. ``"https://zwfw.example.gov.cn/jiaohao"``, the address the
government's reverse proxy gives the citizens' listener) when set. Otherwise it is made
from the listener the phones would use: ``[server] public_listen``, else ``[server]
listen``, else the API's default port 8080; a wildcard host (0.0.0.0, ::) becomes this
PC's LAN address, so a phone on the hall's Wi-Fi can open it."""
from __future__ import annotations

import functools
import socket

DEFAULT_LISTEN = "0.0.0.0:8080"
_listening: str | None = None  # where this process serves the citizens' pages (set by serve, the demo)
STATUS_PATH = "/t/"  # /t/<token>: the ticket's status page (server/web/phone.py)


@functools.lru_cache(maxsize=1)
def lan_address() -> str:
    """This PC's address on its LAN (the one a default route leaves from; no packet is
    sent), or its host name when it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 9))
            addr = s.getsockname()[0]
            if addr and not addr.startswith("0."):
                return addr
    except OSError:
        pass
    return socket.gethostname() or "127.0.0.1"


def listening_at(host: str, port: int) -> None:
    """This process serves the citizens' pages on ``host:port`` (a port chosen at start,
    ``--listen``, the demo's free port): the default base URL follows it."""
    global _listening
    _listening = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"


def public_base(config) -> str:
    """The base URL of the citizens' pages, without a trailing slash."""
    server = getattr(config, "server", None)
    given = getattr(server, "public_url", "") if server is not None else ""
    if given:
        return given.rstrip("/")
    listen = _listening or (getattr(server, "public_listen", None) or getattr(server, "listen", None)
                            if server is not None else None) or DEFAULT_LISTEN
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::", "*"):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def status_url(config, token: str) -> str:
    """The full URL of a ticket's status page: what its QR code holds (``{status_url}``)."""
    return f"{public_base(config)}{STATUS_PATH}{token}"
