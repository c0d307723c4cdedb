"""Keep Python's garbage collector out of the way of long-running programs' queue operations.

After start-up a program holds a large heap that lives until it exits (modules, the hall
config, pydantic and Qt wrappers). A full collection walks every tracked object, and
CPython runs one whenever a quarter more objects have survived than the last one saw: in
`serve` that is a pause of tens of milliseconds at a random moment, inside a CALL or an
issue. :func:`settle_after_startup` collects once, then freezes what is left into the
permanent generation (``gc.freeze()``), so later collections walk only what was made since.
Cyclic garbage made later is still collected; the frozen objects are never freed, which is
right for objects that live as long as the program.

`serve` goes one step further (:class:`FullCollections`): what it makes after start-up is
itself large (1,000 phones' event streams are ~160,000 tracked objects: each stream's ASGI
stack, task and transport), and CPython's own full collections of it took 45-100 ms on the
2-core test machine, five in the seconds the phones connected, each a pause in every
request then in flight (api_bench: call-next max 97 ms with them, 19 ms without). So serve
switches the collector's own full collections off and runs them itself, at most every
:data:`FULL_EVERY_S` and only at a quiet moment (no API request in flight or answered in
the last half second), or after :data:`FULL_LATEST_S` whatever the load. Young garbage
is still collected by the two younger generations as before.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

_settled = False

FULL_EVERY_S = 600.0  # a full collection at most this often ...
FULL_LATEST_S = 1800.0  # ... and at least this often, quiet moment or not
QUIET_POLL_S = 0.25  # how often a due collection looks for a quiet moment
FULL_OFF = 1 << 30  # the oldest generation's threshold: CPython never starts a full collection


def settle_after_startup() -> int:
    """Collect, then freeze the start-up heap; once per process (later calls do nothing).
    Returns the number of objects frozen by this call."""
    global _settled
    if _settled:
        return 0
    _settled = True
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen: %d objects out of the garbage collector's walks", frozen)
    return frozen


class FullCollections:
    """The full collections of a long-running server, at quiet moments (see the module).

    ``quiet()`` says whether now is a good moment; :meth:`start` switches CPython's own full
    collections off and runs a thread that does them instead; :meth:`due` is its decision,
    kept apart so it can be tested with a clock of its own."""

    def __init__(self, quiet: Callable[[], bool] = lambda: True, clock: Callable[[], float] = time.monotonic,
                 every_s: float = FULL_EVERY_S, latest_s: float = FULL_LATEST_S) -> None:
        self.quiet, self.clock, self.every_s, self.latest_s = quiet, clock, every_s, latest_s
        self.last = clock()
        self.runs = 0  # full collections done (a figure for tests and logs)
        self.last_ms = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self) -> bool:
        waited = self.clock() - self.last
        return waited >= self.latest_s or (waited >= self.every_s and self.quiet())

    def collect(self) -> int:
        t = time.perf_counter()
        found = gc.collect()
        self.last_ms = (time.perf_counter() - t) * 1000
        self.last, self.runs = self.clock(), self.runs + 1
        log.debug("full garbage collection: %d unreachable objects, %.1f ms", found, self.last_ms)
        return found

    def start(self) -> None:
        gen0, gen1, self._gen2 = gc.get_threshold()
        gc.set_threshold(gen0, gen1, FULL_OFF)
        self._thread = threading.Thread(target=self._run, name="gc-full", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
            gen0, gen1, _ = gc.get_threshold()
            gc.set_threshold(gen0, gen1, self._gen2)

    def _run(self) -> None:
        wait = self.every_s
        while not self._stop.wait(wait):
            if self.due():
                self.collect()
            wait = max(QUIET_POLL_S, self.every_s - (self.clock() - self.last))
