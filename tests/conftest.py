"""Shared fixtures: the demo hall, a frozen clock, a fresh queue database per test."""
from __future__ import annotations

import functools
import os
import sys
from datetime import datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from config import DEMO_HALL, load_hall  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory):
    """The tests' `jiaohao` processes keep hall copies (config/cache.py) in a folder of the
    session, never in the user's own cache."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(autouse=True)
def _release_closed_halls():
    """After each test, the descriptors hall/dbfile.py keeps of database files no longer
    open: a session of thousands of halls must stay under 1,024 descriptors (select())."""
    yield
    from hall import dbfile
    dbfile.release_unused()


@pytest.fixture(autouse=True)
def _forget_served_apps():
    """After each test, FastAPI's module-level caches (functools.lru_cache keyed by each
    endpoint function, 4,096 entries in fastapi 0.165) let go of the test's app: else the
    session keeps hundreds of apps, a CPython full collection in this process takes seconds
    by the middle of the run, and the hall served in a thread here stops answering for that
    long (a client's 3 s budget ran out in CI)."""
    yield
    forget_fastapi_caches()


def forget_fastapi_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name == "fastapi" or name.startswith("fastapi."):
            for value in list(vars(module).values()):
                if isinstance(value, functools._lru_cache_wrapper):
                    value.cache_clear()


@pytest.fixture(scope="session")
def demo_config():
    return load_hall(DEMO_HALL)


@pytest.fixture
def clock():
    """Monday 2026-11-23 09:00, inside every demo service's hours."""
    return FixedClock(datetime(2026, 11, 23, 9, 0))


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "hall.sqlite"


@pytest.fixture
def queue(demo_config, clock, db_path):
    q = HallQueue(db_path, demo_config, clock)
    yield q
    q.close()
