"""The kiosk's side of the lease routes (docs/api.md "Offline issue"), over HTTP: the
server's clock, the kiosk's leases, its offline tickets, giving leases back.

A client of its own beside :class:`hall.remote.RemoteHall` (same server and device
token), with short time-outs and no retries: kiosk/offline.py calls it from its keeper
thread every second, and a try that fails is simply tried again a second later. Every
call returns the server's answer and the kiosk clock just before and just after it, so
the caller can measure the clock offset. Network failures are :class:`ServerUnreachable`."""
from __future__ import annotations

import uuid
from typing import Callable

import httpx

from .errors import ServerUnreachable

API = "/api/v1"


class LeaseClient:
    """``clock()``: the kiosk's clock as epoch seconds."""

    def __init__(self, server: str, token: str | None, clock: Callable[[], float], timeout_s: float = 3.0):
        self.server = server.rstrip("/")
        self.token = token
        self.clock = clock
        self.timeout_s = timeout_s
        self._http = httpx.Client(base_url=self.server + API, headers={"User-Agent": "jiaohao-kiosk-lease"})

    def _call(self, method: str, path: str, body: dict | None, timeout: float) -> tuple[httpx.Response, float, float]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex  # (merging is once per ticket id anyway)
        t0 = self.clock()
        try:
            r = self._http.request(method, path, json=body, headers=headers, timeout=timeout)
        except httpx.TransportError as e:
            raise ServerUnreachable(self.server, str(e) or type(e).__name__) from None
        return r, t0, self.clock()

    def _json(self, method: str, path: str, body: dict | None = None,
              timeout: float | None = None) -> tuple[dict, float, float]:
        r, t0, t1 = self._call(method, path, body, timeout or max(self.timeout_s, 10.0))
        if r.status_code >= 400:
            from .remote import refusal
            raise refusal(r)
        try:
            return r.json(), t0, t1
        except ValueError:
            raise ServerUnreachable(self.server, "an answer that is not JSON") from None

    def server_clock(self, timeout: float = 1.5) -> tuple[dict | None, float, float]:
        """``GET /leases/clock``: (``{"server_time"}`` or None when the server refused, t0, t1);
        a refusal is still an answer (the server is there)."""
        r, t0, t1 = self._call("GET", "/leases/clock", None, timeout)
        if r.status_code >= 500:
            raise ServerUnreachable(self.server, f"answered {r.status_code}")
        try:
            return (r.json() if r.status_code == 200 else None), t0, t1
        except ValueError:
            return None, t0, t1

    def leases(self) -> tuple[dict, float, float]:
        return self._json("POST", "/leases", {"kiosk_time": self.clock()})

    def upload(self, tickets: list[dict]) -> tuple[dict, float, float]:
        return self._json("POST", "/leases/tickets", {"sent_at": self.clock(), "tickets": tickets})

    def give_back(self, timeout: float = 1.0) -> dict:
        return self._json("POST", "/leases/return", {}, timeout)[0]

    def close(self) -> None:
        self._http.close()
