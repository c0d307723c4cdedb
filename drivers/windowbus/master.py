"""A Modbus RTU master over any pyserial URL (``/dev/ttyUSB0``, ``socket://``, ``sim://``).

One master per bus, used by one thread. Every reply is checked: a bad CRC, a reply
from the wrong unit, garbage bytes and Modbus exceptions are counted in
:class:`BusStats` and dropped, and the call raises; the bus goes on with the next
request. A port that disappears (USB adapter unplugged) is closed and re-opened when
it comes back: every OS-level serial error (:data:`PORT_ERRORS`: ``OSError``,
``termios.error``, ``serial.SerialException``), while opening or in a request, counts
as a port fault, and re-open attempts back off from ``reopen_s / 8`` to ``reopen_s``.

The character format is the bus's own (8E1 by default, as the Modbus serial-line spec
asks; 8N1 or 8N2 for devices set that way) and the 3.5-character silence between
frames is computed from its real length.

Why not pymodbus: its RTU client retries and resynchronises internally and does not
report bad-CRC / wrong-address / garbage counts, and a poll through it took about twice
as long as ours against the same simulator (see docs/window-bus.md). It is a test
dependency: the independent master that checks the simulator.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Callable

import serial

from .. import DeviceError
from ..transport import PORT_ERRORS
from . import WindowBusError
from . import rtu
from .budget import char_bits, frame_gap_s, wire_s


log = logging.getLogger(__name__)


class NoAnswer(WindowBusError):
    """Nothing (or nothing usable) came back within the time-out."""


class BadReply(WindowBusError):
    """Bytes came back but no valid reply: bad CRC, wrong address or garbage."""


class ModbusException(WindowBusError):
    """The device answered with a Modbus exception."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class PortDown(WindowBusError):
    """The serial port is not open (unplugged, or cannot be opened)."""


@dataclass
class BusStats:
    """Counters of one bus since the master was created."""

    requests: int = 0
    replies: int = 0
    timeouts: int = 0
    bad_crc: int = 0
    wrong_address: int = 0
    exceptions: int = 0
    garbage_bytes: int = 0
    port_errors: int = 0
    open_failures: int = 0
    reopens: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def errors(self) -> int:
        return self.timeouts + self.bad_crc + self.wrong_address + self.exceptions


