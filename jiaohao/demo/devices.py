"""The demo's simulated devices: started and registered under their ``sim://`` names
before the hall's parts open them, so the real drivers talk to them over pty pairs.

Each area is optional: when a part of the product is not in this build (its module is
missing) the demo runs without it and :attr:`DemoDevices.notes` says which.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from config import HallConfig
from drivers.transport import get_sim, register_sim, sim_name, unregister_sim

log = logging.getLogger(__name__)


def optional(module: str):
    """``module`` imported, or None when it is not part of this build (or half of it is
    missing: a part being installed or updated). The reason is logged."""
    try:
        return import_module(module)
    except ImportError as e:
        log.info("%s is not available: %s", module, e)
        return None


@dataclass
class DemoDevices:
    """Simulators for the config's ``sim://`` devices; ``notes`` lists what is missing."""

    config: HallConfig
    out_dir: Path
    bus_wire_time: bool = True  # the bus simulator takes as long as the wire would
    notes: list[str] = field(default_factory=list)
    printer_sim: object | None = None
    bus_sims: dict[str, object] = field(default_factory=dict)
    board_sims: list[object] = field(default_factory=list)
    _registered: list[str] = field(default_factory=list)

    @property
    def tickets_dir(self) -> Path:
        return self.out_dir / "tickets"

    @property
    def voice_dir(self) -> Path:
        return self.out_dir / "voice"

    def _register(self, url: str, sim) -> None:
        name = sim_name(url)
        if name is None:
            return
        if get_sim(name) is not None:  # already running (a second demo in one process, tests)
            unregister_sim(name)
        register_sim(name, sim)
        self._registered.append(name)

    def start(self) -> None:
        self._start_printer()
        self._start_buses()
        self._start_boards()

    def stop(self) -> None:
        for name in reversed(self._registered):
            try:
                unregister_sim(name)
            except Exception:  # noqa: BLE001 - stopping must go on
                log.exception("stopping simulator %s", name)
        self._registered.clear()

    # -- each area ---------------------------------------------------------------
    def _start_printer(self) -> None:
        if sim_name(self.config.printer.url) is None:
            return
        mod = optional("drivers.printer")
        if mod is None or not hasattr(mod, "PrinterSimulator"):
            self.notes.append("打印机：这个版本没有打印部分，出票不打印 (printer: the printer part is not in this build; tickets are "
                              "issued without printing)")
            return
        self.tickets_dir.mkdir(parents=True, exist_ok=True)
        p = self.config.printer
        try:
            self.printer_sim = mod.PrinterSimulator(output_dir=self.tickets_dir, paper_mm=p.paper_mm,
                                                    encoding=p.encoding)
        except TypeError:  # an older simulator: the contract's one argument
            self.printer_sim = mod.PrinterSimulator(output_dir=self.tickets_dir)
        self._register(self.config.printer.url, self.printer_sim)

    def _start_buses(self) -> None:
        sim_buses = {n: b for n, b in self.config.buses.items() if sim_name(b.url) is not None}
        if not sim_buses:
            return
        mod = optional("drivers.windowbus")
        if mod is None or not hasattr(mod, "BusSimulator"):
            self.notes.append("窗口总线：这个版本没有呼叫器/评价器部分，模拟的工作人员直接操作队列 (window bus: the "
                              "keypad/evaluator part is not in this build; simulated staff act on the queue directly)")
            return
        for name, bus in sim_buses.items():
            sim = make_bus_simulator(mod, self.config, name, self.bus_wire_time)
            self._register(bus.url, sim)
            self.bus_sims[name] = sim

    def _start_boards(self) -> None:
        boards = [b for b in self.config.boards if sim_name(b.url) is not None]
        if not boards:
            return
        mod = optional("drivers.led")
        if mod is None or not hasattr(mod, "BoardSimulator"):
            self.notes.append("条屏：这个版本没有条屏部分 (LED boards: the LED part is not in this build)")
            return
        for board in boards:
            sim = make_board_simulator(mod, board)
            self._register(board.url, sim)
            self.board_sims.append(sim)


def make_bus_simulator(mod, config: HallConfig, bus_name: str, wire_time: bool = True):
    """A ``BusSimulator`` with a keypad, evaluator and window screen for each window on the bus."""
    return mod.BusSimulator.for_config(config, bus_name, wire_time=wire_time)


def make_board_simulator(mod, board):
    return mod.BoardSimulator.for_board(board)
