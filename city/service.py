"""The `serve` component that ships the hall's records to the city in the background.

Its own thread, its own connections: the queue never waits for it. While the city is
unreachable it retries with a back-off (the interval doubling up to ``[city]
retry_max_seconds``), says so once in the log (and in ``city_shipping``), and catches up
when the city answers again, however long that took.
"""
from __future__ import annotations

import logging
import threading
import time

from .schema import CityError
from .ship import Shipper, describe_error

log = logging.getLogger(__name__)


class CityShipping:
    """Ships every ``[city] interval_seconds`` until stopped."""

    name = "city shipping"

    def __init__(self, shipper: Shipper, interval_s: float, retry_max_s: float):
        self.shipper = shipper
        self.interval_s = interval_s
        self.retry_max_s = retry_max_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.last_ok_at: float | None = None
        self.shipped_events = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="city-ship", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.shipper.close()

    def _run(self) -> None:
        wait = self.interval_s
        while not self._stop.is_set():
            try:
                # a bounded run: a stop request is answered within one batch
                res = self.shipper.ship(deadline=time.monotonic() + 60)
                self.shipped_events += res.events
                self.last_ok_at = time.time()
                if self.last_error is not None:
                    log.warning("city database reachable again: shipped %d events (%d behind)",
                                res.events, res.behind)
                self.last_error = None
                wait = 0.0 if res.behind else self.interval_s
            except Exception as e:  # noqa: BLE001 - the city's problem never stops the hall
                text = describe_error(e, self.shipper.cfg.database)
                if text != self.last_error:
                    expected = isinstance(e, CityError) or type(e).__module__.startswith("psycopg")
                    (log.warning if expected else log.exception)(
                        "shipping to the city failed (the hall works on; retrying): %s", text)
                    self.shipper.record_failure(text)
                self.last_error = text
                self.shipper.drop_city_connection()
                wait = min(max(wait * 2, self.interval_s, 2.0), self.retry_max_s)
            if wait:
                self._stop.wait(wait)


def components(ctx) -> list:
    """For `jiaohao serve`: shipping to the city when ``[city] database`` is set."""
    cfg = ctx.config
    city = getattr(cfg, "city", None)
    if city is None or not city.database:
        return []
    shipper = Shipper(ctx.db_path, city, cfg.hall.name, cfg.services, cfg.windows,
                      base_dir=ctx.config_path.parent)
    return [CityShipping(shipper, city.interval_seconds, city.retry_max_seconds)]
