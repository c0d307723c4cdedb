"""Onbon (仰邦) BX-5K/BX-6K font-card protocol: the dynamic-area command A3/06 and the card's answer.

Pure functions: text in, bytes out, and back. No I/O. Field by field, with the source
each comes from, in docs/led-boards.md (and the rules per card series in
tests/test_led_onbon.py, ``SDK_FIELD_RULES``). In short::

    A5 ×8 | escaped( header 14 | data | CRC16 LE ) | 5A

    header  dst(2 LE) src(2 LE) reserved(3) option(1) check_mode(1)
            display_mode(1) device_type(1) version(1)=0x02 data_len(2 LE)
    data    A3 06 reply(1) process_mode(1) reserved(1) n_delete(1) ids(n)
            n_areas(1) { area_len(2 LE) area(area_len) } × n_areas
    area    type(1)=0 x(2) y(2) w(2) h(2) id(1) line_space(1) run_mode(1)
            timeout(2) sound(1)=0 ext_len(1)=0 align(1) single_line(1)
            new_line(1) show(1) exit(1) speed(1) stay(1) text_len(4) text(GBK)
    answer  A0 00 error r0 r1 = ACK;  A0 01 error r0 r1 = NACK (refused)

X and width depend on the card series: 8-pixel units on BX-5K cards, pixels with bit 15
set on BX-6K cards (:func:`x_field`). Y and height are pixels on both.

Escaping inside the body: A5→A6 02, A6→A6 01, 5A→5B 02, 5B→5B 01, applied after
the CRC (CRC-16/ARC over the unescaped header and data) is computed.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from . import FrameError

PREAMBLE = 0xA5
END = 0x5A
PREAMBLE_LEN = 8            # the Java SDK (onbonlab/bx.k.java BxDataPack) sends eight A5
HOST_ADDRESS = 0x8000       # source address of the PC in the SDK
BROADCAST = 0xFFFE          # the SDK's default destination ("any screen")
DEVICE_ANY = 0xFE           # device type wildcard (通配符), SDK appendix
PROTOCOL_VERSION = 0x02     # font-card protocol; the 6th-gen dynamic protocols use 0xF0
CHECK_CRC16 = 0x00          # the check-mode byte the SDK sends, with a computed CRC
NO_CRC = 0xFFFF             # a CRC field the analysis tool reads as "not checked"
GROUP_SCREEN = 0xA3
CMD_DYNAMIC_AREA = 0x06
GROUP_ANSWER = 0xA0         # BxCmdCode: CMD_ACK = A0/00, CMD_NACK = A0/01
CMD_ACK = 0x00
CMD_NACK = 0x01
ANSWER_LEN = 5              # BxResp: group, cmd, error, r0, r1

# Card series (字库卡): how X and width travel. BX-5K: 5K1/5K2/5MK1/5MK2/5K1Q-YY;
# BX-6K: 6K1/6K2/6K3 and their -YY and -4G models (device types in the C SDK's Led5kSDK.h).
SERIES = ("5K", "6K")
DEFAULT_SERIES = "6K"
PIXEL_FLAG = 0x8000         # bit 15 of X/width: the value is in pixels

# The card's error byte in a NACK: the controller errors of Onbon's C SDK
# (onbonlab/BX-K bx.k.cplus/src/include/Led5kSDK.h, enum _BX5K_ERR 0-16).
NACK_ERRORS = {
    0: "no error code",
    1: "command group error (ERR_OUTOFGROUP)",
    2: "command not found (ERR_NOCMD)",
    3: "the controller is busy (ERR_BUSY)",
    4: "out of memory (ERR_MEMORYVOLUME)",
    5: "CRC16 checksum error (ERR_CHECKSUM)",
    6: "file does not exist (ERR_FILENOTEXIST)",
    7: "flash access error (ERR_FLASH)",
    8: "file download error (ERR_FILE_DOWNLOAD)",
    9: "file name error (ERR_FILE_NAME)",
    10: "file type error (ERR_FILE_TYPE)",
    11: "file CRC16 error (ERR_FILE_CRC16)",
    12: "font library not on the card (ERR_FONT_NOT_EXIST)",
    13: "firmware type error, check the controller type (ERR_FIRMWARE_TYPE)",
    14: "date/time format error (ERR_DATE_TIME_FORMAT)",
    15: "file exists (ERR_FILE_EXIST)",
    16: "file block number error (ERR_FILE_BLOCK_NUM)",
}
HEADER = struct.Struct("<HH3sBBBBBH")  # 14 bytes

# Display effects (显示方式), SDK appendix
SHOW_STATIC = 0x01
SHOW_QUICK = 0x02
SHOW_LEFT = 0x03
SHOW_RIGHT = 0x04
SHOW_UP = 0x05
SHOW_DOWN = 0x06

_ESCAPES = {0xA5: b"\xa6\x02", 0xA6: b"\xa6\x01", 0x5A: b"\x5b\x02", 0x5B: b"\x5b\x01"}
_UNESCAPES = {(0xA6, 0x02): 0xA5, (0xA6, 0x01): 0xA6, (0x5B, 0x02): 0x5A, (0x5B, 0x01): 0x5B}


def crc16(data: bytes) -> int:
    """CRC-16/ARC: reflected polynomial 0xA001, initial value 0 (Form1.cs ``crc16``)."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def escape(body: bytes) -> bytes:
    out = bytearray()
    for b in body:
        out += _ESCAPES.get(b, bytes((b,)))
    return bytes(out)


