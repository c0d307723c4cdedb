"""Onbon BX A3/06 frames: byte-exact builds, escaping, CRC, decoding and garbage handling."""
from __future__ import annotations

import pytest

from drivers.led import FrameError, onbon


def h(text: str) -> bytes:
    return bytes.fromhex(text)


CALL = "请A023号到5号窗口"
CALL_GBK = h("c7eb 41303233 bac5 b5bd 35 bac5 b4b0 bfda")

# Where each rule of the area record comes from (Onbon's own code). X and width depend on
# the card series; Y and height are pixels in every Onbon code path.
JAVA = "onbonlab/bx.k.java src/BxAreaDynamic.java build()"
CSHARP = "onbonlab/BX-K bx.k.csharp/src/demo/Area.cs button1_Click (also Form3.cs, SoundArea.cs)"
CPLUS = "onbonlab/BX-K bx.k.cplus/src/demo/AreaDlg.cpp OnBnClickedOk"
SDK_FIELD_RULES = [
    # field,   series, pixels, value sent, source and the rule there
    ("width",  "5K", 192, 0x0018, JAVA + ": is5K ? getW()/8 (commit 46bc87c, 5K cards ignored the pixel form)"),
    ("x",      "5K", 64,  0x0008, JAVA + ": is5K ? getX()/8; " + CSHARP + ": type < 6 -> AreaX = x/8"),
    ("width",  "6K", 192, 0x80C0, CSHARP + ": Form1.type >= 6 (BX_6K*) -> AreaWidth = w | 0x8000"),
    ("x",      "6K", 100, 0x8064, CSHARP + ": AreaX = x | 0x8000; bx.k.java 504b35e: getX() | 0x8000"),
    ("y",      "5K", 16,  0x0010, JAVA + ": array.add(getY()); " + CPLUS + ": AreaY = m_Y"),
    ("height", "5K", 16,  0x0010, JAVA + ": array.add(getH()); " + CPLUS + ": AreaHeight = m_H"),
    ("y",      "6K", 16,  0x0010, CSHARP + ": AreaY = Convert.ToUInt16(textBox2.Text)"),
    ("height", "6K", 24,  0x0018, CSHARP + ": AreaHeight = Convert.ToUInt16(textBox4.Text)"),
]
FIELD_OFFSET = {"x": 1, "y": 3, "width": 5, "height": 7}   # in the area record, after the type byte


