"""Simulated window devices answering as Modbus RTU slaves on one pty: the bus.

``BusSimulator`` holds keypads, evaluators, keypad-evaluators and window screens by
unit address and answers the master with real frames, optionally taking as long as
the wire would at the configured baud. Tests and the demo script it::

    sim = BusSimulator(baud=9600, wire_time=True)
    sim.add_keypad(1); sim.add_screen(101); sim.add_evaluator(51)
    register_sim("floor1", sim)            # the master opens sim://floor1
    sim.keypad(1).press("CALL")
    sim.keypad(1).display.ticket           # "A001" once the master wrote it
    sim.screen(101).lines                  # ("请A001号到1号窗口", "社会保障")
    sim.evaluator(51).rate(5)

Faults: ``device.fail_next("no_answer"|"bad_crc"|"garbage"|"wrong_address"|"exception", n)``,
``device.silent = True`` (unplugged device), ``sim.noise(bytes)`` (line noise),
``sim.unplug()`` / ``sim.replug()`` (the USB adapter goes away and comes back).
"""
from __future__ import annotations

import logging
import struct
import threading
import time
from collections import deque

from ..ptylink import SerialSimulator
from . import rtu
from .budget import DEFAULT_TURNAROUND_S, char_bits, wire_s
from .codec import (KEYPAD_BLOCK, KEYPAD_REGS, PROTOCOL_VERSION, SCREEN_BLOCK, SCREEN_REGS, DeviceKind,
                    EventCode, KeypadState, ScreenState, seq_jump)

log = logging.getLogger(__name__)

FAULTS = ("no_answer", "bad_crc", "garbage", "wrong_address", "exception")


class SimDevice:
    """A device on the simulated bus: input registers 0x0000-0x0004 and its holding block."""

    kind = DeviceKind.KEYPAD
    block = KEYPAD_BLOCK
    block_regs = KEYPAD_REGS

    def __init__(self, unit: int):
        self.unit = unit
        self.seq = 0
        self.code = 0
        self.arg = 0
        self.holding = [0] * self.block_regs
        self.silent = False
        self.faults: deque[str] = deque()
        self.requests = 0
        self.writes = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    # -- scripting -----------------------------------------------------------------
    def fail_next(self, fault: str, n: int = 1) -> None:
        """Answer the next ``n`` requests with ``fault`` (see FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r} (one of {', '.join(FAULTS)})")
        with self._lock:
            self.faults.extend([fault] * n)

    def power_cycle(self) -> None:
        """The device restarts: sequence 0, blank display."""
        with self._lock:
            self.seq = self.code = self.arg = 0
            self.holding = [0] * self.block_regs

    def wait(self, predicate, timeout: float = 3.0) -> bool:
        """Wait until ``predicate(self)`` holds after a write from the master."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    # -- registers -------------------------------------------------------------------
    def input_registers(self) -> list[int]:
        return [int(self.kind), PROTOCOL_VERSION, self.seq, self.code, self.arg]

    def read(self, function: int, start: int, count: int) -> list[int] | None:
        with self._lock:
            if function == rtu.READ_INPUT:
                regs = self.input_registers()
                return regs[start:start + count] if start + count <= len(regs) else None
            off = start - self.block
            if off < 0 or off + count > self.block_regs:
                return None
            return self.holding[off:off + count]

    def write(self, start: int, values: list[int]) -> bool:
        off = start - self.block
        if off < 0 or off + len(values) > self.block_regs:
            return False
        with self._changed:
            self.holding[off:off + len(values)] = values
            self.writes += 1
            self.on_written()
            self._changed.notify_all()
        return True

    def on_written(self) -> None:
        """Called with the lock held after the master wrote registers."""


class KeypadSim(SimDevice):
    """A caller keypad: keys latch events; the master's block sets its display."""

    kind = DeviceKind.KEYPAD

    def __init__(self, unit: int):
        super().__init__(unit)
        self.pressed_at: dict[int, float] = {}  # seq -> perf_counter of the press
        self.latencies: list[float] = []  # press -> acknowledged state, seconds
        self.beeps = 0

    def press(self, key: "int | str | EventCode", arg: int = 0) -> int:
        """Press ``key`` (``"CALL"``, ``EventCode.PAUSE``, 5 …) after typing ``arg``; the new sequence."""
        code = EventCode.parse(key)
        with self._lock:
            self.seq = (self.seq + 1) & 0xFFFF
            self.code, self.arg = int(code), int(arg) & 0xFFFF
            self.pressed_at[self.seq] = time.perf_counter()
            return self.seq

    @property
    def display(self) -> KeypadState:
        with self._lock:
            return KeypadState.from_registers(list(self.holding))

    @property
    def pending(self) -> bool:
        """A latched event the master has not acknowledged yet."""
        with self._lock:
            return self.seq != 0 and self.holding[0] != self.seq

    def wait_acked(self, timeout: float = 3.0) -> bool:
        return self.wait(lambda d: d.seq == 0 or d.holding[0] == d.seq, timeout)

    def on_written(self) -> None:
        """A sequence the master acknowledges for the first time beeps once. Presses up to it
        that were never acknowledged (replaced in the latch) are forgotten; a press after
        it is kept: the master read the latch before it, and acknowledges it next."""
        ack = self.holding[0]
        t0 = self.pressed_at.pop(ack, None)
        if t0 is not None:
            self.latencies.append(time.perf_counter() - t0)
            self.beeps += 1
            for seq in [s for s in self.pressed_at if not 0 < seq_jump(ack, s) < 0x8000]:
                del self.pressed_at[seq]


