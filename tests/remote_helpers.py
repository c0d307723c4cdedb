"""A real hall server for the client tests: the hall API (server.app.create_app) under
uvicorn on 127.0.0.1 (a free port) in a thread, over a real queue, with tokens; and the
fixtures the client tests share (import them by name: ``live``, ``sim_printer``)."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from config import DEMO_HALL
from hall import FixedClock, HallQueue
from hall.remote import RemoteHall
from server.app import create_app
from server.runner import ApiServer
from hall.access import Access


class LiveHall:
    """``queue`` served on loopback; ``remote(role)`` gives a RemoteHall with a fresh token."""

    def __init__(self, queue, config_text: str | None = None, keepalive_s: float = 1.0):
        self.queue = queue
        self.access = Access(queue)
        text = config_text or DEMO_HALL.read_text(encoding="utf-8")
        self._factory = lambda: create_app(queue, queue.config, access=self.access, config_text=text,
                                           keepalive_s=keepalive_s)
        self.server = ApiServer(self._factory, "127.0.0.1", 0)
        self.server.start()
        self.url = self.server.url
        self._halls: list[RemoteHall] = []
        self._n = 0

    def token(self, role: str, windows: tuple[int, ...] = ()) -> str:
        self._n += 1
        return self.access.add_device(f"{role}-{self._n}", role, windows)

    def remote(self, role: str | None = "controller", windows: tuple[int, ...] = (), **kw) -> RemoteHall:
        token = self.token(role, windows) if role else None
        kw.setdefault("clock", self.queue.clock.source if hasattr(self.queue.clock, "source") else None)
        if kw["clock"] is None:
            del kw["clock"]
        h = RemoteHall(self.url, token, self.queue.config, **kw)
        self._halls.append(h)
        return h

    def restart(self, while_down=None) -> None:
        """Stop the server, run ``while_down()``, start it again on the same port."""
        self.server.stop()
        if while_down is not None:
            while_down()
        self.server = ApiServer(self._factory, "127.0.0.1", self.server.port)
        self.server.start()

    def close(self) -> None:
        for h in self._halls:
            h.close()
        self.server.stop()
        self.access.close()


START = datetime(2026, 11, 23, 9, 0)  # a Monday, inside every demo service's hours


@pytest.fixture
def live(demo_config, tmp_path):
    """The demo hall served on loopback, its clock frozen at :data:`START`."""
    q = HallQueue(tmp_path / "served.sqlite", demo_config, FixedClock(START))
    h = LiveHall(q)
    yield h
    h.close()
    q.close()


@pytest.fixture
def sim_printer():
    """(name, simulator) of a printer simulator registered as ``sim://name``."""
    from drivers.printer import PrinterSimulator
    from drivers.transport import register_sim, unregister_sim
    name = f"remote-kiosk-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(name=name)
    register_sim(name, sim)
    yield name, sim
    unregister_sim(name)