# CALL on screen 1, one area 192x16 at (0,0), static, for a BX-5K card, field by field.
# Byte for byte what Onbon's Java SDK at HEAD builds (BxDataPack(BxCmdSendDynamicArea(
# [BxAreaDynamic(0, 0, 0, 192, 16, gbk, is5K=true)])).pack(), dstAddr = 1, with our
# timeout 0, singleLine 1, autoNewLine 1, dispMode 1, speed 4, holdTime 10).
KNOWN_FRAME_5K = h(
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
    "0000"                  # x = 0
    "0000"                  # y = 0
    "1800"                  # width 24 × 8 = 192 px (BX-5K: 8-pixel units)
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


# The same call for a BX-6K card: X and width in pixels with bit 15 set. Byte for byte what
# the Java SDK built for every card at commit 504b35e ("修正 x, w 参数处理的错误"), and the
# form Onbon's C# demo gives the SDK for BX_6K* cards.
KNOWN_FRAME_6K = KNOWN_FRAME_5K[:32] + h(
    "0080"                  # x = 0 px, bit 15 set
    "0000"                  # y = 0 px
    "c080"                  # width 192 px, bit 15 set
) + KNOWN_FRAME_5K[38:-4] + h("794a 5a")   # CRC 0x4A79, end


def test_crc16_is_arc():
    assert onbon.crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value
    assert onbon.crc16(b"") == 0


@pytest.mark.parametrize("series, frame", [("5K", KNOWN_FRAME_5K), ("6K", KNOWN_FRAME_6K)])
def test_known_frame_byte_exact(series, frame):
    area = onbon.Area(area_id=0, x=0, y=0, width=192, height=16, text=CALL)
    assert onbon.dynamic_area_frame(1, [area], series=series) == frame


@pytest.mark.parametrize("field, series, pixels, value, source", SDK_FIELD_RULES)
def test_area_fields_follow_the_sdk(field, series, pixels, value, source):
    where = {"x": 0, "y": 0, "width": 192, "height": 16}
    where[field] = pixels
    record = onbon.build_area(onbon.Area(0, text="A", **where), series=series)
    assert record[FIELD_OFFSET[field]:FIELD_OFFSET[field] + 2] == value.to_bytes(2, "little"), source


def test_default_series_is_6k():
    assert onbon.DEFAULT_SERIES == "6K"
    area = onbon.Area(area_id=0, x=0, y=0, width=192, height=16, text=CALL)
    assert onbon.dynamic_area_frame(1, [area]) == KNOWN_FRAME_6K


def test_a_6k_card_reads_the_5k_form_as_pixels():
    # what the old jiaohao (8-pixel units for every card) did to a 192-pixel board on a BX-6K
    assert onbon.x_pixels(onbon.x_field(192, "5K"), "6K") == 24
    assert onbon.x_pixels(onbon.x_field(192, "6K"), "6K") == 192
    assert onbon.x_pixels(192, "6K") == 192          # the Java SDK's bare pixels read the same


def test_5k_cards_get_no_pixel_form():
    with pytest.raises(ValueError, match="multiple of 8"):
        onbon.x_field(100, "5K")
    assert onbon.x_pixels(0x8000 | 100, "5K") == 0    # a 5K card ignores it (SDK commit 46bc87c)
    with pytest.raises(ValueError, match="series"):
        onbon.x_field(64, "6Q")


@pytest.mark.parametrize("raw, escaped", [    (b"\xa5", b"\xa6\x02"),
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
    body = bytearray(KNOWN_FRAME_5K[8:-1])
    body[30] ^= 0x01                     # one bit of the area record
    with pytest.raises(FrameError, match="CRC"):
        onbon.parse_packet(bytes(body))


def test_ffff_means_not_checked_by_the_card_but_not_in_an_answer():
    packet = onbon.build_packet(onbon.build_dynamic_command([]), 1)
    unchecked = onbon.escape(packet[:-2] + b"\xff\xff")
    assert not onbon.parse_packet(unchecked).crc_checked       # the analysis tool's reading
    with pytest.raises(FrameError, match="CRC"):
        onbon.parse_packet(unchecked, strict_crc=True)          # the SDK checks every answer


def test_length_field_is_checked():
    packet = bytearray(onbon.build_packet(onbon.build_dynamic_command([]), 1))
    packet[12] += 1
    with pytest.raises(FrameError, match="length"):
        onbon.parse_packet(onbon.escape(bytes(packet)))


def test_round_trip_two_areas_6k_pixels():
    areas = [onbon.Area(0, 0, 0, 100, 16, "请B007号到12号窗口", show=onbon.SHOW_LEFT, speed=8, stay=0),
             onbon.Area(1, 4, 16, 96, 16, "已叫号: A001号 1号窗口")]
    packet = onbon.parse_packet(onbon.dynamic_area_frame(7, areas, series="6K")[8:-1])
    update = onbon.parse_dynamic_command(packet.data, series="6K")
    assert update.reply and update.deleted == ()
    assert update.areas == tuple(areas)   # x=4 and width=100: any pixel count on a 6K card


def test_round_trip_5k_8_pixel_units():
    areas = [onbon.Area(0, 0, 0, 192, 16, "请B007号到12号窗口"), onbon.Area(1, 8, 16, 96, 16, "已叫号")]
    frame = onbon.dynamic_area_frame(7, areas, series="5K")
    update = onbon.parse_dynamic_command(onbon.parse_packet(frame[8:-1]).data, series="5K")
    assert update.areas == tuple(areas)
    with pytest.raises(ValueError, match="multiple of 8"):
        onbon.dynamic_area_frame(7, [onbon.Area(0, 4, 0, 96, 16, "x")], series="5K")


# Answers a card may send, and the verdict of Onbon's Java SDK on each: the bytes fed to
# BxResp.parse(src, len) then isAck() (src/BxResp.java, src/BxCmdCode.java CMD_ACK A0/00,
# CMD_NACK A0/01, src/BxDataPack.java parse: CRC always checked). "null": parse returned
# null; "exception": it threw (ArrayIndexOutOfBounds on a short data field).
def _answer(data: str, crc: int | None = None) -> bytes:
    packet = onbon.build_packet(h(data), 0x8000, 1, device_type=0x61)
    if crc is not None:
        packet = packet[:-2] + crc.to_bytes(2, "little")
    return onbon.wrap(packet, 1)


SDK_ANSWERS = [
    # name, bytes on the line, the SDK's verdict, ours
    ("ACK", h("a500800100000000000000fe020500a00000000064dc5a"), "ack", "ack"),
    ("ACK after eight A5", h("a5" * 8 + "00800100000000000000fe020500a00000000064dc5a"), "ack", "ack"),
    ("A0/00 with error byte 3", _answer("a000030000"), "ack", "ack"),
    ("old simulator answer A3/06 00", _answer("a306000000"), "not-ack a3/06", "other"),
    ("A0/02", _answer("a002000000"), "not-ack a0/02", "other"),
    ("ACK, CRC off by one bit", _answer("a000000000", crc=0x2A88), "null", "garbled"),
    ("ACK, CRC FF FF", _answer("a000000000", crc=0xFFFF), "null", "garbled"),
    ("two data bytes", h("a500800100000000000000fe020200a00095075a"), "exception", "garbled"),
    ("no data", h("a500800100000000000000fe020000922a5a"), "exception", "garbled"),
    ("wrong-baud junk", h("00ff13374280fe"), "null", "garbled"),
    # the SDK accepts an ACK whose 5A never came; we wait for the whole frame
    ("ACK without its 5A", h("a500800100000000000000fe020500a00000000064dc"), "ack", "garbled"),
]
# NACK with each error byte: A0/01, error, 0, 0. The SDK: not an ACK, whatever the error.
SDK_NACKS = [(0, "65 20"), (1, "34 e0"), (2, "c4 e0"), (3, "95 20"), (4, "24 e1"), (5, "75 21"),
             (6, "85 21"), (7, "d4 e1"), (8, "e4 e2"), (9, "b5 22"), (10, "45 22"), (11, "14 e2"),
             (12, "a6 02 23"), (13, "f4 e3"), (14, "04 e3"), (15, "55 23"), (16, "64 e5"),
             (127, "54 f8"), (255, "55 10")]


def _verdict(received: bytes) -> str:
    try:
        answer = onbon.read_answer(received)
    except FrameError:
        return "garbled"
    return "ack" if answer.ack else f"nack {answer.error}" if answer.nack else "other"


@pytest.mark.parametrize("name, received, sdk, ours", SDK_ANSWERS, ids=[a[0] for a in SDK_ANSWERS])
def test_answers_judged_as_the_sdk_does(name, received, sdk, ours):
    assert _verdict(received) == ours
    same_as_sdk = {"ack": "ack", "null": "garbled", "exception": "garbled"}.get(sdk, "other")
    assert ours == same_as_sdk or name == "ACK without its 5A"


@pytest.mark.parametrize("error, crc", SDK_NACKS)
def test_nack_with_each_error_byte(error, crc):
    received = h(f"a500800100000000000000fe020500 a001{error:02x}0000 {crc} 5a")
    assert onbon.answer_frame(0x8000, 1, nack_error=error) == received   # the simulator's NACK
    assert _verdict(received) == f"nack {error}"
    words = onbon.read_answer(received).describe()
    assert words.startswith(f"NACK (A0/01), error {error}: ")
    assert onbon.NACK_ERRORS.get(error, "unknown error code") in words


def test_ack_is_what_the_simulator_sends():
    assert onbon.answer_frame(0x8000, 1) == SDK_ANSWERS[0][1]
    assert onbon.read_answer(SDK_ANSWERS[0][1]).describe() == "ACK (A0/00)"


def test_reader_splits_frames_and_counts_garbage():
    reader = onbon.FrameReader()
    stream = b"\x00\x11" + KNOWN_FRAME_5K + b"\x22" + KNOWN_FRAME_5K
    bodies = reader.feed(stream[:30]) + reader.feed(stream[30:])
    assert bodies == [KNOWN_FRAME_5K[8:-1]] * 2
    assert reader.stray == 3


@pytest.mark.parametrize("data", [b"\xa3", b"\xa1\x00\x01\x00\x00\x00\x00", b"\xa3\x06\x01\x00\x00\x00\x01\x05\x00"])
def test_truncated_or_foreign_commands_are_frame_errors(data):
    with pytest.raises(FrameError):
        onbon.parse_dynamic_command(data)