class EvaluatorSim(KeypadSim):
    """A satisfaction evaluator: five keys (RATE 1-5), a prompt shown when the master asks."""

    kind = DeviceKind.EVALUATOR

    def rate(self, score: int) -> int:
        if not 1 <= score <= 5:
            raise ValueError("score is 1-5")
        return self.press(EventCode.RATE, score)

    @property
    def prompt(self) -> bool:
        return self.display.prompt


class KeypadEvaluatorSim(EvaluatorSim):
    """A keypad with a built-in evaluator (device kind 3)."""

    kind = DeviceKind.KEYPAD_EVALUATOR


class ScreenSim(SimDevice):
    """A window LED strip screen: two lines, flash, brightness."""

    kind = DeviceKind.SCREEN
    block = SCREEN_BLOCK
    block_regs = SCREEN_REGS

    def __init__(self, unit: int):
        super().__init__(unit)
        self.holding[SCREEN_REGS - 2] = 16
        self.history: list[tuple[str, str, int]] = []  # every (line1, line2, flash) written

    @property
    def state(self) -> ScreenState:
        with self._lock:
            return ScreenState.from_registers(list(self.holding))

    @property
    def lines(self) -> tuple[str, str]:
        s = self.state
        return s.line1, s.line2

    def on_written(self) -> None:
        s = ScreenState.from_registers(self.holding)
        self.history.append((s.line1, s.line2, s.flash_s))


