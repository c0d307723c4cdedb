"""Shared fixtures: the demo hall, a frozen clock, a fresh queue database per test."""
from __future__ import annotations

import os
from datetime import datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from config import DEMO_HALL, load_hall  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402


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