class RtuMaster:
    """Modbus RTU master: :meth:`read_input`, :meth:`write_registers`, with fault counting."""

    def __init__(self, url: str, baud: int = 9600, timeout_s: float = 0.1, *, name: str = "",
                 parity: str = "E", stopbits: int = 1,
                 reopen_s: float = 1.0, default_sim: Callable[[], object] | None = None,
                 opener: Callable[..., serial.SerialBase] | None = None):
        from ..transport import open_serial
        self.url = url
        self.baud = baud
        self.parity = parity
        self.stopbits = stopbits
        self.char_bits = char_bits(parity, stopbits)
        self.timeout_s = timeout_s
        self.name = name or url
        self.reopen_s = reopen_s
        self.default_sim = default_sim
        self._open = opener or open_serial
        self.stats = BusStats()
        self.gap_s = frame_gap_s(baud, self.char_bits)
        self._port: serial.SerialBase | None = None
        self._last_open_try = -1e9
        self._reopen_wait = 0.0  # grows from reopen_s / 8 to reopen_s while the port stays away
        self._last_frame_end = 0.0
        self.opened_count = 0  # how many times the port was opened (a re-open means state may be lost)
        self.last_error = ""

    # -- port --------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> bool:
        """Open the port now; False (and ``last_error``) if it cannot be opened."""
        self._last_open_try = time.monotonic()
        try:
            self._port = self._open(self.url, self.baud, self.timeout_s, default_sim=self.default_sim,
                                    **self._framing())
        except (DeviceError, RuntimeError, *PORT_ERRORS) as e:  # RuntimeError: an unplugged simulator
            self._port = None
            self.stats.open_failures += 1
            self.last_error = str(e) or type(e).__name__
            self._reopen_wait = min(self.reopen_s, max(self.reopen_s / 8, 2 * self._reopen_wait))
            return False
        self._reopen_wait = 0.0
        if self.opened_count:
            self.stats.reopens += 1
            log.warning("bus %s: port %s re-opened", self.name, self.url)
        self.opened_count += 1
        self.last_error = ""
        return True

    def _framing(self) -> dict:
        """Parity and stop bits for pyserial. A simulator's pty carries bytes, not characters
        (some kernels refuse even parity on a pty): the simulator emulates the format's wire time."""
        from ..transport import sim_name
        return {} if sim_name(self.url) else {"parity": self.parity, "stopbits": self.stopbits}

    def ensure_open(self) -> serial.SerialBase:
        if self._port is None:
            if time.monotonic() - self._last_open_try < self._reopen_wait or not self.open():
                raise PortDown(f"bus {self.name}: port {self.url} is not available"
                               + (f" ({self.last_error})" if self.last_error else ""))
        return self._port

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except Exception:  # noqa: BLE001 - closing a vanished port may fail; it is gone anyway
                pass
            self._port = None

    def _lost_port(self, e: Exception) -> PortDown:
        self.stats.port_errors += 1
        self.last_error = str(e)
        log.warning("bus %s: port %s lost (%s); will re-open when it comes back", self.name, self.url, e)
        self.close()
        self._last_open_try = time.monotonic()
        self._reopen_wait = self.reopen_s / 8
        return PortDown(f"bus {self.name}: port {self.url} lost ({e})")

    # -- requests ----------------------------------------------------------------
    def read_input(self, unit: int, start: int, count: int) -> list[int]:
        frame = self.transact(unit, rtu.read_request(unit, rtu.READ_INPUT, start, count),
                              rtu.READ_INPUT, rtu.reply_length(rtu.READ_INPUT, count))
        return rtu.parse_read_values(frame)

    def read_holding(self, unit: int, start: int, count: int) -> list[int]:
        frame = self.transact(unit, rtu.read_request(unit, rtu.READ_HOLDING, start, count),
                              rtu.READ_HOLDING, rtu.reply_length(rtu.READ_HOLDING, count))
        return rtu.parse_read_values(frame)

    def write_registers(self, unit: int, start: int, values: list[int]) -> None:
        self.transact(unit, rtu.write_request(unit, start, values), rtu.WRITE_MULTIPLE, 8)

    def transact(self, unit: int, request: bytes, function: int, length: int) -> bytes:
        """Send ``request``; the CRC-checked reply frame of ``length`` bytes from ``unit``."""
        port = self.ensure_open()
        try:
            stale = port.in_waiting
            if stale:  # late replies or noise since the last frame
                self.stats.garbage_bytes += len(port.read(stale))
            wait = self._last_frame_end + self.gap_s - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            self.stats.requests += 1
            port.write(request)
            # the time-out counts from the end of the request on the wire, as Modbus's response
            # time-out does: a screen's 35-register write alone is 79 bytes, 91 ms at 9600 8E1,
            # and its reply came just after a 100 ms read (or answered the next request)
            timeout = self.timeout_s + wire_s(len(request), self.baud, self.char_bits)
            if port.timeout != timeout:
                port.timeout = timeout
            buf = port.read(5)
            if len(buf) == 5 and not (buf[0] == unit and buf[1] == function | 0x80):
                buf += port.read(length - 5)
            frame = self._match(buf, unit, function, length)
            if frame is None and buf:
                buf += self._drain(port)
                frame = self._match(buf, unit, function, length)
        except PORT_ERRORS as e:
            raise self._lost_port(e) from e
        finally:
            self._last_frame_end = time.perf_counter()
        if frame is None:
            return self._reject(buf, unit, function, length)
        offset, n = frame
        if offset or len(buf) > offset + n:
            self.stats.garbage_bytes += len(buf) - n
        reply = buf[offset:offset + n]
        if n == 5 and reply[1] == function | 0x80:
            self.stats.exceptions += 1
            code = reply[2]
            raise ModbusException(f"bus {self.name} address {unit}: Modbus exception {code} "
                                  f"({rtu.EXCEPTION_NAMES.get(code, 'unknown')})", code)
        self.stats.replies += 1
        return reply

    @staticmethod
    def _match(buf: bytes, unit: int, function: int, length: int):
        if len(buf) == length and buf[0] == unit and buf[1] == function and rtu.crc_ok(buf):
            return 0, length  # the common case, without a scan
        if len(buf) == 5 and buf[0] == unit and buf[1] == function | 0x80 and rtu.crc_ok(buf):
            return 0, 5
        return rtu.find_frame(buf, unit, function, length) if len(buf) >= 5 else None

    def _drain(self, port) -> bytes:
        """The rest of a damaged or garbled reply: read until the line is quiet for a frame gap."""
        out = b""
        deadline = time.perf_counter() + self.timeout_s
        while time.perf_counter() < deadline:
            time.sleep(max(self.gap_s, 0.002))
            n = port.in_waiting
            if not n:
                break
            out += port.read(n)
        return out

    def _reject(self, buf: bytes, unit: int, function: int, length: int) -> bytes:
        if not buf:
            self.stats.timeouts += 1
            raise NoAnswer(f"bus {self.name}: no answer from address {unit} within "
                           f"{self.timeout_s * 1000:.0f} ms")
        other = rtu.find_any_frame(buf, function, length)
        if other is not None:
            self.stats.wrong_address += 1
            raise BadReply(f"bus {self.name}: reply from address {other} to a request for {unit}; dropped")
        if len(buf) >= 5 and buf[0] == unit and buf[1] in (function, function | 0x80):
            self.stats.bad_crc += 1
            raise BadReply(f"bus {self.name}: bad CRC in the reply from address {unit}; dropped")
        self.stats.garbage_bytes += len(buf)
        raise BadReply(f"bus {self.name}: {len(buf)} garbage byte(s) instead of a reply from address {unit}; "
                       "dropped")
