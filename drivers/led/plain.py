"""The ``plain`` board protocol: the project's own line protocol for simple LED boards.

Meant for boards built on a small microcontroller and for serial-to-text gateways;
a technician can type it on a terminal. Full description in docs/led-boards.md::

    host → board   02 | addr (2 hex ASCII) | cmd (1 ASCII) | payload | 03 | xor (2 hex ASCII)
    board → host   06 | addr (2 hex)                          accepted
                   15 | addr (2 hex) | reason (1 ASCII)       refused: K checksum, C command, L line

Commands: ``L`` + line digit 1-9 + GBK text (set that line), ``C`` (clear every line),
``P`` (ping). The checksum is the XOR of every byte between 02 and 03. Address 00 is
broadcast: every board obeys and none answers.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import FrameError

STX, ETX, ACK, NAK = 0x02, 0x03, 0x06, 0x15
BROADCAST = 0
REASONS = {"K": "bad checksum", "C": "unknown command", "L": "bad line number"}


def checksum(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x


def clean_text(text: str) -> str:
    """Control characters cannot travel inside a frame: they become spaces."""
    return "".join(" " if ord(c) < 0x20 or c == "\x7f" else c for c in text)


def _frame(address: int, body: bytes) -> bytes:
    if not 0 <= address <= 255:
        raise ValueError(f"plain boards have addresses 1-255 (00 is broadcast), not {address}")
    inner = f"{address:02X}".encode() + body
    return bytes((STX,)) + inner + bytes((ETX,)) + f"{checksum(inner):02X}".encode()


def set_line(address: int, line: int, text: str, encoding: str = "gbk") -> bytes:
    if not 1 <= line <= 9:
        raise ValueError(f"line {line} is not 1-9")
    return _frame(address, b"L" + str(line).encode() + clean_text(text).encode(encoding, errors="replace"))


def clear(address: int) -> bytes:
    return _frame(address, b"C")


def ping(address: int) -> bytes:
    return _frame(address, b"P")


@dataclass(frozen=True)
class Command:
    address: int
    command: str           # "L", "C", "P" or anything else received
    line: int | None = None
    text: str = ""


def parse_frame(frame: bytes, encoding: str = "gbk") -> Command:
    """Decode one host frame (02 … 03 xx); FrameError on a bad checksum or shape.

    An unknown command letter is returned as is (the board answers NAK C).
    """
    if len(frame) < 7 or frame[0] != STX or frame[-3] != ETX:
        raise FrameError(f"not a plain frame: {frame[:16].hex(' ')}")
    inner = frame[1:-3]
    try:
        got = int(frame[-2:].decode("ascii"), 16)
        address = int(inner[:2].decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError) as e:
        raise FrameError(f"bad hex digits in {frame[:16].hex(' ')}") from e
    if got != checksum(inner):
        raise FrameError(f"checksum {got:02X} does not match {checksum(inner):02X}")
    cmd = chr(inner[2])
    if cmd == "L":
        if len(inner) < 4 or not chr(inner[3]).isdigit() or inner[3] == ord("0"):
            return Command(address, "L?")
        return Command(address, "L", int(chr(inner[3])), inner[4:].decode(encoding, errors="replace"))
    return Command(address, cmd)


def ack(address: int) -> bytes:
    return bytes((ACK,)) + f"{address:02X}".encode()


def nak(address: int, reason: str) -> bytes:
    return bytes((NAK,)) + f"{address:02X}".encode() + reason.encode()


def parse_answer(data: bytes) -> tuple[bool, int, str]:
    """(accepted, address, reason) of a board's answer."""
    if len(data) >= 3 and data[0] in (ACK, NAK):
        try:
            address = int(data[1:3].decode("ascii"), 16)
        except (UnicodeDecodeError, ValueError) as e:
            raise FrameError(f"bad answer {data.hex(' ')}") from e
        if data[0] == ACK:
            return True, address, ""
        reason = chr(data[3]) if len(data) > 3 else "?"
        return False, address, REASONS.get(reason, reason)
    raise FrameError(f"bad answer {data.hex(' ')}")


class FrameReader:
    """Split a byte stream into host frames (02 … 03 x x); other bytes are counted and dropped."""

    def __init__(self, max_len: int = 4096):
        self._buf = bytearray()
        self._tail = -1          # bytes still expected after ETX
        self.max_len = max_len
        self.stray = 0

    def feed(self, data: bytes) -> list[bytes]:
        frames = []
        for b in data:
            if b == STX and self._tail < 0:
                if self._buf:
                    self.stray += len(self._buf)
                self._buf = bytearray((b,))
                continue
            if not self._buf:
                self.stray += 1
                continue
            self._buf.append(b)
            if self._tail > 0:
                self._tail -= 1
                if self._tail == 0:
                    frames.append(bytes(self._buf))
                    self._buf = bytearray()
                    self._tail = -1
            elif b == ETX:
                self._tail = 2
            elif len(self._buf) > self.max_len:
                self.stray += len(self._buf)
                self._buf = bytearray()
        return frames
