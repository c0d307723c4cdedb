"""Serial TTS module frames, byte-exact against the datasheets, and the module side decoder."""
from __future__ import annotations

import pytest

from drivers.tts.frames import (PAUSE, RESUME, STATUS, STOP, SYNTHESIZE, FrameError, FrameReader, command_frame,
                                decode_frame, settings_markup, split_text, synth_frame, xor)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_syn6288_datasheet_example():
    # 宇音天下 in GB2312, the example of the SYN6288 datasheet
    assert synth_frame("syn6288", "宇音天下", "gb2312") == h("FD 00 0B 01 00 D3 EE D2 F4 CC EC CF C2 C1")
    assert synth_frame("syn6288", "宇音天下") == h("FD 00 0B 01 00 D3 EE D2 F4 CC EC CF C2 C1")  # auto → GB2312


@pytest.mark.parametrize("model,command,frame", [
    ("syn6288", STOP, "FD 00 02 02 FD"),
    ("syn6288", PAUSE, "FD 00 02 03 FC"),
    ("syn6288", RESUME, "FD 00 02 04 FB"),
    ("syn6288", STATUS, "FD 00 02 21 DE"),
    ("xfs5152", STOP, "FD 00 01 02"),
    ("xfs5152", PAUSE, "FD 00 01 03"),
    ("xfs5152", RESUME, "FD 00 01 04"),
    ("xfs5152", STATUS, "FD 00 01 21"),
    ("syn6658", STOP, "FD 00 01 02"),
    ("syn6658", STATUS, "FD 00 01 21"),
])
def test_fixed_frames(model, command, frame):
    assert command_frame(model, command) == h(frame)


@pytest.mark.parametrize("model,text,encoding,frame", [
    # XFS/SYN6658: len = data + 2, no checksum
    ("xfs5152", "宇音天下", "gb2312", "FD 00 0A 01 00 D3 EE D2 F4 CC EC CF C2"),
    ("syn6658", "宇音天下", "gb2312", "FD 00 0A 01 00 D3 EE D2 F4 CC EC CF C2"),
    ("xfs5152", "宇音天下", "gbk", "FD 00 0A 01 01 D3 EE D2 F4 CC EC CF C2"),
    # Unicode: little-endian on the XFS (3), big-endian on the SYN6288 (3) and SYN6658 (4)
    ("xfs5152", "A号", "utf-16-le", "FD 00 06 01 03 41 00 F7 53"),
    ("syn6658", "A号", "utf-16-le", "FD 00 06 01 03 41 00 F7 53"),
    ("syn6658", "A号", "utf-16-be", "FD 00 06 01 04 00 41 53 F7"),
    ("syn6288", "A号", "utf-16-be", "FD 00 07 01 03 00 41 53 F7 " + "%02X" % xor(h("FD 00 07 01 03 00 41 53 F7"))),
    ("syn6288", "5", "gb2312", "FD 00 04 01 00 35 CD"),
])
def test_synth_frames(model, text, encoding, frame):
    assert synth_frame(model, text, encoding) == h(frame)


def test_syn6288_background_music_in_high_bits():
    frame = synth_frame("syn6288", "5", "gbk", music=3)
    assert frame[4] == (3 << 3) | 1
    assert frame[-1] == xor(frame[:-1])


def test_auto_encoding_falls_back_past_gb2312():
    # 镕 is in GBK but not in GB2312
    assert synth_frame("syn6288", "镕")[4] == 1
    # an emoji is in neither: Unicode, big-endian on the SYN6288, little-endian on the XFS
    assert synth_frame("syn6288", "😀")[4] == 3
    assert synth_frame("xfs5152", "😀")[4:] == bytes([3]) + "😀".encode("utf-16-le")


@pytest.mark.parametrize("model,text,encoding,error", [
    ("syn6288", "", "auto", "nothing to say"),
    ("syn6288", "号" * 101, "auto", "at most 200"),
    ("xfs5152", "A", "ascii", "does not take ascii"),
    ("xfs5152", "A", "utf-16-be", "does not take utf-16-be"),  # big-endian Unicode is SYN6658/SYN6288 only
    ("syn6288", "😀", "gb2312", "cannot be encoded"),
    ("vs1003", "A", "auto", "unknown TTS module"),
])
def test_frame_errors(model, text, encoding, error):
    with pytest.raises(FrameError, match=error):
        synth_frame(model, text, encoding)


def test_text_limits_are_per_model():
    assert len(synth_frame("syn6288", "号" * 100)) == 3 + 2 + 200 + 1
    assert len(synth_frame("syn6658", "号" * 2048)) == 3 + 2 + 4096
    with pytest.raises(FrameError):
        synth_frame("syn6658", "号" * 2049)


def test_split_text_keeps_every_piece_within_a_frame():
    text = "请A零二三号到五号窗口办理，" * 20
    pieces = split_text(text, "syn6288")
    assert "".join(pieces) == text
    assert len(pieces) > 1
    assert all(len(p.encode("gb2312")) <= 200 for p in pieces)
    assert all(p.endswith("，") for p in pieces)  # cut at punctuation
    assert split_text("请A零二三号到五号窗口办理", "xfs5152") == ["请A零二三号到五号窗口办理"]


@pytest.mark.parametrize("model,volume,speed,markup", [
    ("syn6288", 7, 5, "[v7][t4]"),  # speed 5 is the chip default [t4], not [t2] (issue 18)
    ("syn6288", 7, 0, "[v7][t0]"),
    ("syn6288", 10, 5, "[v10][t4]"),
    ("syn6288", 16, 10, "[v16][t5]"),
    ("xfs5152", 16, 10, "[v10][s10]"),
    ("xfs5152", 0, 0, "[v0][s0]"),
    ("syn6658", 8, 5, "[v5][s5]"),
])
def test_settings_markup(model, volume, speed, markup):
    assert settings_markup(model, volume, speed) == markup


@pytest.mark.parametrize("model", ["syn6288", "xfs5152", "syn6658"])
def test_decode_round_trip(model):
    frame = synth_frame(model, "请A零二三号到十二号窗口办理")
    decoded = decode_frame(model, frame)
    assert decoded.command == SYNTHESIZE
    assert decoded.text == "请A零二三号到十二号窗口办理"
    assert decode_frame(model, command_frame(model, STATUS)).command == STATUS


def test_decoder_rejects_a_bad_checksum_and_resyncs():
    good = synth_frame("syn6288", "宇音天下", "gb2312")
    bad = good[:-1] + bytes([good[-1] ^ 0xFF])
    assert decode_frame("syn6288", bad) is None
    reader = FrameReader("syn6288")
    out = reader.feed(b"\x00\x11" + bad + good[:5])
    assert out == [None]  # the bad frame, answered 0x45 by the module
    assert reader.dropped == 2  # the garbage before the header
    out = reader.feed(good[5:] + command_frame("syn6288", STOP))
    assert [f.command for f in out] == [SYNTHESIZE, STOP]
    assert out[0].text == "宇音天下"


def test_decoder_rejects_unknown_commands_and_encodings():
    assert decode_frame("xfs5152", h("FD 00 01 55")) is None
    assert decode_frame("xfs5152", h("FD 00 03 01 07 41")) is None  # encoding 7 does not exist
    assert decode_frame("xfs5152", h("FD 00 03 01 04 41")) is None  # 4 (UTF-16BE) is SYN6658 only
    assert decode_frame("syn6658", h("FD 00 04 01 04 00 41")).text == "A"
