"""The hall API in-process for tests: a real app over a real queue, driven with
Starlette's TestClient (httpx underneath)."""
from __future__ import annotations

import pytest

from config import DEMO_HALL
from hall.access import Access
from server.app import close_app, create_app


class Hall:
    """An app over ``queue`` with its Access; devices and staff added on demand."""

    def __init__(self, queue):
        self.queue = queue
        self.access = Access(queue)
        self.app = create_app(queue, queue.config, access=self.access,
                              config_text=DEMO_HALL.read_text(encoding="utf-8"))
        self.tokens: dict[str, str] = {}

    def device(self, name: str, role: str, windows: tuple[int, ...] = ()) -> str:
        self.tokens[name] = self.access.add_device(name, role, windows)
        return self.tokens[name]

    def staff(self, number: str, role: str = "staff", password: str = "secret-pass-1", name: str = "张三") -> str:
        self.access.add_staff(number, name, role, password)
        return password

    def client(self, token: str | None = None, **kw):
        import warnings
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with warnings.catch_warnings():  # starlette 1.x nudges towards httpx2; httpx is what we ship
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient
            return TestClient(self.app, base_url="http://hall", headers=headers, raise_server_exceptions=False,
                              **kw)

    def close(self) -> None:
        close_app(self.app)
        self.access.close()


@pytest.fixture
def hall(queue):
    """The hall API over the test's queue (import this fixture into a test module)."""
    h = Hall(queue)
    yield h
    h.close()
