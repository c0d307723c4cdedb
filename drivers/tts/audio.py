"""Small audio toolkit for the local engines: mono 16-bit sound as numpy arrays,
WAV read/write with the standard ``wave`` module, joining with pauses, the chime,
and playing a WAV on the sound card through whichever player the host has."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import SpeechEngine, TTSError

log = logging.getLogger(__name__)


@dataclass
class Sound:
    """Mono 16-bit samples at ``rate`` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def at_rate(self, rate: int) -> "Sound":
        """The same sound resampled (linear interpolation: fine for speech and chimes)."""
        if rate == self.rate:
            return self
        if len(self.samples) == 0:
            return Sound(self.samples, rate)
        n = max(1, round(len(self.samples) * rate / self.rate))
        x = np.linspace(0, len(self.samples) - 1, n)
        out = np.interp(x, np.arange(len(self.samples)), self.samples.astype(np.float64))
        return Sound(np.clip(np.round(out), -32768, 32767).astype(np.int16), rate)


def silence(seconds: float, rate: int) -> Sound:
    return Sound(np.zeros(int(seconds * rate), dtype=np.int16), rate)


def read_wav(path: Path | str) -> Sound:
    """A WAV file (8/16/32-bit PCM, any channels) as mono 16-bit."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError) as e:
        raise TTSError(f"{path}: not a readable WAV file ({e})") from e
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2")
    elif width == 4:
        data = (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    else:
        raise TTSError(f"{path}: {8 * width}-bit WAV is not supported (use 16-bit PCM)")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return Sound(np.asarray(data, dtype=np.int16), rate)


def wav_bytes_to_sound(data: bytes) -> Sound:
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        f.write(data)
        f.flush()
        return read_wav(f.name)


def write_wav(path: Path | str, sound: Sound) -> Path:
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sound.rate)
        w.writeframes(sound.samples.astype("<i2").tobytes())
    return path


def join(parts: list[Sound], rate: int | None = None) -> Sound:
    """Sounds one after the other, all at ``rate`` (default: the first one's)."""
    if not parts:
        return Sound(np.zeros(0, dtype=np.int16), rate or 16000)
    rate = rate or parts[0].rate
    return Sound(np.concatenate([p.at_rate(rate).samples for p in parts]), rate)


def make_chime(rate: int = 16000) -> Sound:
    """A two-note "ding-dong" (E5 then C5, bell-like decay), 1.4 s. The first note rings on
    under the second, and both fade to silence, so there is no click."""
    total = int(1.4 * rate)
    t = np.arange(total) / rate

    def note(freq: float, start: float) -> np.ndarray:
        u = np.clip(t - start, 0, None)
        tone = (np.sin(2 * np.pi * freq * u) + 0.35 * np.sin(2 * np.pi * 2 * freq * u)
                + 0.12 * np.sin(2 * np.pi * 3 * freq * u))
        envelope = np.exp(-3.0 * u) * np.minimum(1.0, u / 0.005)
        return np.where(t >= start, tone * envelope, 0.0)

    out = note(659.25, 0.0) + note(523.25, 0.5)
    fade = int(0.15 * rate)
    out[-fade:] *= np.linspace(1.0, 0.0, fade)
    out = out / np.max(np.abs(out)) * 0.6 * 32767
    return Sound(out.astype(np.int16), rate)


# -- the sound card ------------------------------------------------------------
PLAYERS = (["aplay", "-q"], ["paplay"], ["pw-play"], ["play", "-q"], ["ffplay", "-nodisp", "-autoexit", "-loglevel", "error"])


def find_player() -> list[str] | None:
    """The first WAV player installed here (ALSA aplay, PulseAudio, PipeWire, sox, ffmpeg)."""
    for cmd in PLAYERS:
        if shutil.which(cmd[0]):
            return list(cmd)
    return None


def sound_output_present() -> bool:
    """Whether this host has somewhere to play sound: an ALSA card or a PulseAudio/PipeWire server."""
    try:
        cards = Path("/proc/asound/cards").read_text()
        if cards.strip() and "no soundcards" not in cards:
            return True
    except OSError:
        pass
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")
    return any((runtime / name).exists() for name in ("pulse/native", "pipewire-0"))


class Player:
    """Plays WAV files to the sound card, one at a time; :meth:`stop` cuts the current one."""

    def __init__(self, command: list[str] | None = None):
        self.command = command or find_player()
        self._proc: subprocess.Popen | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def play(self, path: Path | str, timeout: float = 120.0) -> None:
        if not self.command:
            raise TTSError("no audio player found (install alsa-utils for aplay, or sox); "
                           "or set voice.output to a folder to write WAV files")
        with self._lock:
            self._stopped = False
            # its own process group, so stop() also ends a wrapper's children
            self._proc = subprocess.Popen([*self.command, str(path)], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self._proc.communicate()
            raise TTSError(f"{self.command[0]} did not finish playing {path} in {timeout:.0f} s") from None
        if self._stopped:
            raise TTSError(f"playing {path} was stopped")
        if self._proc.returncode != 0:
            message = (err or b"").decode(errors="replace").strip().splitlines()
            raise TTSError(f"{self.command[0]} cannot play to the sound card: "
                           f"{message[-1] if message else 'exit status ' + str(self._proc.returncode)}")

    def stop(self) -> None:
        """Cut the sound short; the interrupted :meth:`play` raises TTSError."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._stopped = True
            self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


class AudioEngine(SpeechEngine):
    """An engine that makes sound on this computer: subclasses :meth:`render` text to a
    :class:`Sound`; a whole announcement (chime, text, pause, text …) becomes one WAV,
    written to ``output`` (a folder) or played on the sound card."""

    pause_s = 0.7  # between the repeats of an announcement

    def __init__(self, output: str | Path | None = None, chime_sound: Sound | None = None):
        self.output = WavOutput(output)
        self._chime = chime_sound

    def render(self, text: str) -> Sound:
        raise NotImplementedError

    def chime_sound(self) -> Sound:
        if self._chime is None:
            self._chime = make_chime()
        return self._chime

    def speak(self, text: str) -> None:
        if text.strip():
            self.output.emit(self.render(text), text)

    def chime(self) -> None:
        self.output.emit(self.chime_sound(), "chime")

    def announce(self, text: str, repeat: int = 1, chime: bool = False) -> None:
        self.output.emit(self.announcement(text, repeat, chime), text)

    def announcement(self, text: str, repeat: int = 1, chime: bool = False) -> Sound:
        """The whole announcement as one sound."""
        speech = self.render(text)
        parts: list[Sound] = []
        if chime:
            parts += [self.chime_sound(), silence(0.25, speech.rate)]
        for i in range(max(1, repeat)):
            if i:
                parts.append(silence(self.pause_s, speech.rate))
            parts.append(speech)
        return join(parts, speech.rate)

    def close(self) -> None:
        self.output.stop()


class WavOutput:
    """Where a finished announcement goes: a numbered WAV in ``folder``, or the sound card."""

    def __init__(self, folder: str | Path | None = None, player: Player | None = None):
        self.folder = Path(folder) if folder else None
        self.player = player
        self.written: list[Path] = []
        self._count = 0
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise TTSError(f"cannot create the voice output folder {self.folder}: {e}") from e

    def emit(self, sound: Sound, label: str) -> Path | None:
        if self.folder is not None:
            import time
            self._count += 1
            safe = "".join(c for c in label if c.isalnum())[:40] or "voice"
            path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{self._count:04d}-{safe}.wav"
            write_wav(path, sound)
            self.written.append(path)
            log.info("voice: wrote %s (%.2f s)", path, sound.seconds)
            return path
        player = self.player or Player()
        self.player = player
        with tempfile.TemporaryDirectory(prefix="jiaohao-voice-") as tmp:
            path = write_wav(Path(tmp) / "say.wav", sound)
            player.play(path, timeout=sound.seconds + 30)
        return None

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
