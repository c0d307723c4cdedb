"""A serial TTS module (SYN6288, XFS5152CE, SYN6658) as a :class:`SpeechEngine`.

A new synthesize frame cuts off the speech in progress, so the engine never sends one
until the module has said it is idle (0x4F), and :meth:`SerialTTSEngine.speak` returns
only when the words have been spoken:

1. before a frame: idle known → go; otherwise ask (status query ``21``) and wait for 0x4F;
2. send the frame, expect 0x41 within ``ack_timeout``:
   - 0x45 (bad frame): send STOP to reset the module's parser, send again once, then fail;
   - nothing: ask the status; BUSY means the 0x41 was lost (go on), IDLE means the frame
     was lost (send again), no answer means the module is gone (fail);
3. wait for the 0x4F that ends the speech, up to a time-out proportional to the text;
   past it, ask the status and keep waiting while it says BUSY (up to ``max_busy_s``).

A failure raises :class:`TTSError` naming the module and the port, and closes the port
so the next call reopens it (a USB adapter that was unplugged comes back).
"""
from __future__ import annotations

import logging
import re
import threading
import time

import serial

from .. import DeviceError
from ..transport import PORT_ERRORS as _OS_PORT_ERRORS, open_serial
from . import SpeechEngine, TTSError
from .frames import (BAD_FRAME, BUSY, IDLE, INITIALISED, RECEIVED, REPLY_NAMES, STATUS, STOP, FrameError,
                     chime_markup, command_frame, profile, settings_markup, split_text, synth_frame)
from .prompt_tones import default_chime, find_tones

log = logging.getLogger(__name__)

_MARKUP = re.compile(r"\[[a-z]\d*\]|sound[a-z]|sound\d{3}")
MIN_GAP_S = 0.010  # the datasheets ask for more than 8 ms between frames
PORT_ERRORS = _OS_PORT_ERRORS + (TypeError, AttributeError)  # the last two: pyserial on a port closed under it


def spoken_chars(text: str) -> int:
    """Characters a module will say (markup and prompt-sound names count as one)."""
    return len(_MARKUP.sub("#", text).replace(" ", ""))


