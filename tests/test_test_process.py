"""The test session itself: what one test serves is let go after it (tests/conftest.py), so
the pytest process stays small and its garbage collections short while a hall is served
in one of its threads."""
from __future__ import annotations

import gc
import weakref

from tests.api_helpers import Hall
from tests.conftest import forget_fastapi_caches


def test_an_app_served_in_a_test_is_freed_after_it(queue):
    h = Hall(queue)
    token = h.device("screen-1", "screen")
    with h.client(token) as client:
        assert client.get("/api/v1/hall").status_code == 200
    gone = weakref.ref(h.app)
    h.close()
    del h, client
    forget_fastapi_caches()
    gc.collect()
    assert gone() is None, [type(r).__name__ for r in gc.get_referrers(gone())]
