"""Frames of the serial TTS modules (SYN6288, XFS5152CE, SYN6658) as pure functions.

Everything here is bytes in, bytes out, and follows ``shared/protocols/tts-modules.md``:

- SYN6288: ``FD lenH lenL cmd param text… xor``, ``len = len(text) + 3``, ``xor`` of
  every byte from FD to the last text byte; fixed frames ``FD 00 02 02 FD`` (stop) …
- XFS5152CE and SYN6658: ``FD lenH lenL cmd param data…``, no checksum,
  ``len = len(data) + 2``; commands without data have ``len = 1`` (``FD 00 01 02``).

What differs between the modules is data (:class:`ModuleProfile`), not code paths.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

HEADER = 0xFD

# Commands
SYNTHESIZE = 0x01
STOP = 0x02
PAUSE = 0x03
RESUME = 0x04
STATUS = 0x21

# One-byte replies, the same on all three modules
INITIALISED = 0x4A
RECEIVED = 0x41
BAD_FRAME = 0x45
BUSY = 0x4E
IDLE = 0x4F
REPLY_NAMES = {INITIALISED: "initialised", RECEIVED: "frame received", BAD_FRAME: "bad frame",
               BUSY: "busy", IDLE: "idle"}


class FrameError(ValueError):
    """Text or a frame that a module cannot take (too long, not encodable, malformed)."""


@dataclass(frozen=True)
class ModuleProfile:
    """What one module family understands: capabilities as data.

    Ranges and defaults are the datasheets' (see docs/voice.md for the sources):
    SYN6288 ``[v0..16]`` default 10, ``[t0..5]`` (speed) default 4; XFS5152CE and SYN6658
    ``[v0..10]`` default 5, ``[s0..10]`` default 5 (on those two ``[t]`` is the pitch).
    """

    model: str
    checksum: bool             # SYN6288 only
    encodings: dict            # python codec -> encoding byte
    max_text: int              # bytes of text in one frame
    volume_max: int            # [v0..volume_max]
    volume_default: int        # the chip's volume after a reset
    speed_tag: str             # "t" (SYN6288) or "s" (XFS/SYN6658)
    speed_max: int
    speed_default: int         # the chip's own speed after a reset: its natural rate
    speed_steps: tuple         # config speed 0..10 -> the chip's speed value; [5] is the default
    label: str = ""


# Config speed 5 is each chip's default (natural) rate; below it the chip's slower
# steps are spread over 0–4, above it the faster ones over 6–10.
PROFILES: dict[str, ModuleProfile] = {
    "syn6288": ModuleProfile("syn6288", True, {"gb2312": 0, "gbk": 1, "big5": 2, "utf-16-be": 3},
                             200, 16, 10, "t", 5, 4, (0, 1, 2, 2, 3, 4, 4, 4, 5, 5, 5), "宇音天下 SYN6288"),
    "xfs5152": ModuleProfile("xfs5152", False, {"gb2312": 0, "gbk": 1, "big5": 2, "utf-16-le": 3},
                             4000, 10, 5, "s", 10, 5, tuple(range(11)), "科大讯飞 XFS5152CE"),
    "syn6658": ModuleProfile("syn6658", False, {"gb2312": 0, "gbk": 1, "big5": 2, "utf-16-le": 3,
                                                "utf-16-be": 4},
                             4096, 10, 5, "s", 10, 5, tuple(range(11)), "宇音天下 SYN6658"),
}


def profile(model: str) -> ModuleProfile:
    try:
        return PROFILES[model]
    except KeyError:
        raise FrameError(f"unknown TTS module {model!r} (one of {', '.join(PROFILES)})") from None


def xor(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x


def encode_text(text: str, model: str, encoding: str = "auto") -> tuple[int, bytes]:
    """(encoding byte, text bytes). ``auto`` picks GB2312, else GBK, else Unicode."""
    p = profile(model)
    candidates = ["gb2312", "gbk", "utf-16-be" if model == "syn6288" else "utf-16-le"] \
        if encoding == "auto" else [encoding]
    for codec in candidates:
        if codec not in p.encodings:
            raise FrameError(f"{p.model} does not take {codec} text")
        try:
            return p.encodings[codec], text.encode(codec)
        except UnicodeEncodeError:
            continue
    raise FrameError(f"{text!r} cannot be encoded as {encoding} for {p.model}")


def synth_frame(model: str, text: str, encoding: str = "auto", music: int = 0) -> bytes:
    """The synthesize frame (command 01) speaking ``text``.

    >>> synth_frame("syn6288", "宇音天下", "gb2312").hex(" ").upper()
    'FD 00 0B 01 00 D3 EE D2 F4 CC EC CF C2 C1'
    """
    p = profile(model)
    code, data = encode_text(text, model, encoding)
    if not data:
        raise FrameError("nothing to say")
    if len(data) > p.max_text:
        raise FrameError(f"{len(data)} bytes of text; {p.model} takes at most {p.max_text} in a frame")
    if p.checksum:
        if not 0 <= music <= 15:
            raise FrameError(f"background music {music} is not 0..15")
        body = bytes([HEADER]) + (len(data) + 3).to_bytes(2, "big") + bytes([SYNTHESIZE, code | (music << 3)]) + data
        return body + bytes([xor(body)])
    return bytes([HEADER]) + (len(data) + 2).to_bytes(2, "big") + bytes([SYNTHESIZE, code]) + data


def command_frame(model: str, command: int) -> bytes:
    """A command without text: STOP, PAUSE, RESUME or STATUS.

    >>> command_frame("syn6288", STATUS).hex(" ").upper(), command_frame("xfs5152", STOP).hex(" ").upper()
    ('FD 00 02 21 DE', 'FD 00 01 02')
    """
    p = profile(model)
    if command not in (STOP, PAUSE, RESUME, STATUS):
        raise FrameError(f"command {command:#04x} takes text or does not exist")
    if p.checksum:
        body = bytes([HEADER, 0x00, 0x02, command])
        return body + bytes([xor(body)])
    return bytes([HEADER, 0x00, 0x01, command])


def module_volume(model: str, volume: int) -> int:
    """Config volume 0–16 → the chip's ``[v]`` value, in proportion (half rounds up)."""
    p = profile(model)
    return max(0, min(p.volume_max, int(volume * p.volume_max / 16 + 0.5)))


