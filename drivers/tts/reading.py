"""How a call is read aloud: the one function that turns (ticket, window) into text for
every engine.

Rules (what a hall's citizens expect to hear):

- the ticket number is read digit by digit: ``A023`` → ``A零二三`` (read as a value it
  would be 二十三, and nobody holding "A023" recognises that);
- the window number is read as a number: 5 → 五, 10 → 十, 12 → 十二, 20 → 二十,
  101 → 一百零一;
- letters are read as the engine reads them (``plain``), or replaced by Chinese
  readings (``chinese``: A → 诶, B → 比 …), or by a hall's own names
  (``letter_names={"A": "甲"}``);
- ``language="en"`` reads "A zero two three" and leaves the window as digits (every
  English voice reads 12 as twelve); ``"yue"`` (Cantonese) uses the Chinese text,
  which a Cantonese voice reads in Cantonese.

``style="markup"`` is for the serial TTS modules: the digits are left as digits and
wrapped in the modules' in-text markup (``[n1]`` digit by digit, ``[n2]`` as a number,
``[y1]`` so 1 is 一 not 幺) and the module does the reading.
"""
from __future__ import annotations

import re
import string
from typing import Mapping

DIGITS = "零一二三四五六七八九"
_UNITS = ["", "十", "百", "千"]

# A common way Chinese speakers name Latin letters; a hall can override any of them.
CHINESE_LETTERS = {
    "A": "诶", "B": "比", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉",
    "H": "艾尺", "I": "艾", "J": "杰", "K": "开", "L": "艾勒", "M": "艾马", "N": "艾娜",
    "O": "哦", "P": "屁", "Q": "吉吾", "R": "艾儿", "S": "艾丝", "T": "提", "U": "伊吾",
    "V": "维", "W": "豆贝尔维", "X": "艾克斯", "Y": "吾艾", "Z": "贼德",
}
ENGLISH_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

FIELDS = ("number", "window", "service", "window_name")
_FIELD = re.compile(r"\{(\w*)\}")


class ReadingError(ValueError):
    """A template or a number that cannot be read (the message says which)."""


def chinese_number(n: int) -> str:
    """A non-negative integer below 10^8 in Chinese numerals, as it is spoken.

    >>> [chinese_number(n) for n in (0, 10, 12, 20, 101, 110, 1001, 10010)]
    ['零', '十', '十二', '二十', '一百零一', '一百一十', '一千零一', '一万零一十']
    """
    if not isinstance(n, int) or n < 0 or n >= 10**8:
        raise ReadingError(f"{n!r} is not a number from 0 to 99999999")
    if n == 0:
        return DIGITS[0]
    high, low = divmod(n, 10000)
    if high:
        text = _below_10000(high) + "万"
        if low:
            text += (DIGITS[0] if low < 1000 else "") + _below_10000(low)
    else:
        text = _below_10000(low)
    # 十 at the very start is read without 一: 12 → 十二, but 112 → 一百一十二.
    if text.startswith("一十"):
        text = text[1:]
    return text


def _below_10000(n: int) -> str:
    out: list[str] = []
    zero = False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            zero = bool(out)  # a zero between two spoken digits is read once: 1001 → 一千零一
            continue
        if zero:
            out.append(DIGITS[0])
            zero = False
        out.append(DIGITS[d] + _UNITS[power])
    return "".join(out)


def letter_reading(letter: str, letters: str = "plain", letter_names: Mapping[str, str] | None = None) -> str:
    """How one Latin letter is said: the hall's own name, the Chinese reading, or itself."""
    up = letter.upper()
    if letter_names and up in letter_names:
        return letter_names[up]
    if letters == "chinese":
        return CHINESE_LETTERS.get(up, up)
    return up


def ticket_reading(number: str, language: str = "zh", letters: str = "plain",
                   letter_names: Mapping[str, str] | None = None) -> str:
    """A ticket number read character by character: ``A023`` → ``A零二三``."""
    number = str(number).strip().upper()
    if not number or not all(c in string.ascii_uppercase or c.isdigit() for c in number):
        raise ReadingError(f"{number!r} is not a ticket number like A023")
    if language == "en":
        return " ".join(ENGLISH_DIGITS[int(c)] if c.isdigit() else letter_reading(c, "plain", letter_names)
                        for c in number)
    return "".join(DIGITS[int(c)] if c.isdigit() else letter_reading(c, letters, letter_names)
                   for c in number)


def window_reading(window: int | str, language: str = "zh") -> str:
    """A window number read as a number: 12 → 十二 (English: "12", voices say twelve)."""
    try:
        n = int(window)
    except (TypeError, ValueError):
        raise ReadingError(f"{window!r} is not a window number") from None
    return str(n) if language == "en" else chinese_number(n)


def check_template(template: str) -> None:
    """Raise ReadingError when ``template`` names a field that does not exist."""
    for name in _FIELD.findall(template):
        if name not in FIELDS:
            raise ReadingError(f"unknown field {{{name}}} in {template!r}; "
                               f"use {', '.join('{' + f + '}' for f in FIELDS)}")
    if "{number}" not in template:
        raise ReadingError(f"{template!r} does not say the ticket number: put {{number}} in it")


def announcement_text(number: str, window: int, template: str = "请{number}号到{window}号窗口办理", *,
                      language: str = "zh", letters: str = "plain",
                      letter_names: Mapping[str, str] | None = None, style: str = "text",
                      service: str = "", window_name: str = "") -> str:
    """The words of one call, ready for an engine.

    >>> announcement_text("A023", 5)
    '请A零二三号到五号窗口办理'
    >>> announcement_text("A023", 12, style="markup")
    '[y1]请[n1]A023[n0]号到[n2]12[n0]号窗口办理'
    """
    check_template(template)
    number = str(number).strip().upper()
    if style == "markup":
        ticket = "".join(letter_reading(c, letters, letter_names) if c.isalpha() else c for c in number)
        ticket_text = f"[n1]{ticket}[n0]"
        window_text = f"[n2]{int(window)}[n0]"
    elif style == "text":
        ticket_text = ticket_reading(number, language, letters, letter_names)
        window_text = window_reading(window, language)
    else:
        raise ReadingError(f"unknown reading style {style!r} (text or markup)")
    text = _FIELD.sub(lambda m: {"number": ticket_text, "window": window_text, "service": service,
                                 "window_name": window_name}[m.group(1)], template)
    return ("[y1]" + text) if style == "markup" else text


def template_for(voice_cfg) -> str:
    """The configured template for the configured language (English has its own)."""
    return voice_cfg.template_en if voice_cfg.language == "en" else voice_cfg.template


def call_text(voice_cfg, number: str, window: int, *, style: str = "text", service: str = "",
              window_name: str = "") -> str:
    """:func:`announcement_text` with every option taken from a ``[voice]`` config section."""
    return announcement_text(number, window, template_for(voice_cfg), language=voice_cfg.language,
                             letters=voice_cfg.letters, letter_names=getattr(voice_cfg, "letter_names", None),
                             style=style, service=service, window_name=window_name)
