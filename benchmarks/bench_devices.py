"""A hall's window-bus devices for benchmarks, in a process of their own.

In a hall the keypads, evaluators and window screens are hardware on RS-485: `serve`
polls them, it does not also play them. Here every bus of a hall file is simulated
(drivers.windowbus.simulator.BusSimulator over a pty, real bytes at the configured baud
rate) in a separate process, and `serve` is given a copy of the hall file whose buses
open those ptys, so serve's CPU and its GIL hold its own work only.
"""
from __future__ import annotations

import re
from pathlib import Path


def devices_main(config_path: str, paths_out, stop_flag) -> None:
    """Start a simulator for every bus of the hall file; put {bus: pty path} on
    ``paths_out``; run until ``stop_flag`` is set."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from config import load_hall
    from drivers.windowbus.simulator import BusSimulator

    config = load_hall(Path(config_path))
    sims = {bus: BusSimulator.for_config(config, bus) for bus in config.buses}
    paths_out.put({bus: sim.start() for bus, sim in sims.items()})
    stop_flag.wait()
    for sim in sims.values():
        sim.stop()


def with_device_ports(source: Path, dest: Path, paths: dict[str, str]) -> Path:
    """``source`` with each ``[buses.NAME]``'s ``url`` set to ``paths[NAME]``."""
    out, bus = [], None
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            m = re.match(r"\[buses\.([^\]]+)\]", line)
            bus = m.group(1) if m else None
        elif bus in paths and re.match(r"url\s*=", line):
            line = f'url = "{paths[bus]}"'
        out.append(line)
    dest.write_text("\n".join(out) + "\n", encoding="utf-8")
    return dest
