"""How far a client PC's clock is from the controller's: one measure for the whole hall.

Every client (kiosk, screen, software caller) learns it from its heartbeats
(``POST /api/v1/heartbeat``, docs/network.md): the client notes its own wall clock when
it sends (``t0``) and when the answer arrives (``t1``); the answer carries the server's
wall clock (``server_time``) taken while handling it. As in NTP, the offset is
``(t0 + t1) / 2 - server_time``, known to within half the round trip. The server, which
sees only the client's ``t0``, estimates ``t0 - server_time`` (one way: late by the
request's travel time, milliseconds on a LAN, nothing next to a bound of minutes) until
the client reports its measured offset in the next heartbeat.

``offset_s`` is always *client minus server*: positive when the client's clock runs
ahead. A client whose ``abs(offset_s)`` exceeds ``[server] max_clock_skew_s`` (default
120 s) is flagged by `GET /api/v1/clients` and `jiaohao diag check`. A time the client
read on its own clock becomes the server's idea of that moment with
:func:`to_server_time` (what the offline tickets of a kiosk are ordered by).

One way to measure, one flag: :class:`ClockFilter` keeps a client's last :data:`KEEP`
round trips and offers the fastest, for the heartbeats (hall/heartbeat.py: the offset
`GET /clients` and `diag check` flag) and for a kiosk's lease keeper (kiosk/offline.py:
the offset its offline tickets are ordered by, on the hall clock they are stamped with).
The server's own one-way estimate from a lease request (hall/leases.py) orders a ticket
that carries no offset, and is not flagged a second time.

Wall clocks here are epoch seconds (``time.time()``), not the hall clock: the question
is how far two PCs' system clocks disagree.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

DEFAULT_MAX_SKEW_S = 120.0
KEEP = 8  # round trips a ClockFilter chooses from (NTP's clock filter keeps eight too)


@dataclass(frozen=True)
class ClockOffset:
    """One measured offset: client minus server, in seconds, and how sure it is."""

    offset_s: float
    uncertainty_s: float  # half the round trip (one-way estimates: the wait the server saw, else 0)
    measured_at: float  # the client's wall clock when the answer arrived (epoch seconds)
    method: str = "round-trip"  # "round-trip" (NTP-style, from the client) or "one-way" (server's estimate)

    def skewed(self, max_skew_s: float = DEFAULT_MAX_SKEW_S) -> bool:
        return is_skewed(self.offset_s, max_skew_s)

    def to_server_time(self, client_ts: float) -> float:
        return to_server_time(client_ts, self.offset_s)

    def to_json(self) -> dict:
        return {"offset_s": round(self.offset_s, 3), "uncertainty_s": round(self.uncertainty_s, 3),
                "method": self.method}


def measure(t0: float, server_time: float, t1: float) -> ClockOffset:
    """The offset from one exchange: sent at ``t0`` and answered at ``t1`` (client clock),
    ``server_time`` read by the server in between."""
    if t1 < t0:  # the client's clock stepped back meanwhile: no round trip can be known
        t1 = t0
    return ClockOffset((t0 + t1) / 2.0 - server_time, (t1 - t0) / 2.0, t1, "round-trip")


class ClockFilter:
    """The last :data:`KEEP` round-trip measures of one PC; :attr:`best` is the one with the
    shortest round trip (off by at most half of it). Thread-safe: a kiosk's heartbeat and
    lease keeper threads both add to one."""

    def __init__(self, keep: int = KEEP):
        self._measures: deque[ClockOffset] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.best: ClockOffset | None = None

    def add(self, m: ClockOffset) -> ClockOffset:
        """Keep ``m``; the best of the last few, now."""
        with self._lock:
            self._measures.append(m)
            self.best = min(self._measures, key=lambda o: o.uncertainty_s)
            return self.best


def one_way(client_time: float, server_received: float) -> ClockOffset:
    """The server's estimate from a client's own time stamp on a request."""
    return ClockOffset(client_time - server_received, 0.0, client_time, "one-way")


ONE_WAY_UNCERTAINTY_S = 0.5  # what a one-way estimate is taken to be good to (its travel time is unknown)


def best(a: ClockOffset | None, b: ClockOffset | None) -> ClockOffset | None:
    """The tighter of two measures, a one-way estimate counting as good to
    :data:`ONE_WAY_UNCERTAINTY_S`; on a tie the round trip."""
    if a is None or b is None:
        return a or b

    def key(o: ClockOffset) -> tuple[float, int]:
        if o.method == "one-way":
            return max(o.uncertainty_s, ONE_WAY_UNCERTAINTY_S), 1
        return o.uncertainty_s, 0
    return min((a, b), key=key)


def to_server_time(client_ts: float, offset_s: float) -> float:
    """A moment read on the client's clock, on the server's clock."""
    return client_ts - offset_s


def is_skewed(offset_s: float | None, max_skew_s: float = DEFAULT_MAX_SKEW_S) -> bool:
    return offset_s is not None and abs(offset_s) > max_skew_s


def max_skew(config) -> float:
    """``[server] max_clock_skew_s`` of a hall config (the default when it has no ``[server]``)."""
    server = getattr(config, "server", None)
    return float(getattr(server, "max_clock_skew_s", DEFAULT_MAX_SKEW_S) or DEFAULT_MAX_SKEW_S)


def describe(offset_s: float | None) -> str:
    """``+3.2 s ahead`` / ``-310 s behind`` / ``in step`` for technicians."""
    if offset_s is None:
        return "not measured"
    if abs(offset_s) < 0.5:
        return "in step"
    return f"{offset_s:+.1f} s {'ahead' if offset_s > 0 else 'behind'}"


def wall_clock() -> float:
    return time.time()