class BusSimulator(SerialSimulator):
    """Every device of one RS-485 bus, answering the master over a pty."""

    name = "window-bus-sim"

    def __init__(self, baud: int = 9600, wire_time: bool = False, turnaround_s: float = DEFAULT_TURNAROUND_S,
                 parity: str = "E", stopbits: int = 1):
        super().__init__()
        self.baud = baud
        self.bits = char_bits(parity, stopbits)  # the wire time of a character (8E1: 11 bits)
        self.wire_time = wire_time
        self.turnaround_s = turnaround_s
        self.devices: dict[int, SimDevice] = {}
        self._buf = b""
        self.frames = 0
        self.bad_requests = 0

    # -- building ------------------------------------------------------------------
    def add(self, device: SimDevice) -> SimDevice:
        if device.unit in self.devices:
            raise ValueError(f"address {device.unit} is already used on this bus")
        self.devices[device.unit] = device
        return device

    def add_keypad(self, unit: int) -> KeypadSim:
        return self.add(KeypadSim(unit))

    def add_evaluator(self, unit: int) -> EvaluatorSim:
        return self.add(EvaluatorSim(unit))

    def add_keypad_evaluator(self, unit: int) -> KeypadEvaluatorSim:
        return self.add(KeypadEvaluatorSim(unit))

    def add_screen(self, unit: int) -> ScreenSim:
        return self.add(ScreenSim(unit))

    @classmethod
    def for_config(cls, config, bus: str, wire_time: bool = True) -> "BusSimulator":
        """A simulator holding a device for every address configured on ``bus``."""
        b = config.buses[bus]
        sim = cls(baud=b.baud, wire_time=wire_time, parity=b.parity, stopbits=b.stopbits)
        sim.name = f"window-bus-sim:{bus}"
        for w in config.windows:
            for role, add in (("keypad", sim.add_keypad), ("evaluator", sim.add_evaluator),
                              ("screen", sim.add_screen)):
                ref = getattr(w, role)
                if ref is not None and ref.bus == bus:
                    add(ref.address)
        return sim

    def keypad(self, unit: int) -> KeypadSim:
        return self._get(unit, KeypadSim)

    def evaluator(self, unit: int) -> EvaluatorSim:
        return self._get(unit, EvaluatorSim)

    def screen(self, unit: int) -> ScreenSim:
        return self._get(unit, ScreenSim)

    def _get(self, unit: int, cls):
        dev = self.devices.get(unit)
        if not isinstance(dev, cls):
            raise KeyError(f"no {cls.__name__} at address {unit}")
        return dev

    # -- line faults ---------------------------------------------------------------
    def noise(self, data: bytes = b"\xff\x00\x5a\xa5") -> None:
        """Put bytes on the line that nobody asked for."""
        self.send(data)

    def unplug(self) -> None:
        """The port disappears (the host's reads and writes fail) until :meth:`replug`."""
        self.stop()

    def replug(self) -> str:
        """The port comes back (a new pty: ``sim://`` resolves to it); its path."""
        self._buf = b""
        return self.start()

    # -- the slave side ------------------------------------------------------------
    def on_idle(self) -> None:
        self._buf = b""  # a frame is over after a silence

    def on_bytes(self, data: bytes) -> None:
        arrived = time.perf_counter()
        self._buf += data
        while self._buf:
            n = rtu.request_length(self._buf)
            if n == 0:  # a function we do not know the length of: the frame ends at a silence
                self._buf += self._until_silence()
                n = len(self._buf)
            if n is None or len(self._buf) < n:
                more = self.link.read(256, 0.02) if self.link else b""  # the rest of the frame
                if not more:
                    self.bad_requests += 1
                    self._buf = b""
                    return
                self._buf += more
                continue
            if not rtu.crc_ok(self._buf[:n]):
                self.bad_requests += 1
                self._buf = b""
                return
            frame, self._buf = self._buf[:n], self._buf[n:]
            self.frames += 1
            reply = self._answer(frame)
            if reply:
                if self.wire_time:
                    due = arrived + wire_s(len(frame), self.baud, self.bits) + self.turnaround_s \
                        + wire_s(len(reply), self.baud, self.bits)
                    wait = due - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                self.send(reply)
            arrived = time.perf_counter()

    def _until_silence(self) -> bytes:
        out = b""
        while self.link is not None:
            more = self.link.read(256, max(0.005, 3.5 * self.bits / self.baud))
            if not more:
                break
            out += more
        return out

    def _answer(self, frame: bytes) -> bytes | None:
        unit, fc = frame[0], frame[1]
        targets = list(self.devices.values()) if unit == 0 else [self.devices.get(unit)]
        reply = None
        for dev in targets:
            if dev is None or dev.silent:
                return None
            dev.requests += 1
            with dev._lock:
                fault = dev.faults.popleft() if dev.faults else None
            if fault == "no_answer":
                return None
            if fault == "exception":
                reply = rtu.exception_reply(unit, fc, 6)
            else:
                reply = self._execute(dev, frame)
            if reply is None or unit == 0:
                continue
            if fault == "bad_crc":
                reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
            elif fault == "garbage":
                reply = b"\x00\xfe\x13\x37" + reply
            elif fault == "wrong_address":
                reply = rtu.with_crc(bytes([(unit % 247) + 1]) + reply[1:-2])
        return None if unit == 0 else reply

    @staticmethod
    def _execute(dev: SimDevice, frame: bytes) -> bytes:
        """The reply of a conforming slave, checked in the spec's order: function (exception 01),
        quantity and byte count (03), address range (02)."""
        unit, fc = frame[0], frame[1]
        if fc not in rtu.SUPPORTED:
            return rtu.exception_reply(unit, fc, rtu.ILLEGAL_FUNCTION)
        if fc in (rtu.READ_INPUT, rtu.READ_HOLDING):
            start, count = struct.unpack(">HH", frame[2:6])
            if not 1 <= count <= 125:
                return rtu.exception_reply(unit, fc, rtu.ILLEGAL_VALUE)
            values = dev.read(fc, start, count)
            if values is None:
                return rtu.exception_reply(unit, fc, rtu.ILLEGAL_ADDRESS)
            return rtu.read_reply(unit, fc, values)
        if fc == rtu.WRITE_MULTIPLE:
            start, count, nbytes = struct.unpack(">HHB", frame[2:7])
            if not 1 <= count <= 123 or nbytes != 2 * count:
                return rtu.exception_reply(unit, fc, rtu.ILLEGAL_VALUE)
            values = list(struct.unpack(f">{count}H", frame[7:7 + nbytes]))
            if not dev.write(start, values):
                return rtu.exception_reply(unit, fc, rtu.ILLEGAL_ADDRESS)
            return rtu.write_reply(unit, start, count)
        start, value = struct.unpack(">HH", frame[2:6])  # WRITE_SINGLE
        if not dev.write(start, [value]):
            return rtu.exception_reply(unit, fc, rtu.ILLEGAL_ADDRESS)
        return frame
