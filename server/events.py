"""The live event stream, GET /api/v1/events (CONTRACT STUB: the `events` work fills
this in; the signature of :func:`install` is the contract with server/app.py).

``install(app, queue, access, keepalive_s)`` adds the route to ``app`` (documented in its
OpenAPI) and returns the hub; the app's lifespan calls ``hub.start()`` and
``hub.stop()``. The route authenticates by itself with ``access.principal_for`` (any
valid credential may read the stream)."""
from __future__ import annotations


class EventHub:
    """Tails the event log once and fans each new event out to every open stream."""

    def __init__(self, queue, access, keepalive_s: float = 15.0) -> None:
        self.queue, self.access, self.keepalive_s = queue, access, keepalive_s

    def start(self) -> None: ...

    def stop(self) -> None: ...


def install(app, queue, access, keepalive_s: float = 15.0) -> EventHub:
    hub = EventHub(queue, access, keepalive_s)
    return hub