def module_speed(model: str, speed: int) -> int:
    """Config speed 0–10 → the chip's speed value (``profile.speed_steps``; 5 → the chip's default)."""
    return profile(model).speed_steps[max(0, min(10, speed))]


def settings_markup(model: str, volume: int, speed: int) -> str:
    """``[v…][t…]``/``[v…][s…]`` for the config's volume (0–16) and speed (0–10).

    >>> settings_markup("syn6288", 7, 5), settings_markup("xfs5152", 7, 5)
    ('[v7][t4]', '[v4][s5]')
    """
    p = profile(model)
    return f"[v{module_volume(model, volume)}][{p.speed_tag}{module_speed(model, speed)}]"


def chime_markup(model: str, tone_name: str) -> str:
    """The text that plays the prompt tone ``tone_name``: ``[x1]`` (tones on) then the name."""
    from .prompt_tones import tone
    if tone(model, tone_name) is None:
        raise FrameError(f"{tone_name!r} is not a prompt tone of the {profile(model).label or model}")
    return f"[x1]{tone_name}"


def split_text(text: str, model: str, encoding: str = "auto") -> list[str]:
    """Cut ``text`` into pieces that each fit one frame, at punctuation where possible."""
    p = profile(model)
    pieces: list[str] = []
    current = ""
    for part in re.split(r"(?<=[，。；！？,.;!?\s])", text):
        while part:
            trial = current + part
            if len(encode_text(trial, model, encoding)[1]) <= p.max_text:
                current, part = trial, ""
            elif current:
                pieces.append(current)
                current = ""
            else:  # one run without punctuation longer than a frame: cut by characters
                n = len(part)
                while len(encode_text(part[:n], model, encoding)[1]) > p.max_text:
                    n -= 1
                pieces.append(part[:n])
                part = part[n:]
    if current:
        pieces.append(current)
    return pieces


# -- the module side (used by the simulators and by diagnostics) ---------------------
_CODECS = {"syn6288": {0: "gb2312", 1: "gbk", 2: "big5", 3: "utf-16-be"},
           "xfs5152": {0: "gb2312", 1: "gbk", 2: "big5", 3: "utf-16-le"},
           "syn6658": {0: "gb2312", 1: "gbk", 2: "big5", 3: "utf-16-le", 4: "utf-16-be"}}


@dataclass(frozen=True)
class Frame:
    """A frame as a module decodes it. ``text`` is set for a synthesize frame."""

    command: int
    param: int | None = None
    text: str | None = None
    music: int = 0
    raw: bytes = b""


class FrameReader:
    """Bytes from the wire → frames. Garbage before a header is dropped and counted;
    a frame that fails its checksum or cannot be decoded is returned as ``None`` so the
    module can answer 0x45."""

    def __init__(self, model: str):
        self.model = profile(model).model
        self.buffer = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[Frame | None]:
        self.buffer += data
        out: list[Frame | None] = []
        while True:
            start = self.buffer.find(HEADER)
            if start < 0:
                self.dropped += len(self.buffer)
                self.buffer.clear()
                return out
            if start:
                self.dropped += start
                del self.buffer[:start]
            if len(self.buffer) < 3:
                return out
            length = int.from_bytes(self.buffer[1:3], "big")
            if length == 0 or length > 4200:
                self.dropped += 1
                del self.buffer[:1]
                out.append(None)
                continue
            if len(self.buffer) < 3 + length:
                return out
            raw = bytes(self.buffer[:3 + length])
            del self.buffer[:3 + length]
            out.append(decode_frame(self.model, raw))


def decode_frame(model: str, raw: bytes) -> Frame | None:
    """One complete frame → :class:`Frame`, or None if the module would answer 0x45."""
    p = profile(model)
    if len(raw) < 4 or raw[0] != HEADER or int.from_bytes(raw[1:3], "big") != len(raw) - 3:
        return None
    if p.checksum:
        if xor(raw[:-1]) != raw[-1]:
            return None
        body = raw[3:-1]
    else:
        body = raw[3:]
    command = body[0]
    if command in (STOP, PAUSE, RESUME, STATUS):
        return Frame(command, raw=raw) if len(body) == 1 else None
    if command != SYNTHESIZE or len(body) < 3:
        return None
    param = body[1]
    code, music = (param & 0x07, param >> 3) if p.checksum else (param, 0)
    codec = _CODECS[model].get(code)
    if codec is None:
        return None
    try:
        text = body[2:].decode(codec)
    except UnicodeDecodeError:
        return None
    return Frame(SYNTHESIZE, param, text, music, raw)
