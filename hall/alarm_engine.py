"""The alarm engine: a `jiaohao serve` component that checks the hall's limits every
``[limits] evaluate_seconds`` (5 s) and raises or clears alarms (hall/alarms.py).

It reads on a read-only connection of its own, in one read transaction (a consistent
picture of the hall), and writes only when an alarm starts or ends. A crossing is
therefore seen within one interval plus the check itself, well inside the 10 s the
managers were promised.
"""
from __future__ import annotations

import logging
import threading
import time

from . import alarms
from .clock import business_day
from .db import connect_readonly
from .device_health import DeviceHealth
from .limits import EffectiveLimits, read_overrides

log = logging.getLogger(__name__)


class AlarmEngine:
    """Checks the limits of ``queue``'s hall until :meth:`stop`."""

    name = "alarm engine"

    def __init__(self, queue, interval_s: float | None = None):
        self.queue = queue
        self.config = queue.config
        self.interval_s = interval_s if interval_s is not None else self.config.limits.evaluate_seconds
        self.health = DeviceHealth()
        self._conn = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_run: float | None = None  # monotonic time of the last good check
        self.last_error: str = ""
        self.checks = 0

    def _connection(self):
        if self._conn is None:
            self._conn = connect_readonly(self.queue.path, timeout_s=2.0, check=False)
        return self._conn

    def evaluate_once(self) -> tuple[list[dict], list[dict]]:
        """One check: (alarms raised, alarms cleared)."""
        now = self.queue.clock()
        day = business_day(now)
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            self.health.update(conn, day)
            limits = EffectiveLimits(self.config, read_overrides(conn))
            found = alarms.conditions(conn, self.config, limits, now.timestamp(), day, self.health)
        finally:
            conn.execute("COMMIT")
        result = alarms.apply(self.queue, found, day)
        self.checks += 1
        self.last_run = time.monotonic()
        return result

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alarm-engine", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.evaluate_once()
                self.last_error = ""
            except Exception as e:  # noqa: BLE001 - a failed check is tried again at the next one
                if str(e) != self.last_error:
                    log.warning("alarm check failed (tried again in %.0f s): %s", self.interval_s, e)
                self.last_error = str(e)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def components(ctx) -> list:
    """For `jiaohao serve`: the engine, with the hall API (where its alarms are seen)."""
    if not getattr(ctx, "listen", None) and getattr(ctx.config, "server", None) is None:
        return []
    return [AlarmEngine(ctx.queue)]