def unescape(body: bytes) -> bytes:
    """Undo :func:`escape`; FrameError on a lone A6/5B or a raw A5/5A inside the body."""
    out = bytearray()
    i = 0
    while i < len(body):
        b = body[i]
        if b in (0xA6, 0x5B):
            if i + 1 >= len(body) or (b, body[i + 1]) not in _UNESCAPES:
                raise FrameError(f"bad escape {body[i:i + 2].hex(' ')} at byte {i}")
            out.append(_UNESCAPES[(b, body[i + 1])])
            i += 2
        elif b in (0xA5, 0x5A):
            raise FrameError(f"unescaped {b:02X} inside the frame at byte {i}")
        else:
            out.append(b)
            i += 1
    return bytes(out)


@dataclass(frozen=True)
class Area:
    """One dynamic area (动态区) and its text. Coordinates and sizes in pixels."""

    area_id: int
    x: int
    y: int
    width: int
    height: int
    text: str
    show: int = SHOW_STATIC
    speed: int = 0x04          # 0 fastest … 0x18 slowest
    stay: int = 10             # in 0.5 s
    run_mode: int = 0          # 0: loop the area's data
    timeout: int = 0           # seconds (run modes 2/3)
    line_space: int = 0
    align: int = 0
    single_line: int = 0x01    # 0x01 single line, 0x02 several lines
    new_line: int = 0x01       # 0x01 no automatic wrap, 0x02 wrap
    exit: int = 0x00


@dataclass(frozen=True)
class Packet:
    """An unescaped, CRC-checked frame."""

    dst: int
    src: int
    check_mode: int
    display_mode: int
    device_type: int
    version: int
    data: bytes
    crc_checked: bool = True


