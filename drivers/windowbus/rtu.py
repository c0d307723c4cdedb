"""Modbus RTU framing: CRC-16/MODBUS, the requests the master sends and the replies it
parses. Pure functions over bytes; nothing here touches a port."""
from __future__ import annotations

import struct

READ_HOLDING = 0x03
READ_INPUT = 0x04
WRITE_SINGLE = 0x06
WRITE_MULTIPLE = 0x10

EXCEPTION_NAMES = {
    1: "illegal function", 2: "illegal data address", 3: "illegal data value",
    4: "server device failure", 5: "acknowledge", 6: "server device busy",
}


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF)."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ b) & 0xFF]
    return crc


def with_crc(body: bytes) -> bytes:
    """``body`` followed by its CRC, low byte first as Modbus RTU sends it."""
    return body + struct.pack("<H", crc16(body))


def crc_ok(frame: bytes) -> bool:
    return len(frame) >= 4 and crc16(frame[:-2]) == struct.unpack("<H", frame[-2:])[0]


def _check_unit(unit: int) -> None:
    if not 0 <= unit <= 247:
        raise ValueError(f"unit address {unit} is outside 0-247")


def read_request(unit: int, function: int, start: int, count: int) -> bytes:
    """Function 03/04 request: read ``count`` registers from ``start``."""
    _check_unit(unit)
    if not 1 <= count <= 125:
        raise ValueError(f"cannot read {count} registers in one request (1-125)")
    return with_crc(struct.pack(">BBHH", unit, function, start, count))


def write_request(unit: int, start: int, values: list[int] | tuple[int, ...]) -> bytes:
    """Function 16 request: write ``values`` to consecutive holding registers from ``start``."""
    _check_unit(unit)
    if not 1 <= len(values) <= 123:
        raise ValueError(f"cannot write {len(values)} registers in one request (1-123)")
    body = struct.pack(">BBHHB", unit, WRITE_MULTIPLE, start, len(values), 2 * len(values))
    return with_crc(body + struct.pack(f">{len(values)}H", *values))


def reply_length(function: int, count: int) -> int:
    """Length of a normal reply to a request of ``function`` for ``count`` registers."""
    if function in (READ_HOLDING, READ_INPUT):
        return 5 + 2 * count
    if function in (WRITE_SINGLE, WRITE_MULTIPLE):
        return 8
    raise ValueError(f"unsupported function {function}")


def read_reply(unit: int, function: int, values: list[int] | tuple[int, ...]) -> bytes:
    """A slave's reply to function 03/04 (used by the simulators and the tests)."""
    body = struct.pack(">BBB", unit, function, 2 * len(values)) + struct.pack(f">{len(values)}H", *values)
    return with_crc(body)


def write_reply(unit: int, start: int, count: int) -> bytes:
    return with_crc(struct.pack(">BBHH", unit, WRITE_MULTIPLE, start, count))


def exception_reply(unit: int, function: int, code: int) -> bytes:
    return with_crc(bytes([unit, function | 0x80, code]))


def parse_read_values(frame: bytes) -> list[int]:
    """Register values of a CRC-checked function 03/04 reply."""
    n = frame[2]
    if n % 2 or len(frame) != 5 + n:
        raise ValueError(f"byte count {n} does not match a {len(frame)}-byte reply")
    return list(struct.unpack(f">{n // 2}H", frame[3:3 + n]))


READ_COILS = 0x01
READ_DISCRETE = 0x02
WRITE_COIL = 0x05
WRITE_COILS = 0x0F
SUPPORTED = (READ_HOLDING, READ_INPUT, WRITE_SINGLE, WRITE_MULTIPLE)  # what a window device implements
ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE = 1, 2, 3


def request_length(buf: bytes) -> int | None:
    """Length of the request frame at the start of ``buf`` (slave side): None if more bytes
    are needed to tell, 0 if the function's request has no length we know (the frame then
    ends at the 3.5-character silence, as RTU frames do)."""
    if len(buf) < 2:
        return None
    fc = buf[1]
    if fc in (READ_COILS, READ_DISCRETE, READ_HOLDING, READ_INPUT, WRITE_COIL, WRITE_SINGLE):
        return 8
    if fc in (WRITE_COILS, WRITE_MULTIPLE):
        return 9 + buf[6] if len(buf) >= 7 else None
    return 0


def find_frame(buf: bytes, unit: int, function: int, length: int) -> tuple[int, int] | None:
    """(offset, length) of the first CRC-valid reply from ``unit`` to ``function`` in ``buf``:
    a normal reply of ``length`` bytes or a 5-byte exception reply."""
    for i in range(len(buf) - 4):
        if buf[i] != unit:
            continue
        if buf[i + 1] == function and crc_ok(buf[i:i + length]) and i + length <= len(buf):
            return i, length
        if buf[i + 1] == function | 0x80 and i + 5 <= len(buf) and crc_ok(buf[i:i + 5]):
            return i, 5
    return None


def find_any_frame(buf: bytes, function: int, length: int) -> int | None:
    """Unit address of a CRC-valid reply to ``function`` from any unit in ``buf`` (wrong address)."""
    for i in range(len(buf) - 4):
        if buf[i + 1] == function and i + length <= len(buf) and crc_ok(buf[i:i + length]):
            return buf[i]
        if buf[i + 1] == function | 0x80 and i + 5 <= len(buf) and crc_ok(buf[i:i + 5]):
            return buf[i]
    return None
