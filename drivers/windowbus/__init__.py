"""The window bus: caller keypads, evaluators and window LED screens on RS-485 Modbus RTU.

Layers, bottom up (see docs/window-bus.md and shared/protocols/window-bus.md):

- :mod:`.rtu` — CRC-16/MODBUS and request/reply frames, pure functions.
- :mod:`.codec` — the project's register map: event codes, keypad/screen state blocks,
  GBK text in registers, pure functions.
- :mod:`.master` — :class:`RtuMaster`, a Modbus RTU master over any pyserial URL with
  fault counters and port re-opening.
- :mod:`.devices` — :class:`WindowBusProtocol`, the interface a vendor protocol implements,
  and :class:`ModbusWindowBus`, the project's own.
- :mod:`.poller` — :class:`BusPoller`: polling, offline marking and back-off, sequence
  tracking, full-state writes when a device comes back.
- :mod:`.simulator` — :class:`BusSimulator` with keypads, evaluators and window screens
  answering as Modbus RTU slaves on a pty, with wire-time emulation and fault injection.
"""
from .. import DeviceError


class WindowBusError(DeviceError):
    """Root of window-bus failures; the message names the bus or device."""


from .codec import (EventCode, KeypadState, ScreenState, DeviceKind, BusEvent,  # noqa: E402
                    encode_text, decode_text)
from .master import RtuMaster, BusStats, NoAnswer, BadReply, ModbusException, PortDown  # noqa: E402
from .devices import WindowBusProtocol, ModbusWindowBus, open_protocol  # noqa: E402
from .poller import BusPoller, DeviceSlot  # noqa: E402
from .simulator import BusSimulator, KeypadSim, EvaluatorSim, ScreenSim  # noqa: E402
from .budget import poll_budget_s, cycle_budget_s  # noqa: E402

__all__ = [
    "WindowBusError", "EventCode", "KeypadState", "ScreenState", "DeviceKind", "BusEvent",
    "encode_text", "decode_text", "RtuMaster", "BusStats", "NoAnswer", "BadReply",
    "ModbusException", "PortDown", "WindowBusProtocol", "ModbusWindowBus", "open_protocol",
    "BusPoller", "DeviceSlot", "BusSimulator", "KeypadSim", "EvaluatorSim", "ScreenSim",
    "poll_budget_s", "cycle_budget_s",
]
