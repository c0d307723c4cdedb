"""A plain SSE reader of the hall's event stream for the end-to-end tests: the test's
own, independent of hall/sse.py and hall/remote_events.py, so a fault in those cannot
hide in the reader that checks them."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import httpx

API = "/api/v1"


@dataclass
class StreamEvent:
    id: int
    data: dict


class EventStreamReader:
    """Reads ``GET /api/v1/events`` on a thread and reconnects with ``Last-Event-ID``
    whenever the stream ends; ``events`` in arrival order. Stops by itself after
    ``lifetime_s``. ``status`` is the last HTTP status (401 ends the reader: revoked)."""

    def __init__(self, base_url: str, token: str, after: int | None = 0, lifetime_s: float = 60.0,
                 retry_s: float = 0.2):
        self.base_url, self.token, self.after = base_url, token, after
        self.lifetime_s, self.retry_s = lifetime_s, retry_s
        self.events: list[StreamEvent] = []
        self.connects = 0
        self.ends = 0          # streams that ended (server gone, cut, revoked)
        self.comments = 0      # keep-alive comment lines seen
        self.status: int | None = None
        self.last_id: int | None = after
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="sse-reader", daemon=True)
        self._response: httpx.Response | None = None

    def start(self) -> "EventStreamReader":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        r = self._response
        if r is not None:
            try:
                r.close()
            except Exception:  # noqa: BLE001 - closing from another thread may race the reader
                pass
        self._thread.join(5)

    @property
    def ids(self) -> list[int]:
        with self._cond:
            return [e.id for e in self.events]

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
            return True

    def wait_id(self, event_id: int, timeout: float = 10.0) -> bool:
        return self.wait_for(lambda r: r.last_id is not None and r.last_id >= event_id, timeout)

    def _run(self) -> None:
        deadline = time.monotonic() + self.lifetime_s
        with httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(5.0, read=10.0)) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
                if self.last_id is not None:
                    headers["Last-Event-ID"] = str(self.last_id)
                try:
                    with client.stream("GET", f"{API}/events", headers=headers) as r:
                        self._response = r
                        self.status = r.status_code
                        if r.status_code == 401:
                            with self._cond:
                                self._cond.notify_all()
                            return
                        if r.status_code == 200:
                            self.connects += 1
                            self._read(r)
                except httpx.HTTPError:
                    pass
                finally:
                    self._response = None
                with self._cond:
                    self.ends += 1
                    self._cond.notify_all()
                self._stop.wait(self.retry_s)

    def _read(self, r: httpx.Response) -> None:
        ev_id, data = None, []
        for line in r.iter_lines():
            if self._stop.is_set():
                return
            if line.startswith(":"):
                self.comments += 1
            elif line.startswith("id:"):
                ev_id = int(line[3:].strip())
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif line == "" and data:
                event = StreamEvent(ev_id if ev_id is not None else -1, json.loads("\n".join(data)))
                with self._cond:
                    self.events.append(event)
                    if ev_id is not None:
                        self.last_id = ev_id
                    self._cond.notify_all()
                ev_id, data = None, []
