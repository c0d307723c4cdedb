"""How calls are read: ticket digits one by one, windows as numbers, letters, languages."""
from __future__ import annotations

import pytest

from config import ConfigError, load_hall, DEMO_HALL, parse_hall
from drivers.tts.reading import (ReadingError, announcement_text, call_text, chinese_number, ticket_reading,
                                 window_reading)


@pytest.mark.parametrize("n,text", [
    (0, "零"), (1, "一"), (5, "五"), (9, "九"),
    (10, "十"), (11, "十一"), (12, "十二"), (19, "十九"),
    (20, "二十"), (21, "二十一"), (99, "九十九"),
    (100, "一百"), (101, "一百零一"), (110, "一百一十"), (112, "一百一十二"), (120, "一百二十"),
    (200, "二百"), (999, "九百九十九"),
    (1000, "一千"), (1001, "一千零一"), (1010, "一千零一十"), (1100, "一千一百"), (2024, "二千零二十四"),
    (9999, "九千九百九十九"),
    (10000, "一万"), (10010, "一万零一十"), (100000, "十万"), (120034, "十二万零三十四"),
])
def test_chinese_number(n, text):
    assert chinese_number(n) == text


@pytest.mark.parametrize("bad", [-1, 10**8, 1.5, "12"])
def test_chinese_number_rejects(bad):
    with pytest.raises(ReadingError):
        chinese_number(bad)


@pytest.mark.parametrize("number,text", [
    ("A023", "A零二三"), ("A001", "A零零一"), ("A100", "A一零零"), ("B107", "B一零七"),
    ("ZB007", "ZB零零七"), ("a5", "A五"), ("A1023", "A一零二三"), ("C2B015", "C二B零一五"),
])
def test_ticket_digits_one_by_one(number, text):
    assert ticket_reading(number) == text


@pytest.mark.parametrize("bad", ["", "A-23", "号23", "A 23"])
def test_ticket_reading_rejects(bad):
    with pytest.raises(ReadingError):
        ticket_reading(bad)


@pytest.mark.parametrize("number,window,text", [
    ("A023", 5, "请A零二三号到五号窗口办理"),
    ("A023", 10, "请A零二三号到十号窗口办理"),
    ("A023", 12, "请A零二三号到十二号窗口办理"),
    ("A023", 20, "请A零二三号到二十号窗口办理"),
    ("B107", 101, "请B一零七号到一百零一号窗口办理"),
    ("C000", 1, "请C零零零号到一号窗口办理"),
])
def test_announcement_text(number, window, text):
    assert announcement_text(number, window) == text


def test_letter_readings():
    assert announcement_text("A023", 5, letters="chinese") == "请诶零二三号到五号窗口办理"
    assert announcement_text("ZB1", 5, letters="chinese") == "请贼德比一号到五号窗口办理"
    # a hall's own names win, whatever the style
    assert announcement_text("A023", 5, letter_names={"A": "甲"}) == "请甲零二三号到五号窗口办理"
    assert announcement_text("B023", 5, letters="chinese", letter_names={"A": "甲"}) == "请比零二三号到五号窗口办理"


def test_english_and_cantonese():
    assert announcement_text("A023", 12, "Number {number}, please go to window {window}", language="en") == \
        "Number A zero two three, please go to window 12"
    # Cantonese reads the same characters with a Cantonese voice
    assert announcement_text("A023", 12, "请{number}号到{window}号窗口", language="yue") == "请A零二三号到十二号窗口"
    assert window_reading(12, "en") == "12"


def test_markup_for_serial_modules():
    assert announcement_text("A023", 12, style="markup") == "[y1]请[n1]A023[n0]号到[n2]12[n0]号窗口办理"
    assert announcement_text("A023", 5, style="markup", letters="chinese") == "[y1]请[n1]诶023[n0]号到[n2]5[n0]号窗口办理"


def test_template_fields():
    assert announcement_text("A023", 5, "{number}号请到{window_name}办理{service}", service="社保",
                             window_name="综合受理5号") == "A零二三号请到综合受理5号办理社保"
    with pytest.raises(ReadingError, match="unknown field"):
        announcement_text("A023", 5, "请{ticket}号")
    with pytest.raises(ReadingError, match="number"):
        announcement_text("A023", 5, "请到{window}号窗口")
    with pytest.raises(ReadingError):
        announcement_text("A023", 5, style="ssml")


def test_call_text_takes_the_config(demo_config):
    assert call_text(demo_config.voice, "A023", 5) == "请A零二三号到五号窗口办理"
    en = demo_config.voice.model_copy(update={"language": "en"})
    assert call_text(en, "A023", 5) == "Number A zero two three, please go to window 5"


# -- the [voice] config section --------------------------------------------------------
def _hall_with_voice(voice: str) -> str:
    text = DEMO_HALL.read_text(encoding="utf-8")
    start = text.index("[voice]")
    end = text.index("[[boards]]")
    return text[:start] + "[voice]\n" + voice + "\n\n" + text[end:]


def test_voice_config_new_fields():
    cfg = parse_hall(_hall_with_voice('engine = "syn6288"\nurl = "sim://voice"\nreading = "markup"\n'
                                      'letter_names = { a = "甲" }\nespeak_voice = "yue"'))
    assert cfg.voice.reading == "markup"
    assert cfg.voice.letter_names == {"A": "甲"}
    assert cfg.voice.espeak_voice == "yue"
    assert load_hall(DEMO_HALL).voice.reading == "text"
    cfg = parse_hall(_hall_with_voice('engine = "syn6658"\nurl = "sim://voice"\nchime_sound = "sound207"'))
    assert cfg.voice.chime_sound == "sound207"


@pytest.mark.parametrize("voice,field,words", [
    ('engine = "syn6288"', "voice.url", "needs the port"),
    ('template = "请{ticket}号到{window}号窗口"', "voice.template", "unknown field {ticket}"),
    ('template_en = "Please go to window {window}"', "voice.template_en", "{number}"),
    ('letter_names = { AB = "x" }', "voice.letter_names", "not a letter"),
    ('engine = "syn6288"\nurl = "sim://v"\nchime_sound = "sound101"', "voice.chime_sound",
     "'sound101' is not a prompt tone of the syn6288 (e.g. soundg 门铃声"),
    ('engine = "xfs5152"\nurl = "sim://v"\nchime_sound = "soundg"', "voice.chime_sound", "e.g. sound101"),
])
def test_voice_config_errors(voice, field, words):
    with pytest.raises(ConfigError) as e:
        parse_hall(_hall_with_voice(voice), "hall.toml")
    assert e.value.field == field
    assert words in str(e.value)