class SerialTTSEngine(SpeechEngine):
    """Speaks through a serial TTS module at ``url`` (any pyserial URL, a device, or ``sim://NAME``)."""

    text_style = "text"
    #: called (on the speaking thread) each time the module acknowledges a frame: from
    #: then on it says that frame even if this process dies (the announcer's cursor moves)
    on_frame_taken = None

    def __init__(self, url: str, model: str = "syn6288", baud: int = 9600, *, volume: int = 7, speed: int = 5,
                 markup: bool = False, encoding: str = "auto", ack_timeout: float = 0.5,
                 max_busy_s: float = 60.0, status_poll_s: float = 0.5, seconds_per_char: float = 0.25,
                 chime_sound: str = ""):
        if not url:
            raise TTSError(f"{model}: no port configured (set voice.url, e.g. /dev/ttyUSB1)")
        self.profile = profile(model)
        self.model = model
        self.name = f"{model} {url}"
        self.url = url
        self.baud = baud
        self.volume = volume
        self.speed = speed
        self.encoding = encoding
        self.chime_sound = chime_sound or default_chime(model)
        try:
            self._chime_text = chime_markup(model, self.chime_sound)
        except FrameError as e:
            raise TTSError(f"voice.chime_sound: {e}") from None
        self.text_style = "markup" if markup else "text"
        self.ack_timeout = ack_timeout
        self.max_busy_s = max_busy_s
        self.status_poll_s = status_poll_s
        self.seconds_per_char = seconds_per_char  # how long speech should take: past it, ask
        self._port: serial.SerialBase | None = None
        self._idle: bool | None = None  # None: unknown (just opened, or after a failure)
        self._last_frame = 0.0
        self._closing = threading.Event()
        self._lock = threading.RLock()
        self.frames_sent = 0
        self.bad_frames = 0

    @classmethod
    def from_config(cls, voice_cfg, model: str | None = None, **overrides) -> "SerialTTSEngine":
        kw = dict(url=voice_cfg.url, model=model or voice_cfg.engine, baud=voice_cfg.baud,
                  volume=voice_cfg.volume, speed=voice_cfg.speed,
                  markup=getattr(voice_cfg, "reading", "text") == "markup",
                  chime_sound=getattr(voice_cfg, "chime_sound", ""))
        kw.update({k: v for k, v in overrides.items() if v is not None and k != "output"})
        return cls(**kw)

    # -- the port ----------------------------------------------------------------
    def _open(self) -> serial.SerialBase:
        if self._port is None:
            self._closing.clear()

            def default_sim():
                from .simulator import TTSModuleSimulator
                return TTSModuleSimulator(self.model)

            try:
                self._port = open_serial(self.url, self.baud, timeout=0.05, default_sim=default_sim)
            except DeviceError as e:
                raise TTSError(f"{self.profile.label or self.model}: {e}") from e
            except _OS_PORT_ERRORS as e:  # e.g. termios.error from the flush inside pyserial's open
                raise TTSError(f"{self.profile.label or self.model}: {self.url}: cannot open ({e})") from e
            self._idle = None
        return self._port

    def _fail(self, message: str) -> TTSError:
        """Close the port (the next call reopens it) and make the error."""
        self._drop_port()
        return TTSError(f"{self.profile.label or self.model} on {self.url}: {message}")

    def _drop_port(self) -> None:
        port, self._port, self._idle = self._port, None, None
        if port is not None:
            try:
                port.close()
            except BaseException:  # noqa: BLE001 - closing a dead port may fail; it is gone either way
                pass

    def _write(self, frame: bytes) -> None:
        port = self._open()
        wait = self._last_frame + MIN_GAP_S - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            port.write(frame)
            port.flush()
        except PORT_ERRORS as e:
            raise self._fail(f"cannot write ({e})") from e
        self._last_frame = time.monotonic()
        self.frames_sent += 1
        log.debug("%s <- %s", self.name, frame.hex(" "))

    def _read_reply(self, until: float, wanted: tuple[int, ...], *, while_closing: bool = False) -> int | None:
        """The next reply byte among ``wanted`` before the monotonic time ``until``.
        Spontaneous 0x4F/0x4A met on the way update the idle state. Closing cuts the wait
        short, except ``while_closing`` (the acknowledgement of a frame already written)."""
        port = self._open()
        while time.monotonic() < until:
            if self._closing.is_set() and not while_closing:
                raise TTSError(f"{self.name}: closed while waiting")
            try:
                data = port.read(1)
            except PORT_ERRORS as e:
                raise self._fail(f"cannot read ({e})") from e
            if not data:
                continue
            b = data[0]
            log.debug("%s -> %02X %s", self.name, b, REPLY_NAMES.get(b, "?"))
            if b in (IDLE, INITIALISED):
                self._idle = True
            elif b == BUSY:
                self._idle = False
            if b in wanted:
                return b
        return None

    def _drain(self) -> None:
        """Forget stale replies (noting a spontaneous 0x4F) before sending a frame."""
        while self._read_reply(time.monotonic() + 0.01, ()) is not None:
            pass

    def query_status(self) -> int | None:
        """Ask the module: BUSY, IDLE, BAD_FRAME (it rejected the query twice), or None
        when it does not answer."""
        with self._lock:
            reply = None
            for _ in range(2):  # one garbled query is forgiven
                self._write(command_frame(self.model, STATUS))
                reply = self._read_reply(time.monotonic() + self.ack_timeout, (BUSY, IDLE, BAD_FRAME))
                if reply != BAD_FRAME:
                    return reply
                self.bad_frames += 1
            return reply

    def _status_or_fail(self) -> int:
        state = self.query_status()
        if state is None:
            raise self._fail("does not answer a status query; check power, the cable (TX to RX) and the baud rate")
        if state == BAD_FRAME:
            raise self._fail("rejects every frame (0x45); check the baud rate and the module model")
        return state

    # -- speaking ----------------------------------------------------------------
    def speech_seconds(self, text: str) -> float:
        """About how long the module takes to say ``text`` (prompt tones by their datasheet
        length); past it the engine asks for the status."""
        tones = find_tones(self.model, text)
        tone_s = sum(t.seconds or 1.0 for _, _, t in tones)
        for start, end, _ in reversed(tones):
            text = text[:start] + text[end:]
        return self.seconds_per_char * spoken_chars(text) + tone_s

    def _ensure_idle(self) -> None:
        """Before a frame: idle known, or asked for, or waited for."""
        if self._idle:
            return
        if self._idle is None and self._status_or_fail() == IDLE:
            return
        self._wait_idle(0.0)

    def _wait_idle(self, expected_s: float) -> None:
        """Return when the module is idle; ``expected_s`` is how long it should still talk."""
        start = time.monotonic()
        deadline = start + expected_s + self.status_poll_s
        while not self._idle:
            if self._read_reply(deadline, (IDLE, INITIALISED)) is not None:
                return
            if self._status_or_fail() == IDLE:  # the 0x4F is late or was lost: ask
                self._idle = True
                return
            if time.monotonic() - start > self.max_busy_s:
                self._write(command_frame(self.model, STOP))
                raise self._fail(f"still busy after {self.max_busy_s:.0f} s; sent STOP")
            deadline = time.monotonic() + self.status_poll_s

    def _send_text(self, text: str) -> None:
        frame = synth_frame(self.model, text, self.encoding)
        problem = ""
        for attempt in (1, 2):
            self._drain()
            self._ensure_idle()
            self._write(frame)
            # The module may have the frame already: its acknowledgement is read even while
            # closing (at most ack_timeout more), so _taken() tells the announcer, whose
            # cursor then passes the call; a stop in between would otherwise leave the
            # cursor before a call the module says, and a restart would say it again.
            reply = self._read_reply(time.monotonic() + self.ack_timeout, (RECEIVED, BAD_FRAME, BUSY),
                                     while_closing=True)
            if reply == RECEIVED or reply == BUSY:
                self._idle = False
                self._taken()
                self._wait_idle(self.speech_seconds(text))
                return
            if reply == BAD_FRAME:
                self.bad_frames += 1
                log.warning("%s answered 0x45 (bad frame) to %s; resetting it with STOP", self.name, frame.hex(" "))
                self._write(command_frame(self.model, STOP))
                self._read_reply(time.monotonic() + self.ack_timeout, (IDLE,))
                self._idle = None
                problem = "rejects the frame (0x45) twice; check the baud rate and the module model"
                continue
            if self._closing.is_set():
                raise TTSError(f"{self.name}: closed while waiting")
            if self._status_or_fail() == BUSY:  # no 0x41: was the frame or the reply lost?
                self._idle = False
                self._taken()
                self._wait_idle(self.speech_seconds(text))
                return
            log.warning("%s did not acknowledge a frame (attempt %d); sending it again", self.name, attempt)
            problem = "answers status queries but does not take the text; check the module model"
        raise self._fail(problem)

    def _taken(self) -> None:
        """The module has the frame: it will say it whatever becomes of this process."""
        hook = self.on_frame_taken
        if hook is not None:
            hook()

    def speak(self, text: str) -> None:
        if not text.strip():
            return
        with self._lock:
            try:
                self._open()
                prefix = settings_markup(self.model, self.volume, self.speed)
                for i, piece in enumerate(split_text(text, self.model, self.encoding)):
                    self._send_text((prefix if i == 0 else "") + piece)
            except FrameError as e:
                raise TTSError(f"{self.name}: {e}") from e

    def chime(self) -> None:
        """The configured prompt tone (``voice.chime_sound``; by default a doorbell, see
        :mod:`.prompt_tones`), at the configured volume."""
        with self._lock:
            self._open()
            self._send_text(settings_markup(self.model, self.volume, self.speed) + self._chime_text)

    def stop_speech(self) -> None:
        """Cut off whatever the module is saying (the STOP frame)."""
        with self._lock:
            self._write(command_frame(self.model, STOP))

    def check(self) -> tuple[bool, str]:
        try:
            state = self.query_status()
        except TTSError as e:
            return False, str(e)
        finally:
            self.close()
        if state is None:
            return False, "查询状态没有应答 (no answer to a status query)"
        if state == BAD_FRAME:
            return False, ("查询状态回答 0x45（帧错误）：波特率或模块型号不对 "
                           "(answers 0x45, bad frame, to a status query: wrong baud rate or module model)")
        return True, ("应答正常：空闲 (answers: idle)" if state == IDLE else "应答正常：正在播报 (answers: busy, speaking)")

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            self._drop_port()
