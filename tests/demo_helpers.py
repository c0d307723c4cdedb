"""The running demo hall the demo's GUI and watch tests share (import the fixture ``hall``)."""
from __future__ import annotations

import pytest

from config import DEMO_HALL
from jiaohao.demo.runner import DemoHall, DemoOptions


@pytest.fixture
def hall(demo_config, tmp_path):
    """The demo's simulated day at 120× for 12 minutes (seed 3), started; stopped after."""
    h = DemoHall(demo_config, DEMO_HALL, DemoOptions(speed=120, minutes=12, out_dir=tmp_path / "out", seed=3))
    h.start()
    yield h
    h.stop()
    h.close()
