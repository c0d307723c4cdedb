"""The guide of a hall server, for a kiosk on another PC: ``GET /api/v1/guide``.

:class:`RemoteGuide` has the same ``current()`` as :class:`config.guide.GuideFiles`. It
fetches the whole guide (a few hundred kB for 700 items) at start and again after
``refresh_s``; when the server does not answer it keeps the guide it has, so the 查询
mode goes on working through a network blip, and a kiosk that started while the server
was down gets the guide at its next try."""
from __future__ import annotations

import logging
import threading
import time

from config.guide import Guide

log = logging.getLogger(__name__)


class RemoteGuide:
    """The server's guide, fetched at the first ``current()`` and then in the background
    (a GUI thread asking is never held up by the network after the first time)."""

    def __init__(self, hall, refresh_s: float = 300.0, retry_s: float = 30.0, monotonic=time.monotonic):
        self.hall = hall
        self.refresh_s, self.retry_s = refresh_s, retry_s
        self._mono = monotonic
        self._lock = threading.Lock()
        self._guide: Guide | None = None
        self._digest = ""
        self._next = float("-inf")
        self._fetching: threading.Thread | None = None

    def _fetch(self) -> None:
        try:
            digest, guide = self.hall.guide()
        except Exception as e:  # noqa: BLE001 - keep the guide we have
            log.warning("guide not fetched from %s: %s", self.hall.location, e)
            with self._lock:
                self._next = self._mono() + self.retry_s
            return
        with self._lock:
            self._next = self._mono() + self.refresh_s
            if digest != self._digest or self._guide is None:
                self._guide, self._digest = guide, digest

    def current(self) -> Guide:
        with self._lock:
            due = self._mono() >= self._next
            first = self._guide is None and self._next == float("-inf")
            busy = self._fetching is not None and self._fetching.is_alive()
        if due and first:
            self._fetch()
        elif due and not busy:
            self._fetching = threading.Thread(target=self._fetch, name="guide-fetch", daemon=True)
            self._fetching.start()
        with self._lock:
            return self._guide if self._guide is not None else Guide([], self.hall.config)

    def wait(self, timeout: float = 5.0) -> None:
        """Wait for a background fetch under way (tests)."""
        t = self._fetching
        if t is not None:
            t.join(timeout)
