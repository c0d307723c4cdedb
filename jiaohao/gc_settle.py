"""Keep Python's garbage collector out of the way of long-running programs' queue operations.

After start-up a program holds a large heap that lives until it exits (modules, the hall
config, pydantic and Qt wrappers). A full collection walks every tracked object, and
CPython runs one whenever a quarter more objects have survived than the last one saw: in
`serve` that is a pause of tens of milliseconds at a random moment, inside a CALL or an
issue. :func:`settle_after_startup` collects once, then freezes what is left into the
permanent generation (``gc.freeze()``), so later collections walk only what was made since.
Cyclic garbage made later is still collected; the frozen objects are never freed, which is
right for objects that live as long as the program.
"""
from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

_settled = False


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
