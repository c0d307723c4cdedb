"""Rate limits of the citizens' pages: per phone (its address) and per mobile number.

Token buckets kept in memory (a restart clears them, as it does login lock-outs). Behind
the government's reverse proxy every phone has the proxy's address: list the proxy in
``[server] trusted_proxies`` and the limits count by the address it names in
``X-Forwarded-For``. No key is ever logged (a key may be a mobile number).
"""
from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict

MAX_KEYS = 50_000  # the least recently seen keys are forgotten beyond this


class Bucket:
    """``per_minute`` tokens a minute, up to ``burst`` at once, per key."""

    def __init__(self, per_minute: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self._keys: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = self.clock()
        with self._lock:
            tokens, last = self._keys.pop(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= cost
            if ok:
                tokens -= cost
            self._keys[key] = (tokens, now)
            while len(self._keys) > MAX_KEYS:
                self._keys.popitem(last=False)
            return ok

    def retry_after(self) -> int:
        return max(1, int(1 / self.rate)) if self.rate else 60


class PhoneLimits:
    """The limits of one app: look-ups, unknown tokens, live streams, reminders, ratings."""

    def __init__(self, trusted_proxies=(), clock=time.monotonic) -> None:
        self.lookups = Bucket(120, 60, clock)  # status/hall pages, JSON and polls per address
        self.misses = Bucket(6, 10, clock)  # unknown tokens per address: guessing is hopeless and slow
        self.streams = Bucket(30, 30, clock)  # live streams opened per address
        self.remind_ip = Bucket(0.2, 5, clock)  # reminders set per address (12 an hour)
        self.remind_mobile = Bucket(0.1, 3, clock)  # per mobile number (6 an hour)
        self.writes = Bucket(2, 10, clock)  # ratings and other form posts per address
        self._trusted = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def client(self, request) -> str:
        """The phone's address: the peer, or the one a trusted proxy names."""
        peer = request.client.host if request.client else "?"
        if not self._trusted or not self._is_trusted(peer):
            return peer
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
        for hop in reversed(hops):  # the nearest hop not one of our proxies
            if not self._is_trusted(hop):
                return hop
        return peer

    def _is_trusted(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in self._trusted)
