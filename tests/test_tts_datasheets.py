"""The serial TTS modules' field rules, each checked against the vendor file it comes from.

Sources (public copies; the row's ``source`` names the file and the section):

- SYN6288: 《SYN6288 中文语音合成芯片数据手册》 2016-03-09, libdriver/syn6288 ``datasheet/syn6288_datasheet.pdf``;
  the SDK: libdriver/syn6288 ``src/driver_syn6288.c``
- SYN6658: 《SYN6658 中文语音合成芯片用户手册》, libdriver/syn6658 ``datasheet/syn6658_datasheet.pdf``;
  the SDK: libdriver/syn6658 ``src/driver_syn6658.c``
- XFS5152CE: *User Development Guide*, mannbro/PiPicoXFS5152CE ``Documentation/XFS5152CE_en.pdf``
"""
from __future__ import annotations

import re

import pytest

from config.schema import _PROMPT_TONES
from drivers.tts.frames import PROFILES, chime_markup, module_speed, module_volume, settings_markup, synth_frame
from drivers.tts.prompt_tones import DEFAULT_CHIME, TONES, find_tones, tone, tone_names
from drivers.tts.simulator import TTSModuleSimulator

S6288 = "syn6288_datasheet.pdf"
S6658 = "syn6658_datasheet.pdf"
XFS = "XFS5152CE_en.pdf"

# (source, model, field, low, high, chip default)
MARKUP_RANGES = [
    (f"{S6288} §5.1: [v?] 0～16, 默认 [v10]", "syn6288", "v", 0, 16, 10),
    (f"{S6288} §5.1: [t?] 词语语速 0～5, 0 最慢 5 最快, 默认 [t4]", "syn6288", "t", 0, 5, 4),
    (f"{XFS} §12 table 40: [S?] speed 0~10 [S5]", "xfs5152", "s", 0, 10, 5),
    (f"{XFS} §12 table 40: [V?] volume 0~10 [V5]", "xfs5152", "v", 0, 10, 5),
    (f"{S6658} §11.1: 设置语速 [s*] (*=0~10) [s5]", "syn6658", "s", 0, 10, 5),
    (f"{S6658} §11.1: 设置音量 [v*] (*=0~10) [v5]", "syn6658", "v", 0, 10, 5),
]


@pytest.mark.parametrize("source,model,field,low,high,default", MARKUP_RANGES, ids=lambda v: str(v)[:40])
def test_profile_ranges_and_defaults_are_the_datasheets(source, model, field, low, high, default):
    p = PROFILES[model]
    if field == "v":
        assert (p.volume_max, p.volume_default) == (high, default), source
    else:
        assert (p.speed_tag, p.speed_max, p.speed_default) == (field, high, default), source
        steps = p.speed_steps
        assert len(steps) == 11 and steps[0] == low and steps[10] == high, source
        assert list(steps) == sorted(steps), "faster config speed is never a slower module speed"


def test_syn6658_t_is_pitch_not_speed():
    # SYN6658 §11.1: 设置语调 [t*] (0~10, 语调值越小，基频值越低): sending [t…] for speed changes the pitch.
    assert PROFILES["syn6658"].speed_tag == "s"
    assert "[t" not in settings_markup("syn6658", 7, 5)


@pytest.mark.parametrize("model", list(PROFILES))
def test_config_speed_5_is_the_chips_natural_rate(model):
    """Issue 18: speed 5 was [t2] on the SYN6288 (its default is [t4]): calls came out slow."""
    assert module_speed(model, 5) == PROFILES[model].speed_default


@pytest.mark.parametrize("model,volume,expected", [
    ("syn6288", 0, 0), ("syn6288", 7, 7), ("syn6288", 16, 16),
    ("xfs5152", 0, 0), ("xfs5152", 7, 4), ("xfs5152", 8, 5), ("xfs5152", 16, 10),
    ("syn6658", 12, 8),  # 7.5 rounds up
])
def test_volume_is_in_proportion(model, volume, expected):
    assert module_volume(model, volume) == expected


# (source, model, tone, kind, seconds)
PROMPT_TONES = [
    (f"{S6288} §6.1 声音提示音列表 #1", "syn6288", "sounda", "出错声", 1.0),
    (f"{S6288} §6.1 #7", "syn6288", "soundg", "门铃声", 1.0),
    (f"{S6288} §6.1 #8", "syn6288", "soundh", "门铃声", 1.0),
    (f"{S6288} §6.1 #11", "syn6288", "soundk", "广播提示音", 2.0),
    (f"{S6288} §6.1 #25", "syn6288", "soundy", "提示音", 1.0),
    (f"{S6288} §6.2 和弦提示音 #8", "syn6288", "msgh", "和弦提示音", 5.0),
    (f"{S6288} §6.2 和弦铃声 #15", "syn6288", "ringo", "和弦铃声", 5.0),
    (f"{S6658} §11.3.2 提示音类型 #1 (兼容名称 sounda)", "syn6658", "sound101", "提示音", 0.38),
    (f"{S6658} §11.3.2 铃声类型 #8", "syn6658", "sound208", "门铃声", 1.2),
    (f"{S6658} §11.3.2 特殊声类型 #2", "syn6658", "sound502", "特殊声-出错声", 0.5),
    (f"{S6658} §11.3.1 和弦提示音 #1", "syn6658", "msga", "和弦提示音", 0.9),
    (f"{XFS} §13.1.1 table 58 message tones", "xfs5152", "sound101", "信息提示音", None),
    (f"{XFS} §13.1.2 table 59 ringing tones", "xfs5152", "sound225", "铃声", None),
    (f"{XFS} §13.1.3 table 60 alarm tones", "xfs5152", "sound330", "警报", None),
]


