"""Simulators of the serial TTS modules on a pty, speaking the real bytes.

A :class:`TTSModuleSimulator` decodes frames as the module does and answers as the
datasheets say: 0x41 for a frame it took, then 0x4F by itself when the speech ends
(it "speaks" for a time proportional to the text), 0x4E/0x4F to a status query, 0x45 to
a bad frame. It records what it said (``spoken``) and flags a synthesize frame that
arrived while it was still speaking (``interrupted``) — on a real module that frame
would have cut the announcement off.

Faults for tests and for trying the software (``fault=``):

- ``"silent"``: the module is unplugged: no reply at all;
- ``"bad"``: every frame is answered 0x45 (wrong baud rate, wrong model);
- ``"lose_idle"``: the spontaneous 0x4F at the end of speech is lost (it still answers
  a status query).

Markup is applied as the chips do: volume and speed (``[v]``, ``[t]`` on the SYN6288,
``[s]`` on the others) and the tone policy ``[x]`` are global, start at the datasheet
defaults and stay until changed or ``[d]``; a value past the range counts as the
maximum. Prompt-tone names (:mod:`.prompt_tones`) play as tones when ``[x1]`` is on and
no letter (or digit) touches them; otherwise they are read out as letters. Each
synthesize frame is recorded in ``utterances`` with the tones and the settings it was
said with. The speaking time follows the text length (``seconds_per_char``) and each
tone's datasheet length, not the speed setting.
"""
from __future__ import annotations

import logging
import re
import threading
import time

from ..ptylink import SerialSimulator
from .frames import (BAD_FRAME, BUSY, IDLE, PAUSE, RECEIVED, RESUME, STATUS, STOP, SYNTHESIZE, FrameReader,
                     profile)
from .prompt_tones import find_tones

log = logging.getLogger(__name__)

_MARKUP = re.compile(r"\[[a-z]\d*\]")
_TAG = re.compile(r"\[([a-z])(\d*)\]", re.IGNORECASE)
FAULTS = (None, "silent", "bad", "lose_idle")


class TTSModuleSimulator(SerialSimulator):
    """A simulated SYN6288 / XFS5152CE / SYN6658 (``model``)."""

    def __init__(self, model: str = "syn6288", seconds_per_char: float = 0.23, fault: str | None = None):
        super().__init__()
        self.profile = profile(model)
        self.model = model
        self.name = f"sim-{model}"
        self.seconds_per_char = seconds_per_char
        self.fault = fault
        self.reader = FrameReader(model)
        self.spoken: list[str] = []       # every text it started to say, in order (markup removed)
        self.frames: list[bytes] = []     # every complete frame it received
        self.interrupted: list[str] = []  # texts that arrived while it was still speaking
        self.bad_frames = 0
        self.status_queries = 0
        self.reject_next = 0              # answer 0x45 to this many more frames (a garbled line)
        self.ack_delay_s = 0.0            # a text frame's 0x41 comes this late (it speaks at once)
        self.utterances: list[dict] = []  # per synthesize frame: text, tones, volume, speed
        self.settings = self.defaults()   # the chip's global markup state
        self._busy_until = 0.0
        self._paused_left: float | None = None
        self._lock = threading.Lock()
        self._spoke = threading.Condition(self._lock)

    def start(self) -> str:
        """Plug in (again): a module powered from the adapter starts from reset, silent
        and with the datasheet's default settings."""
        if self.link is None:
            self._busy_until, self._paused_left = 0.0, None
            self.settings = self.defaults()
            self.reader = FrameReader(self.model)
        return super().start()

    # -- faults and state for tests ------------------------------------------------
    def set_fault(self, fault: str | None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        self.fault = fault

    @property
    def busy(self) -> bool:
        return self._paused_left is not None or time.monotonic() < self._busy_until

    def wait_spoken(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` texts have been started; True if they were."""
        with self._spoke:
            return self._spoke.wait_for(lambda: len(self.spoken) >= count, timeout)

    def defaults(self) -> dict:
        """The chip's settings after a reset (datasheet defaults)."""
        p = self.profile
        return {"volume": p.volume_default, "speed": p.speed_default, "tones": 1}

    @property
    def tones(self) -> list[str]:
        """The prompt tones played, in order (canonical names)."""
        return [t for u in self.utterances for t in u["tones"]]

    def apply_markup(self, text: str) -> tuple[str, list]:
        """Apply the frame's global tags; (text left to say, tones it plays)."""
        p, st = self.profile, self.settings
        for tag, value in _TAG.findall(text):
            n, tag = (int(value) if value else 0), tag.lower()
            if tag == "d":
                st.update(self.defaults())
            elif tag == "v" and value:
                st["volume"] = min(n, p.volume_max)
            elif tag == p.speed_tag and value:
                st["speed"] = min(n, p.speed_max)
            elif tag == "x" and value:
                st["tones"] = 1 if n == 1 else 0
        plain = _MARKUP.sub(" ", text)
        found = find_tones(self.model, plain) if st["tones"] else []
        for start, end, _ in reversed(found):
            plain = plain[:start] + " " + plain[end:]
        return plain, [t for _, _, t in found]

    # -- the wire ------------------------------------------------------------------
    def on_bytes(self, data: bytes) -> None:
        self._finish_speech()
        for frame in self.reader.feed(data):
            if self.fault == "silent":
                continue
            if frame is None or self.fault == "bad" or self.reject_next > 0:
                self.reject_next = max(0, self.reject_next - 1)
                self.bad_frames += 1
                self.send(bytes([BAD_FRAME]))
                continue
            self.frames.append(frame.raw)
            self._handle(frame)

    def _handle(self, frame) -> None:
        now = time.monotonic()
        if frame.command == STATUS:
            self.status_queries += 1
            self.send(bytes([BUSY if self.busy else IDLE]))
        elif frame.command == SYNTHESIZE:
            text = _MARKUP.sub("", frame.text)
            with self._spoke:
                plain, tones = self.apply_markup(frame.text)
                seconds = self.seconds_per_char * len(plain.replace(" ", "")) + sum(t.seconds or 1.0 for t in tones)
                self.utterances.append({"text": plain.strip(), "tones": [t.name for t in tones],
                                        "volume": self.settings["volume"], "speed": self.settings["speed"]})
                if self.busy:
                    log.warning("%s: a frame arrived while speaking %r: it cuts the speech off", self.name,
                                self.spoken[-1] if self.spoken else "")
                    self.interrupted.append(text)
                self.spoken.append(text)
                self._paused_left = None
                self._busy_until = now + seconds
                self._spoke.notify_all()
            if self.ack_delay_s:
                time.sleep(self.ack_delay_s)
            self.send(bytes([RECEIVED]))
        elif frame.command == STOP:
            self.send(bytes([RECEIVED]))
            was_busy = self.busy
            self._busy_until, self._paused_left = 0.0, None
            if was_busy:
                self.send(bytes([IDLE]))
        elif frame.command == PAUSE:
            self.send(bytes([RECEIVED]))
            if time.monotonic() < self._busy_until:
                self._paused_left = self._busy_until - now
                self._busy_until = 0.0
        elif frame.command == RESUME:
            self.send(bytes([RECEIVED]))
            if self._paused_left is not None:
                self._busy_until, self._paused_left = now + self._paused_left, None

    def _finish_speech(self) -> None:
        if self._busy_until and time.monotonic() >= self._busy_until:
            self._busy_until = 0.0
            if self.fault not in ("silent", "lose_idle"):
                self.send(bytes([IDLE]))

    def on_idle(self) -> None:
        self._finish_speech()
