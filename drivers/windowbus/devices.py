"""What the bus service needs from a window bus, and the project's Modbus implementation.

:class:`WindowBusProtocol` is the driver interface: identify a device, read its event
latch, write a keypad/evaluator state block, write a window-screen block. A vendor's
keypad protocol is added by implementing it and naming it in ``PROTOCOLS`` (the
``protocol`` field of ``[buses.NAME]``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

from . import WindowBusError
from .codec import (KEYPAD_BLOCK, KEYPAD_REGS, PROTOCOL_VERSION, REG_KIND, REG_SEQ, SCREEN_BLOCK, BusEvent, DeviceKind,
                    KeypadState, ScreenState, decode_event)
from .master import RtuMaster


class WindowBusProtocol(ABC):
    """One bus's devices, addressed by unit number. Methods raise :class:`WindowBusError`
    subclasses: ``NoAnswer`` (counts toward offline), ``BadReply``/``ModbusException``
    (counted, dropped) or ``PortDown``."""

    stats = None  # a BusStats-like object with the fault counters

    @abstractmethod
    def identify(self, unit: int) -> tuple[DeviceKind, int]:
        """(kind, protocol version) of the device at ``unit``."""

    @abstractmethod
    def read_event(self, unit: int) -> BusEvent:
        """The device's event latch: sequence, code, argument."""

    def read_ack(self, unit: int) -> int:
        """The event sequence the keypad/evaluator at ``unit`` has acknowledged (0x0100)."""
        return self.read_keypad(unit).ack_seq

    @abstractmethod
    def read_keypad(self, unit: int) -> KeypadState:
        """The keypad/evaluator block as the device holds it (what the master last wrote, or
        all blank after a power-on). Asked when the device was out of contact, so a latched
        event nobody acted on is never acknowledged by mistake and a restart is told from a
        lost write."""

    @abstractmethod
    def write_keypad(self, unit: int, state: KeypadState) -> None:
        """Write the whole keypad/evaluator state block, acknowledging ``state.ack_seq``."""

    @abstractmethod
    def write_screen(self, unit: int, state: ScreenState) -> None:
        """Write the whole window-screen block."""

    def close(self) -> None:
        """Release the port."""


class ModbusWindowBus(WindowBusProtocol):
    """The register map of shared/protocols/window-bus.md over :class:`RtuMaster`."""

    def __init__(self, master: RtuMaster):
        self.master = master
        self.stats = master.stats

    def identify(self, unit: int) -> tuple[DeviceKind, int]:
        kind, version = self.master.read_input(unit, REG_KIND, 2)
        try:
            return DeviceKind(kind), version
        except ValueError:
            raise WindowBusError(f"bus {self.master.name} address {unit}: unknown device kind {kind} "
                                 f"(protocol version {version}, expected {PROTOCOL_VERSION})") from None

    def read_event(self, unit: int) -> BusEvent:
        return decode_event(self.master.read_input(unit, REG_SEQ, 3))

    def read_ack(self, unit: int) -> int:
        return self.master.read_holding(unit, KEYPAD_BLOCK, 1)[0]

    def read_keypad(self, unit: int) -> KeypadState:
        return KeypadState.from_registers(self.master.read_holding(unit, KEYPAD_BLOCK, KEYPAD_REGS))

    def write_keypad(self, unit: int, state: KeypadState) -> None:
        self.master.write_registers(unit, KEYPAD_BLOCK, state.registers())

    def write_screen(self, unit: int, state: ScreenState) -> None:
        self.master.write_registers(unit, SCREEN_BLOCK, state.registers())

    def close(self) -> None:
        self.master.close()


PROTOCOLS: dict[str, Callable[[RtuMaster], WindowBusProtocol]] = {"modbus": ModbusWindowBus}


def open_protocol(bus_cfg, name: str, default_sim: Callable[[], object] | None = None) -> WindowBusProtocol:
    """The protocol driver for a ``[buses.NAME]`` config section (the port opens lazily)."""
    try:
        factory = PROTOCOLS[bus_cfg.protocol]
    except KeyError:
        raise WindowBusError(f"bus {name}: unknown protocol {bus_cfg.protocol!r}") from None
    master = RtuMaster(bus_cfg.url, bus_cfg.baud, bus_cfg.timeout_ms / 1000, name=name,
                       parity=getattr(bus_cfg, "parity", "E"), stopbits=getattr(bus_cfg, "stopbits", 1),
                       reopen_s=min(1.0, bus_cfg.offline_retry_s), default_sim=default_sim)
    return factory(master)