@pytest.mark.parametrize("source,model,name,kind,seconds", PROMPT_TONES, ids=lambda v: str(v)[:40])
def test_prompt_tone_tables(source, model, name, kind, seconds):
    t = tone(model, name)
    assert t is not None and (t.kind, t.seconds) == (kind, seconds), source


def test_table_sizes():
    # SYN6288 §6: sounda…soundy (25), msga…msgh (8), ringa…ringo (15); XFS §13.1: 25 + 25 + 30;
    # SYN6658 §11.3: 14 chords, 24 + 19 + 19 + 8 + 7 sounds, 2 customer sounds.
    assert [len(TONES[m]) for m in ("syn6288", "xfs5152", "syn6658")] == [48, 80, 93]
    # SYN6658 §11.3.2 兼容名称: sound118 = soundr, sound119 = soundt (there is no "sounds")
    assert tone("syn6658", "soundr").name == "sound118" and tone("syn6658", "soundt").name == "sound119"
    assert tone("syn6658", "sounds") is None


def test_default_chimes_are_doorbells_not_the_error_sound():
    """Issue 18: the SYN6288 chime was sounda, 出错声 (the error sound)."""
    assert tone("syn6288", DEFAULT_CHIME["syn6288"]).kind == "门铃声"
    assert tone("syn6658", DEFAULT_CHIME["syn6658"]).kind == "门铃声"
    assert tone("xfs5152", DEFAULT_CHIME["xfs5152"]).kind == "信息提示音"  # the guide names no doorbell
    assert all("出错" not in tone(m, n).kind for m, n in DEFAULT_CHIME.items())


# The SDK's sound frame, byte for byte: libdriver/syn6288 src/driver_syn6288.c syn6288_synthesis_sound()
# builds FD, (6 + 3) >> 8, (6 + 3) & 0xFF, 0x01, 0x00, "sound" + letter, XOR of the 11 bytes before.
def test_sound_frame_is_the_sdks():
    assert synth_frame("syn6288", "soundg", "gb2312") == bytes.fromhex("FD 00 09 01 00 73 6F 75 6E 64 67 F1")


# The chime frames this project sends (volume 7, speed 5), byte for byte.
@pytest.mark.parametrize("model,frame", [
    ("syn6288", "FD 00 15 01 00 5B 76 37 5D 5B 74 34 5D 5B 78 31 5D 73 6F 75 6E 64 67 A3"),  # [v7][t4][x1]soundg
    ("syn6658", "FD 00 16 01 00 5B 76 34 5D 5B 73 35 5D 5B 78 31 5D 73 6F 75 6E 64 32 30 38"),  # [v4][s5][x1]sound208
    ("xfs5152", "FD 00 16 01 00 5B 76 34 5D 5B 73 35 5D 5B 78 31 5D 73 6F 75 6E 64 31 30 31"),  # [v4][s5][x1]sound101
])
def test_chime_frames(model, frame):
    text = settings_markup(model, 7, 5) + chime_markup(model, DEFAULT_CHIME[model])
    assert synth_frame(model, text) == bytes.fromhex(frame)


@pytest.mark.parametrize("model,text,played", [
    # SYN6288 §6 注意: "sounda，hello！" plays the tone; "soundahello！" is read as letters
    ("syn6288", "sounda，hello！", ["sounda"]),
    ("syn6288", "soundahello！", []),
    ("syn6288", "[x1]soundg", ["soundg"]),
    # SYN6658 §11.3.2 注意1: letters *and digits* must not touch the name
    ("syn6658", "sound2021", []),
    ("syn6658", "sound202[p400]sound202", ["sound202", "sound202"]),
    ("xfs5152", "[x1]sound101，请", ["sound101"]),
])
def test_tone_names_are_recognised_as_the_chips_do(model, text, played):
    assert [t.name for _, _, t in find_tones(model, text)] == played


def test_config_accepts_exactly_the_tables_names():
    """config/ may not import drivers/, so it has its own pattern; it must match the table."""
    candidates = ([f"sound{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + [f"msg{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
                  + [f"ring{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + [f"sound{n}" for n in range(100, 800)])
    for model, pattern in _PROMPT_TONES.items():
        accepted = {c for c in candidates if re.fullmatch(pattern, c)}
        assert accepted == set(tone_names(model)), model


def test_simulator_applies_markup_as_the_chip_does():
    sim = TTSModuleSimulator("syn6288")
    assert sim.settings == {"volume": 10, "speed": 4, "tones": 1}  # §5.1 defaults
    plain, tones = sim.apply_markup("[v7][t9]请")
    assert (plain.strip(), tones, sim.settings["volume"]) == ("请", [], 7)
    assert sim.settings["speed"] == 5  # §5.1: 其它无符号整数 → 最高语速值 5
    plain, tones = sim.apply_markup("[x0]soundg")
    assert tones == [] and "soundg" in plain  # tones off: read as letters
    sim.apply_markup("[d]")
    assert sim.settings == {"volume": 10, "speed": 4, "tones": 1}