@dataclass(frozen=True)
class DynamicUpdate:
    """The decoded data field of an A3/06 command."""

    reply: bool
    process_mode: int
    deleted: tuple[int, ...]
    areas: tuple[Area, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Answer:
    """A card's answer (BxResp): ACK only when group/command is A0/00, NACK when A0/01."""

    group: int
    cmd: int
    error: int

    @property
    def ack(self) -> bool:
        return (self.group, self.cmd) == (GROUP_ANSWER, CMD_ACK)

    @property
    def nack(self) -> bool:
        return (self.group, self.cmd) == (GROUP_ANSWER, CMD_NACK)

    def describe(self) -> str:
        if self.ack:
            return "ACK (A0/00)"
        if self.nack:
            return f"NACK (A0/01), error {self.error}: {NACK_ERRORS.get(self.error, 'unknown error code')}"
        return f"{self.group:02X}/{self.cmd:02X}, neither ACK (A0/00) nor NACK (A0/01)"


def encoded_text(text: str, encoding: str = "gbk") -> bytes:
    """The text as the card's font expects it; characters it lacks become '?'."""
    return text.encode(encoding, errors="replace")


def check_series(series: str) -> str:
    if series not in SERIES:
        raise ValueError(f"unknown Onbon card series {series!r} (5K or 6K)")
    return series


def x_field(pixels: int, series: str = DEFAULT_SERIES) -> int:
    """The X or width field for ``pixels`` on a card of ``series``.

    BX-5K: 8-pixel units (the Java SDK's ``BxAreaDynamic`` with ``is5K``; the pixel form
    with bit 15 is ignored by 5K cards, SDK commit 46bc87c), so ``pixels`` must be a
    multiple of 8. BX-6K: pixels with bit 15 set (Onbon's C# demo for ``BX_6K*`` cards).
    """
    if not 0 <= pixels <= 0x7FFF:
        raise ValueError(f"{pixels} px is outside 0-32767")
    if check_series(series) == "5K":
        if pixels % 8:
            raise ValueError(f"BX-5K cards take X and width in 8-pixel units; {pixels} px is not a multiple of 8")
        return pixels // 8
    return PIXEL_FLAG | pixels


def x_pixels(value: int, series: str = DEFAULT_SERIES) -> int:
    """What a card of ``series`` makes of an X or width field, in pixels.

    BX-6K reads pixels (bit 15 set or not). BX-5K reads 8-pixel units and ignores a value
    with bit 15 set: that gives 0 here.
    """
    if check_series(series) == "5K":
        return 0 if value & PIXEL_FLAG else value * 8
    return value & ~PIXEL_FLAG


def build_area(area: Area, encoding: str = "gbk", series: str = DEFAULT_SERIES) -> bytes:
    """The area record without its 2-byte length prefix."""
    text = encoded_text(area.text, encoding)
    return struct.pack(
        "<BHHHHBBBHBBBBBBBBBI", 0x00, x_field(area.x, series), area.y, x_field(area.width, series), area.height,
        area.area_id, area.line_space, area.run_mode, area.timeout,
        0x00,  # sound: off
        0x00,  # extension parameters: none
        area.align, area.single_line, area.new_line, area.show, area.exit, area.speed, area.stay,
        len(text)) + text


def build_dynamic_command(areas: list[Area], reply: bool = True, process_mode: int = 0,
                          delete: tuple[int, ...] = (), encoding: str = "gbk",
                          series: str = DEFAULT_SERIES) -> bytes:
    """The data field of command A3/06: update ``areas`` (and delete ``delete``)."""
    if len(areas) > 255 or len(delete) > 255:
        raise ValueError("at most 255 areas per command")
    out = bytearray((GROUP_SCREEN, CMD_DYNAMIC_AREA, 1 if reply else 0, process_mode, 0x00, len(delete)))
    out += bytes(delete)
    out.append(len(areas))
    for area in areas:
        record = build_area(area, encoding, series)
        out += struct.pack("<H", len(record)) + record
    return bytes(out)


def build_packet(data: bytes, dst: int, src: int = HOST_ADDRESS,
                 device_type: int = DEVICE_ANY, display_mode: int = 0) -> bytes:
    """Header + data + CRC, not yet escaped (check mode 0 and a computed CRC, as the SDK's ``pack()``)."""
    if len(data) > 0xFFFF:
        raise ValueError("data field longer than 65535 bytes")
    head = HEADER.pack(dst, src, b"\0\0\0", 0x00, CHECK_CRC16, display_mode, device_type,
                       PROTOCOL_VERSION, len(data))
    body = head + data
    return body + struct.pack("<H", crc16(body))


def wrap(packet: bytes, preamble: int = PREAMBLE_LEN) -> bytes:
    return bytes((PREAMBLE,)) * preamble + escape(packet) + bytes((END,))


def dynamic_area_frame(address: int, areas: list[Area], reply: bool = True,
                       encoding: str = "gbk", series: str = DEFAULT_SERIES) -> bytes:
    """The bytes to send to screen ``address`` (a card of ``series``) to show ``areas``."""
    return wrap(build_packet(build_dynamic_command(areas, reply, encoding=encoding, series=series), address))


def answer_frame(to: int, card_address: int, nack_error: int | None = None,
                 device_type: int = DEVICE_ANY) -> bytes:
    """A card's answer to the host ``to``: ACK (A0/00), or NACK (A0/01) with ``nack_error``."""
    if nack_error is None:
        data = bytes((GROUP_ANSWER, CMD_ACK, 0, 0, 0))
    else:
        data = bytes((GROUP_ANSWER, CMD_NACK, nack_error, 0, 0))
    return wrap(build_packet(data, to, card_address, device_type=device_type), preamble=1)


def parse_packet(body: bytes, strict_crc: bool = False) -> Packet:
    """Unescape and check a frame body (between the A5 run and the 5A).

    A CRC field of ``FF FF`` is "not checked" (the analysis tool, as a card reads frames)
    unless ``strict_crc``: the SDK checks the CRC of every answer (``BxDataPack.parse``).
    """
    raw = unescape(body)
    if len(raw) < HEADER.size + 2:
        raise FrameError(f"frame of {len(raw)} bytes is shorter than a header")
    dst, src, _res, option, check_mode, display_mode, device_type, version, data_len = \
        HEADER.unpack_from(raw)
    if option & 0x01:
        raise FrameError("frames with a barcode are not supported")
    if HEADER.size + data_len + 2 != len(raw):
        raise FrameError(f"data length field says {data_len}, frame holds {len(raw) - HEADER.size - 2}")
    (crc,) = struct.unpack_from("<H", raw, len(raw) - 2)
    checked = strict_crc or crc != NO_CRC
    if checked and crc != crc16(raw[:-2]):
        raise FrameError(f"CRC {crc:04X} does not match {crc16(raw[:-2]):04X}")
    return Packet(dst, src, check_mode, display_mode, device_type, version,
                  raw[HEADER.size:-2], checked)


def parse_dynamic_command(data: bytes, encoding: str = "gbk", series: str = DEFAULT_SERIES) -> DynamicUpdate:
    """Decode an A3/06 data field into its areas, as a card of ``series`` reads them."""
    try:
        if data[0] != GROUP_SCREEN or data[1] != CMD_DYNAMIC_AREA:
            raise FrameError(f"command {data[0]:02X}/{data[1]:02X} is not A3/06")
        reply, process_mode = data[2] != 0, data[3]
        n_delete = data[5]
        deleted = tuple(data[6:6 + n_delete])
        pos = 6 + n_delete
        n_areas = data[pos]
        pos += 1
        areas = []
        for _ in range(n_areas):
            (length,) = struct.unpack_from("<H", data, pos)
            pos += 2
            record = data[pos:pos + length]
            if len(record) != length:
                raise FrameError("area record runs past the end of the data")
            areas.append(_parse_area(record, encoding, series))
            pos += length
        if pos != len(data):
            raise FrameError(f"{len(data) - pos} stray bytes after the areas")
        return DynamicUpdate(reply, process_mode, deleted, tuple(areas))
    except (IndexError, struct.error) as e:
        raise FrameError(f"truncated A3/06 command ({e})") from e


def _parse_area(rec: bytes, encoding: str, series: str) -> Area:
    (_type, x, y, w, h, area_id, line_space, run_mode, timeout, sound) = \
        struct.unpack_from("<BHHHHBBBHB", rec)
    pos = struct.calcsize("<BHHHHBBBHB")
    if sound == 1:
        pos += 3                                   # speaker/count, volume, speed
    elif sound == 2:
        pos += 3
        (n,) = struct.unpack_from("<I", rec, pos)
        pos += 4 + n                               # sound text
    ext_len = rec[pos]
    pos += 1 + ext_len
    align, single_line, new_line, show, exit_, speed, stay, n_text = struct.unpack_from("<BBBBBBBI", rec, pos)
    pos += struct.calcsize("<BBBBBBBI")
    text = rec[pos:pos + n_text]
    if len(text) != n_text or pos + n_text != len(rec):
        raise FrameError("area text length does not match the record")
    return Area(area_id, x_pixels(x, series), y, x_pixels(w, series), h, text.decode(encoding, errors="replace"),
                show, speed, stay, run_mode, timeout, line_space, align, single_line, new_line, exit_)


def parse_answer(data: bytes) -> Answer:
    """The data field of a card's answer: group, cmd, error, r0, r1 (``BxResp.parse``)."""
    if len(data) < ANSWER_LEN:
        raise FrameError(f"answer data of {len(data)} bytes, a card answers at least {ANSWER_LEN}")
    return Answer(data[0], data[1], data[2])


def read_answer(received: bytes) -> Answer:
    """The card's answer in the bytes read after a command: its first frame, CRC checked.

    FrameError when there is no frame, a bad CRC or length, or fewer than five data bytes;
    whether the :class:`Answer` is an ACK is then up to the caller (``answer.ack``).
    """
    bodies = FrameReader().feed(received)
    if not bodies:
        raise FrameError(f"{len(received)} bytes and no A5 … 5A frame: {received[:16].hex(' ')}")
    return parse_answer(parse_packet(bodies[0], strict_crc=True).data)


class FrameReader:
    """Split a byte stream into frame bodies: a run of A5, the body, one 5A.

    Bytes outside a frame are counted in ``stray`` and dropped.
    """

    def __init__(self, max_len: int = 70000):
        self._buf = bytearray()
        self._in_frame = False
        self.max_len = max_len
        self.stray = 0

    def feed(self, data: bytes) -> list[bytes]:
        bodies = []
        for b in data:
            if b == PREAMBLE:
                if self._in_frame and self._buf:   # a new frame starts before this one ended
                    self.stray += len(self._buf)
                self._buf.clear()
                self._in_frame = True
            elif not self._in_frame:
                self.stray += 1
            elif b == END:
                bodies.append(bytes(self._buf))
                self._buf.clear()
                self._in_frame = False
            else:
                self._buf.append(b)
                if len(self._buf) > self.max_len:
                    self.stray += len(self._buf)
                    self._buf.clear()
                    self._in_frame = False
        return bodies
