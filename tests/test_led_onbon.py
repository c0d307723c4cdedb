"""Onbon BX A3/06 frames: byte-exact builds, escaping, CRC, decoding and garbage handling."""
from __future__ import annotations

import pytest

from drivers.led import FrameError, onbon


def h(text: str) -> bytes:
    return bytes.fromhex(text)


CALL = "请A023号到5号窗口"
CALL_GBK = h("c7eb 41303233 bac5 b5bd 35 bac5 b4b0 bfda")

# The frame for CALL on screen 1, one area 192x16 at (0,0), static, field by field.
KNOWN_FRAME = h(
    "a5a5a5a5a5a5a5a5"      # preamble: eight A5 as the Java SDK sends
    "0100"                  # destination: screen address 1 (LE)
    "0080"                  # source: 0x8000, the PC
    "000000"                # reserved
    "00"                    # option: no barcode
    "00"                    # check mode: CRC16
    "00"                    # display mode
    "fe"                    # device type: any
    "02"                    # protocol version 2 (font-card protocol)
    "3500"                  # data length 53
    "a3 06"                 # command group A3, command 06: update dynamic areas
    "01"                    # reply wanted
    "00"                    # process mode: do not clear the area first
    "00"                    # reserved
    "00"                    # no areas to delete
    "01"                    # one area
    "2c00"                  # area record length 44
    "00"                    # area type 0
    "0000"                  # x = 0 (8-pixel units)
    "0000"                  # y = 0
    "1800"                  # width 24 × 8 = 192 px
    "1000"                  # height 16 px
    "00"                    # dynamic area 0
    "00"                    # line spacing
    "00"                    # run mode 0: loop
    "0000"                  # timeout
    "00"                    # sound off
    "00"                    # no extension parameters
    "00"                    # alignment
    "01"                    # single line
    "01"                    # no automatic wrap
    "01"                    # show: static
    "00"                    # exit effect
    "04"                    # speed
    "0a"                    # stay 10 × 0.5 s
    "11000000"              # text length 17
    + CALL_GBK.hex() +
    "8d 5b02"               # CRC 0x5A8D little-endian, its 5A escaped as 5B 02
    "5a"                    # end
)


def test_crc16_is_arc():
    assert onbon.crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value
    assert onbon.crc16(b"") == 0


def test_known_frame_byte_exact():
    area = onbon.Area(area_id=0, x=0, y=0, width=192, height=16, text=CALL)
    assert onbon.dynamic_area_frame(1, [area]) == KNOWN_FRAME


@pytest.mark.parametrize("raw, escaped", [
    (b"\xa5", b"\xa6\x02"),
    (b"\xa6", b"\xa6\x01"),
    (b"\x5a", b"\x5b\x02"),
    (b"\x5b", b"\x5b\x01"),
    (b"\x01\xa5\x5a\x02", b"\x01\xa6\x02\x5b\x02\x02"),
    (b"\x00\xff", b"\x00\xff"),
])
def test_escape_table(raw, escaped):
    assert onbon.escape(raw) == escaped
    assert onbon.unescape(escaped) == raw


@pytest.mark.parametrize("bad", [b"\xa6\x03", b"\x5b", b"\x01\xa5", b"\x5a"])
def test_unescape_rejects_bad_sequences(bad):
    with pytest.raises(FrameError):
        onbon.unescape(bad)


def test_escaping_inside_text_and_address():
    # Z [ are 5A 5B; ァ (A5 A1) and Α (A6 A1) start with A5 and A6 in GBK.
    text = "Z[ァΑ"
    frame = onbon.dynamic_area_frame(0x5A, [onbon.Area(0, 0, 0, 64, 16, text)])
    body = frame[8:-1]
    assert 0xA5 not in body and 0x5A not in body
    assert body[:2] == h("5b02 00")[:2]                          # address 0x005A escaped
    assert h("5b02 5b01 a602 a1 a601 a1") in body                 # the text escaped
    packet = onbon.parse_packet(body)
    assert packet.dst == 0x5A and packet.crc_checked
    assert onbon.parse_dynamic_command(packet.data).areas[0].text == text


def test_crc_mismatch_is_rejected():
    body = bytearray(KNOWN_FRAME[8:-1])
    body[30] ^= 0x01                     # one bit of the area record
    with pytest.raises(FrameError, match="CRC"):
        onbon.parse_packet(bytes(body))


def test_ffff_means_not_checked():
    packet = onbon.build_packet(onbon.build_dynamic_command([]), 1, check_mode=onbon.CHECK_NONE)
    assert packet.endswith(b"\xff\xff")
    assert not onbon.parse_packet(onbon.escape(packet)).crc_checked


def test_length_field_is_checked():
    packet = bytearray(onbon.build_packet(onbon.build_dynamic_command([]), 1))
    packet[12] += 1
    with pytest.raises(FrameError, match="length"):
        onbon.parse_packet(onbon.escape(bytes(packet)))


def test_round_trip_two_areas_and_pixel_units():
    areas = [onbon.Area(0, 0, 0, 100, 16, "请B007号到12号窗口", show=onbon.SHOW_LEFT, speed=8, stay=0),
             onbon.Area(1, 4, 16, 96, 16, "已叫号: A001号 1号窗口")]
    packet = onbon.parse_packet(onbon.dynamic_area_frame(7, areas)[8:-1])
    update = onbon.parse_dynamic_command(packet.data)
    assert update.reply and update.deleted == ()
    assert update.areas == tuple(areas)   # x=4 and width=100 travel in pixel units (bit 15)


def test_reply_frame_swaps_addresses():
    request = onbon.parse_packet(KNOWN_FRAME[8:-1])
    reply = onbon.reply_frame(request)
    assert reply[0] == 0xA5 and reply[-1] == 0x5A
    packet = onbon.parse_packet(reply[1:-1])
    assert (packet.dst, packet.src) == (0x8000, 1)
    assert onbon.parse_reply(packet.data) == (0xA3, 0x06, 0)


def test_reader_splits_frames_and_counts_garbage():
    reader = onbon.FrameReader()
    stream = b"\x00\x11" + KNOWN_FRAME + b"\x22" + KNOWN_FRAME
    bodies = reader.feed(stream[:30]) + reader.feed(stream[30:])
    assert bodies == [KNOWN_FRAME[8:-1]] * 2
    assert reader.stray == 3


@pytest.mark.parametrize("data", [b"\xa3", b"\xa1\x00\x01\x00\x00\x00\x00", b"\xa3\x06\x01\x00\x00\x00\x01\x05\x00"])
def test_truncated_or_foreign_commands_are_frame_errors(data):
    with pytest.raises(FrameError):
        onbon.parse_dynamic_command(data)
