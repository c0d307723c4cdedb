"""The plain board protocol: byte-exact frames, checksum, answers, stream splitting."""
from __future__ import annotations

import pytest

from drivers.led import FrameError, plain


def test_documented_example_byte_exact():
    # docs/led-boards.md: line 1 of board 1 <- "A001"
    assert plain.set_line(1, 1, "A001") == bytes.fromhex("02 30 31 4C 31 41 30 30 31 03 30 43")


def test_set_line_byte_exact():
    frame = plain.set_line(1, 1, "请A023号到5号窗口")
    inner = b"01L1" + "请A023号到5号窗口".encode("gbk")
    assert frame == b"\x02" + inner + b"\x03" + f"{plain.checksum(inner):02X}".encode()
    assert frame[:5] == b"\x0201L1" and frame[-3] == 0x03


@pytest.mark.parametrize("frame, expected", [
    (b"\x0201C\x03" + f"{0x30 ^ 0x31 ^ 0x43:02X}".encode(), plain.Command(1, "C")),
    (b"\x020AP\x03" + f"{0x30 ^ 0x41 ^ 0x50:02X}".encode(), plain.Command(10, "P")),
])
def test_parse_known_frames(frame, expected):
    assert plain.parse_frame(frame) == expected
    assert frame in (plain.clear(1), plain.ping(10))


def test_round_trip_and_control_characters():
    cmd = plain.parse_frame(plain.set_line(255, 2, "A\x03B\n"))
    assert cmd == plain.Command(255, "L", 2, "A B ")


def test_bad_checksum():
    frame = bytearray(plain.set_line(1, 1, "A001"))
    frame[-1] = ord("0") if frame[-1] != ord("0") else ord("1")
    with pytest.raises(FrameError, match="checksum"):
        plain.parse_frame(bytes(frame))


@pytest.mark.parametrize("address, line", [(256, 1), (-1, 1), (1, 0), (1, 10)])
def test_out_of_range_is_refused(address, line):
    with pytest.raises(ValueError):
        plain.set_line(address, line, "x")


def test_answers():
    assert plain.parse_answer(plain.ack(5)) == (True, 5, "")
    assert plain.parse_answer(plain.nak(5, "K")) == (False, 5, "bad checksum")
    with pytest.raises(FrameError):
        plain.parse_answer(b"\x06Z")


def test_reader_splits_and_counts_stray_bytes():
    reader = plain.FrameReader()
    a, b = plain.set_line(1, 1, "A001"), plain.clear(1)
    out = []
    for byte in b"xx" + a + b"\x03" + b:
        out += reader.feed(bytes((byte,)))
    assert out == [a, b]
    assert reader.stray == 3
