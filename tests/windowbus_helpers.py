"""Shared helpers of the window-bus tests: a demo hall on a uniquely named simulated bus."""
from __future__ import annotations

import itertools
import time

from drivers.transport import register_sim, unregister_sim
from drivers.windowbus import BusSimulator
from tests import polling

_names = itertools.count(1)


def on_sim_bus(config, bus: str = "floor1", **bus_fields):
    """``config`` with ``bus`` moved to a fresh ``sim://`` name; (config, sim name)."""
    name = f"wbtest{next(_names)}-{time.monotonic_ns()}"
    b = config.buses[bus].model_copy(update={"url": f"sim://{name}", **bus_fields})
    buses = dict(config.buses)
    buses[bus] = b
    return config.model_copy(update={"buses": buses}), name


def start_sim(config, bus: str, name: str, wire_time: bool = False) -> BusSimulator:
    sim = BusSimulator.for_config(config, bus, wire_time=wire_time)
    register_sim(name, sim)
    return sim


def stop_sim(name: str) -> None:
    unregister_sim(name)


def wait_until(predicate, timeout: float = 5.0, step: float = 0.01) -> bool:
    """tests/polling.py's, polling every 10 ms (a bus poll cycle is about that)."""
    return polling.wait_until(predicate, timeout, step)
